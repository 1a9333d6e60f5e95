package net.gatehouse.policy;

import net.gatehouse.testing.TestActor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.config.Rollout;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.Database;
import net.gatehouse.store.PolicyStore;
import net.gatehouse.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LivePolicyTest {

    private static final String FILE = """
            trusted_networks: [192.0.2.0/24]
            reject_unknown_recipient_domains: no
            domains:
              - name: example.com
                backend: [mail.internal:25]
            """;

    @TempDir
    Path dataDir;
    private final TestClock clock = new TestClock();
    private Database database;
    private LivePolicy live;

    @BeforeEach
    void open() throws ConfigException {
        database = Database.open(Database.EMBEDDED, dataDir);
        live = LivePolicy.start(Optional.of(ConfigLoader.parsePolicy(FILE)), new PolicyStore(database), clock,
                Duration.ofHours(1));
    }

    @AfterEach
    void close() {
        live.close();
        database.close();
    }

    @Test
    void withAnEmptyStoreThePolicyIsTheFilesWithDefaultsForTheRest() {
        Policy policy = live.current();

        assertThat(policy.domains()).containsOnlyKeys("example.com");
        assertThat(policy.rejectUnknownRecipientDomains()).isFalse();
        assertThat(policy.recipientVerification()).isEqualTo(Verification.NONE);
        assertThat(live.pinned(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS)).isTrue();
        assertThat(live.pinned(PolicyConfig.RECIPIENT_VERIFICATION)).isFalse();
        assertThat(live.pinnedDomain("example.com")).isTrue();
        assertThat(live.pinnedNetwork("192.0.2.0/24")).isTrue();
    }

    @Test
    void aReloadedFileReplacesThePinsAndTheStoreFillsWhatItNoLongerDeclares() throws Exception {
        live.edit(TestActor.console("alice"), "settings.change", "settings",
                stored -> PolicyEdits.recipientVerification(stored, Verification.VALID_LIST));

        live.replaceFile(Optional.of(ConfigLoader.parsePolicy("""
                recipient_verification: callout
                domains:
                  - name: example.org
                    backend: [mail.internal:25]
                """)));

        Policy policy = live.current();
        assertThat(policy.domains()).containsOnlyKeys("example.org");
        assertThat(policy.recipientVerification()).isEqualTo(Verification.CALLOUT); // pinned now
        assertThat(policy.rejectUnknownRecipientDomains()).isTrue(); // no longer pinned: the default
        assertThat(live.pinnedDomain("example.com")).isFalse();
        assertThat(live.pinned(PolicyConfig.RECIPIENT_VERIFICATION)).isTrue();

        live.replaceFile(Optional.empty());

        assertThat(live.current().recipientVerification()).isEqualTo(Verification.VALID_LIST); // the store's
    }

    @Test
    void theRolloutSettingsAreEditedInTheStoreUnlessTheFileSetsThem() throws Exception {
        live.edit(TestActor.console("alice"), "settings.change", "settings", stored -> PolicyEdits.rollout(stored,
                new Rollout(Rollout.Enforce.FALSE, Rollout.UnknownRecipientReply.DEFER, Rollout.BackendDown.DEFER),
                java.util.Set.of(Rollout.ENFORCE, Rollout.UNKNOWN_RECIPIENT_REPLY)));
        // another edit keeps them
        live.edit(TestActor.console("alice"), "network.add", "10.0.0.0/8", stored -> PolicyEdits.addNetwork(stored, "10.0.0.0/8"));

        assertThat(live.current().rollout().enforces()).isFalse();
        assertThat(live.current().rollout().unknownRecipientReply()).isEqualTo(Rollout.UnknownRecipientReply.DEFER);
        assertThat(live.stored().declares(Rollout.WHEN_BACKEND_DOWN)).isFalse();

        live.replaceFile(Optional.of(ConfigLoader.parsePolicy(FILE + "enforce: true\n")));

        assertThat(live.current().rollout().enforces()).isTrue();   // the file's pin wins
        assertThat(live.current().rollout().unknownRecipientReply()).isEqualTo(Rollout.UnknownRecipientReply.DEFER);
        assertThat(live.pinned(Rollout.ENFORCE)).isTrue();
        assertThatExceptionOfType(LivePolicy.RefusedChangeException.class).isThrownBy(() -> live.edit(
                TestActor.console("alice"), "settings.change", "settings", stored -> PolicyEdits.rollout(stored,
                        new Rollout(Rollout.Enforce.TRUE, Rollout.UnknownRecipientReply.DEFER, Rollout.BackendDown.DEFER),
                        java.util.Set.of(Rollout.ENFORCE))))
                .withMessageContaining("policy.enforce is set in the configuration file");
    }

    @Test
    void anEditIsInForceWhenItReturnsAndIsAudited() throws Exception {
        Policy before = live.current();

        live.edit(TestActor.console("alice"), "settings.change", "settings",
                stored -> PolicyEdits.recipientVerification(stored, Verification.VALID_LIST));

        assertThat(before.recipientVerification()).isEqualTo(Verification.NONE); // snapshots never change
        assertThat(live.current().recipientVerification()).isEqualTo(Verification.VALID_LIST);
        assertThat(new AuditLog(database).recent(10)).first().satisfies(entry -> {
            assertThat(entry.actor()).isEqualTo("alice");
            assertThat(entry.action()).isEqualTo("settings.change");
            assertThat(entry.oldValue()).isEqualTo("{}\n");
            assertThat(entry.newValue()).isEqualTo("recipient_verification: valid_list\n");
        });
    }

    @Test
    void addsDomainsAndNetworksBesideTheFilesOnes() throws Exception {
        live.edit(TestActor.console("alice"), "domain.add", "example.org", stored -> PolicyEdits.putDomain(stored,
                PolicyDocument.domain("example.org", List.of("10.0.0.7:2525"), "callout")));
        live.edit(TestActor.console("alice"), "network.add", "10.0.0.0/8", stored -> PolicyEdits.addNetwork(stored, "10.0.0.0/8"));

        Policy policy = live.current();
        assertThat(policy.domains()).containsOnlyKeys("example.com", "example.org");
        assertThat(policy.verificationFor(policy.domains().get("example.org"))).isEqualTo(Verification.CALLOUT);
        assertThat(live.effective().trustedNetworks()).containsExactly("192.0.2.0/24", "10.0.0.0/8");
        assertThat(live.pinnedDomain("example.org")).isFalse();
    }

    @Test
    void refusesToChangeWhatTheFilePins() {
        assertThatExceptionOfType(LivePolicy.RefusedChangeException.class)
                .isThrownBy(() -> live.edit(TestActor.console("alice"), "settings.change", "settings",
                        stored -> PolicyEdits.rejectUnknownRecipientDomains(stored, true)))
                .withMessageContaining("policy.reject_unknown_recipient_domains is set in the configuration file");
        assertThatExceptionOfType(LivePolicy.RefusedChangeException.class)
                .isThrownBy(() -> live.edit(TestActor.console("alice"), "domain.add", "example.com", stored -> PolicyEdits.putDomain(stored,
                        PolicyDocument.domain("example.com", List.of("elsewhere:25"), "none"))))
                .withMessageContaining("example.com is declared in the configuration file");
        assertThat(new AuditLog(database).recent(10)).isEmpty();
    }

    @Test
    void anotherWritersChangeIsSeenAtRefresh() throws Exception {
        try (LivePolicy other = LivePolicy.start(Optional.empty(), new PolicyStore(database), clock, Duration.ofHours(1))) {
            other.edit(TestActor.console("bob"), "settings.change", "settings",
                    stored -> PolicyEdits.recipientVerification(stored, Verification.CALLOUT));
        }
        assertThat(live.current().recipientVerification()).isEqualTo(Verification.NONE);

        live.refresh();

        assertThat(live.current().recipientVerification()).isEqualTo(Verification.CALLOUT);
    }

    @Test
    void aStaleEditIsRefusedRatherThanOverwritingAnother() {
        PolicyStore store = new PolicyStore(database);
        store.write("recipient_verification: callout\n", 0, clock.instant(), TestActor.console("bob"), "settings.change", "settings", "", "");

        assertThatExceptionOfType(PolicyStore.ConcurrentChangeException.class)
                .isThrownBy(() -> store.write("recipient_verification: none\n", 0, clock.instant(), TestActor.console("carol"),
                        "settings.change", "settings", "", ""));
    }

    @Test
    void anInvalidImportNamesTheKeyAndChangesNothing() {
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> live.replace(TestActor.TEST, "recipient_verification: sometimes\n"))
                .withMessageContaining("policy.recipient_verification");
        assertThat(live.stored()).isEqualTo(PolicyConfig.DEFAULTS);
    }
    @Test
    void directoriesOfTheStoreJoinTheFilesAndFollowEveryChange() throws Exception {
        String file = FILE + "directories: [{name: hr, servers: \"ldap://hr.internal\", base_dn: \"DC=hr\"}]\n";
        List<List<String>> applied = new java.util.ArrayList<>();
        try (LivePolicy withHr = LivePolicy.start(Optional.of(ConfigLoader.parsePolicy(file)),
                new PolicyStore(database), clock, Duration.ofHours(1))) {
            withHr.onDirectoriesChanged(directories -> applied.add(directories.stream().map(d -> d.name()).toList()));
            DirectoryConfig corp = PolicyDocument.directory(java.util.Map.of("name", "corp",
                    "servers", List.of("ldap://dc1.corp.internal"), "base_dn", "DC=corp"));
            withHr.edit(TestActor.console("alice"), "directory.add", "corp", stored -> PolicyEdits.putDirectory(stored, corp));
            assertThat(withHr.effective().directories()).extracting(DirectoryConfig::name).containsExactly("hr", "corp");
            assertThat(applied).containsExactly(List.of("hr", "corp"));

            // a domain may use either; the directory it names must exist
            withHr.edit(TestActor.console("alice"), "domain.add", "corp.example", stored -> PolicyEdits.putDomain(stored,
                    ConfigLoader.parsePolicy("domains: [{name: corp.example, backend: \"x:25\", verification: directory, "
                            + "directory: corp}]").domains().getFirst()));
            assertThatExceptionOfType(LivePolicy.RefusedChangeException.class)
                    .isThrownBy(() -> withHr.edit(TestActor.console("alice"), "directory.remove", "corp",
                            stored -> PolicyEdits.removeDirectory(stored, "corp")))
                    .withMessageContaining("corp.example names the directory corp");
            assertThatExceptionOfType(LivePolicy.RefusedChangeException.class)
                    .isThrownBy(() -> withHr.edit(TestActor.console("alice"), "directory.add", "hr",
                            stored -> PolicyEdits.putDirectory(stored, PolicyDocument.directory(java.util.Map.of(
                                    "name", "hr", "servers", List.of("ldap://elsewhere"), "base_dn", "DC=x")))))
                    .withMessageContaining("the directory hr is declared in the configuration file");

            // a reload of the file without hr: the directories follow it
            withHr.replaceFile(Optional.of(ConfigLoader.parsePolicy(FILE)));
            assertThat(applied).last().isEqualTo(List.of("corp"));
            withHr.replaceFile(Optional.of(ConfigLoader.parsePolicy(file)));
            applied.clear();

            // an edit of something else keeps the store's directories
            withHr.edit(TestActor.console("alice"), "settings.change", "settings",
                    stored -> PolicyEdits.subAddressDelimiter(stored, "+"));
            assertThat(withHr.stored().directories()).containsExactly(corp);
            assertThat(applied).isEmpty();
            assertThat(new AuditLog(database).recent(10)).filteredOn(e -> e.action().equals("directory.add"))
                    .singleElement().satisfies(entry -> {
                        assertThat(entry.oldValue()).isEmpty();
                        assertThat(entry.newValue()).contains("name: corp").contains("ldap://dc1.corp.internal:389");
                    });
        }
    }
}
