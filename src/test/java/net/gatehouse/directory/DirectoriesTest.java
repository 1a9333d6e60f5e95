package net.gatehouse.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.store.Actor;
import net.gatehouse.store.Database;
import net.gatehouse.store.DirectorySnapshotStore;
import net.gatehouse.testing.LoopbackPorts;
import net.gatehouse.testing.TestCa;
import net.gatehouse.testing.TestDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Directories against UnboundID's in-memory server with Active Directory's shapes (SPEC §8): what
 * counts as an address, paging past the server's size limit, the fail-safe rules (last good
 * snapshot, shrink guard, 451 before the first snapshot), failover, credentials and TLS.
 */
class DirectoriesTest {

    @TempDir
    Path directory;

    private final List<AutoCloseable> open = new ArrayList<>();
    private Database database;
    private DirectorySnapshotStore store;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void openStore() {
        database = Database.open(Database.EMBEDDED, directory.resolve("data"));
        store = new DirectorySnapshotStore(database);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : open.reversed()) {
            closeable.close();
        }
        database.close();
    }

    private <T extends AutoCloseable> T open(T closeable) {
        open.add(closeable);
        return closeable;
    }

    /** The directory {@code corp} as the file would declare it, with these extra keys (YAML flow). */
    private DirectoryConfig corp(String servers, String... keys) throws IOException, ConfigException {
        return directory("corp", servers, keys);
    }

    private DirectoryConfig directory(String name, String servers, String... keys) throws IOException, ConfigException {
        Path password = directory.resolve("ldap.secret");
        Files.writeString(password, TestDirectory.BIND_PASSWORD + "\n");
        String yaml = "data_dir: " + directory.resolve("data") + "\npolicy:\n  directories:\n    - { name: " + name + ", servers: "
                + servers + ", bind_dn: \"" + TestDirectory.BIND_DN + "\", bind_password_file: " + password
                + ", base_dn: \"" + TestDirectory.BASE_DN + "\", page_size: 4"
                + (keys.length == 0 ? "" : ", " + String.join(", ", keys)) + " }\n";
        return ConfigLoader.parse(yaml, directory).policy().orElseThrow().directories().getFirst();
    }

    private Directories start(DirectoryConfig... configs) {
        return open(Directories.start(List.of(configs), store, registry, Clock.systemUTC(), Map::of, false));
    }

    private static DirectoryAnswer lookup(Directories directories, String address) {
        return lookup(directories, address, "");
    }

    private static DirectoryAnswer lookup(Directories directories, String address, String delimiter) {
        int at = address.lastIndexOf('@');
        return directories.lookup(List.of(), MailboxAddress.of(address.substring(0, at), address.substring(at + 1)),
                delimiter);
    }

    private double syncs(String result) {
        return registry.get("gatehouse.directory.syncs").tag("result", result).counter().count();
    }

    @Test
    void readsActiveDirectoryAsItReallyIs() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        Directories directories = start(corp("[\"" + ldap.url() + "\"]"));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).as(result.message()).isEqualTo("ok");
        assertThat(result.entries()).isEqualTo(8); // users, the shared mailbox, the group, the contact, the folder
        for (String valid : List.of("alice@corp.example", "A.Example@CORP.example", "alice@corp-alias.example",
                "bob.smith@corp.example", "bob.other@corp.example", "carol@corp.example", "carol.alt@corp.example",
                "reception@corp.example", "sales@corp.example", "sales@corp-alias.example",
                "pat.partner@corp.example", "support@corp.example")) {
            assertThat(lookup(directories, valid)).as(valid).isInstanceOf(DirectoryAnswer.Found.class);
        }
        // x500:, X400:, sip: values are not mail addresses, even when they look like one
        for (String invalid : List.of("ghost@corp.example", "alice.voice@corp.example", "nobody@corp.example")) {
            assertThat(lookup(directories, invalid)).as(invalid).isInstanceOf(DirectoryAnswer.Absent.class);
        }
        assertThat(result.addresses()).isEqualTo(13);
    }

    @Test
    void subAddressesFollowTheDelimiterAsForLists() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        Directories directories = start(corp("[\"" + ldap.url() + "\"]"));
        directories.syncNow("corp", false);
        assertThat(lookup(directories, "alice+news@corp.example", "+")).isInstanceOf(DirectoryAnswer.Found.class);
        assertThat(lookup(directories, "alice+news@corp.example", "")).isInstanceOf(DirectoryAnswer.Absent.class);
    }

    @Test
    void readsPastTheServersSizeLimitInPages() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        for (int i = 0; i < 30; i++) {
            ldap.add("dn: cn=user" + i + ",ou=Users," + TestDirectory.BASE_DN, "objectClass: user", "cn: user" + i,
                    "mail: user" + i + "@corp.example");
        }
        Directories directories = start(corp("[\"" + ldap.url() + "\"]"));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).as(result.message()).isEqualTo("ok");
        assertThat(result.entries()).isEqualTo(38);
        assertThat(ldap.pagesServed()).isEqualTo(10); // 38 entries, 4 a page
        assertThat(lookup(directories, "user29@corp.example")).isInstanceOf(DirectoryAnswer.Found.class);
    }

    @Test
    void refusesASnapshotThatShrinksBeyondMaxShrinkAndKeepsTheOneInForce() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        Directories directories = start(corp("[\"" + ldap.url() + "\"]", "max_shrink: 40%"));
        assertThat(directories.syncNow("corp", false).result()).isEqualTo("ok");
        for (String cn : List.of("cn=Alice Example,ou=Users", "cn=Bob Smith,ou=Users", "cn=Sales,ou=Groups")) {
            ldap.delete(cn + "," + TestDirectory.BASE_DN); // 13 addresses become 6: 54% fewer
        }
        Directories.SyncResult refused = directories.syncNow("corp", false);
        assertThat(refused.result()).isEqualTo("refused");
        assertThat(refused.message()).contains("6 addresses against 13").contains("max_shrink 40%");
        assertThat(lookup(directories, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Found.class);
        assertThat(syncs("refused")).isEqualTo(1);
        DirectoryStatus status = directories.status("corp").orElseThrow();
        assertThat(status.state()).isEqualTo("stale");
        assertThat(status.addresses()).isEqualTo(13);

        assertThat(directories.syncNow("corp", true).result()).isEqualTo("ok"); // an administrator's --force
        assertThat(lookup(directories, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Absent.class);
        assertThat(directories.status("corp").orElseThrow().state()).isEqualTo("ok");
    }

    @Test
    void aShrinkWithinMaxShrinkIsTaken() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        Directories directories = start(corp("[\"" + ldap.url() + "\"]")); // default 50%
        directories.syncNow("corp", false);
        ldap.delete("cn=Alice Example,ou=Users," + TestDirectory.BASE_DN); // 13 → 10
        assertThat(directories.syncNow("corp", false).result()).isEqualTo("ok");
        assertThat(lookup(directories, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Absent.class);
    }

    @Test
    void aDirectoryThatStopsMidSyncLeavesTheLastGoodSnapshotInForce() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        Directories directories = start(corp("[\"" + ldap.url() + "\"]"));
        directories.syncNow("corp", false);
        ldap.add("dn: cn=Dave,ou=Users," + TestDirectory.BASE_DN, "objectClass: user", "cn: Dave",
                "mail: dave@corp.example");
        ldap.failSearchesFromPage(2); // the first page is read, then the directory fails
        Directories.SyncResult failed = directories.syncNow("corp", false);
        assertThat(failed.result()).isEqualTo("failed");
        assertThat(failed.message()).contains("search failed").contains("unavailable");
        assertThat(lookup(directories, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Found.class);
        assertThat(lookup(directories, "dave@corp.example")).isInstanceOf(DirectoryAnswer.Absent.class);
        assertThat(syncs("failed")).isEqualTo(1);
        assertThat(registry.get("gatehouse.directory.snapshot.age").tag("directory", "corp").gauge().value())
                .isGreaterThanOrEqualTo(0);

        ldap.answerSearches();
        assertThat(directories.syncNow("corp", false).result()).isEqualTo("ok");
        assertThat(lookup(directories, "dave@corp.example")).isInstanceOf(DirectoryAnswer.Found.class);
    }

    @Test
    void failsOverToTheNextServerWhenTheFirstIsDown() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        int closed = LoopbackPorts.free();
        Directories directories = start(corp("[\"ldap://127.0.0.1:" + closed + "\", \"" + ldap.url() + "\"]"));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).as(result.message()).isEqualTo("ok");
        assertThat(lookup(directories, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Found.class);
    }

    @Test
    void aWrongPasswordFailsWithoutShowingIt() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        DirectoryConfig config = corp("[\"" + ldap.url() + "\"]");
        Files.writeString(config.bindPasswordFile().orElseThrow(), "wrong-password-Z9\n");
        Directories directories = start(config);
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).isEqualTo("failed");
        assertThat(result.message()).contains("invalid credentials").doesNotContain("wrong-password-Z9")
                .doesNotContain(TestDirectory.BIND_PASSWORD);
        assertThat(directories.status("corp").orElseThrow().state()).isEqualTo("unavailable");
    }

    @Test
    void takesThePasswordFromTheEnvironmentWithoutAFile() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        DirectoryConfig file = corp("[\"" + ldap.url() + "\"]");
        DirectoryConfig config = new DirectoryConfig(file.name(), file.servers(), file.startTls(), file.caFile(),
                file.bindDn(), java.util.Optional.empty(), file.baseDn(), file.kind(), file.attributes(), file.filter(),
                file.excludeDisabled(), file.syncEvery(), file.maxShrink(), file.pageSize(), file.connectTimeout(),
                file.searchTimeout());
        Directories directories = open(Directories.start(List.of(config), store, registry, Clock.systemUTC(),
                () -> Map.of("GATEHOUSE_LDAP_CORP_PASSWORD", TestDirectory.BIND_PASSWORD), false));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).as(result.message()).isEqualTo("ok");

        Directories without = open(Directories.start(List.of(config), store, new SimpleMeterRegistry(),
                Clock.systemUTC(), Map::of, false));
        Directories.SyncResult failed = without.syncNow("corp", false);
        assertThat(failed.result()).isEqualTo("failed");
        assertThat(failed.message()).contains("GATEHOUSE_LDAP_CORP_PASSWORD is not set");
    }

    @Test
    void withNoSnapshotAndNoDirectoryNobodyCanTell() throws Exception {
        Directories directories = start(corp("[\"ldap://127.0.0.1:" + LoopbackPorts.free() + "\"]", "connect_timeout: 2s"));
        assertThat(directories.syncNow("corp", false).result()).isEqualTo("failed");
        assertThat(lookup(directories, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Unavailable.class);
        assertThat(lookup(directories, "nobody@corp.example")).isInstanceOf(DirectoryAnswer.Unavailable.class);
        assertThat(registry.get("gatehouse.directory.snapshot.age").tag("directory", "corp").gauge().value()).isNaN();
    }

    @Test
    void aRestartAnswersFromTheStoredSnapshotBeforeTheDirectoryDoes() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        DirectoryConfig config = corp("[\"" + ldap.url() + "\"]");
        try (Directories first = Directories.start(List.of(config), store, new SimpleMeterRegistry(), Clock.systemUTC(),
                Map::of, false)) {
            first.syncNow("corp", false);
        }
        ldap.stop();
        Directories restarted = start(config);
        assertThat(lookup(restarted, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Found.class);
        assertThat(lookup(restarted, "nobody@corp.example")).isInstanceOf(DirectoryAnswer.Absent.class);
        assertThat(restarted.syncNow("corp", false).result()).isEqualTo("failed");
        assertThat(lookup(restarted, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Found.class);
    }

    @Test
    void anEmptySnapshotIsTakenAsABrokenDirectory() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        Directories directories = start(corp("[\"" + ldap.url() + "\"]", "filter: \"(objectClass=nothingLikeThis)\""));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).isEqualTo("refused");
        assertThat(lookup(directories, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Unavailable.class);
    }

    @Test
    void aDomainWithSeveralDirectoriesAcceptsFromAnyAndRejectsOnlyWhenAllAnswer() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        TestDirectory other = open(TestDirectory.start());
        other.add("dn: cn=Erin,ou=Users," + TestDirectory.BASE_DN, "objectClass: user", "cn: Erin",
                "mail: erin@corp.example");
        DirectoryConfig corp = corp("[\"" + ldap.url() + "\"]");
        DirectoryConfig emea = directory("emea", "[\"" + other.url() + "\"]");
        Directories directories = start(corp, emea);
        MailboxAddress erin = MailboxAddress.of("erin", "corp.example");
        assertThat(directories.syncNow("corp", false).result()).isEqualTo("ok");
        // emea not read yet: not in corp, and emea cannot say
        assertThat(directories.lookup(List.of("corp", "emea"), erin, "")).isInstanceOf(DirectoryAnswer.Unavailable.class);
        assertThat(directories.syncNow("emea", false).result()).isEqualTo("ok");
        assertThat(directories.lookup(List.of("corp", "emea"), erin, "")).isInstanceOf(DirectoryAnswer.Found.class);
        assertThat(directories.lookup(List.of("corp"), erin, "")).isInstanceOf(DirectoryAnswer.Absent.class);
        assertThat(directories.lookup(List.of("corp", "emea"), MailboxAddress.of("nobody", "corp.example"), ""))
                .isInstanceOf(DirectoryAnswer.Absent.class);
    }

    @Test
    void ldapsWithTheCaOfCaFile() throws Exception {
        TestCa ca = TestCa.create(directory.resolve("ca"), "Corp Test CA");
        TestDirectory ldap = open(TestDirectory.start(ca));
        Directories directories = start(corp("[\"" + ldap.ldapsUrl() + "\"]", "ca_file: " + ca.caFile()));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).as(result.message()).isEqualTo("ok");
    }

    @Test
    void startTlsWithTheCaOfCaFile() throws Exception {
        TestCa ca = TestCa.create(directory.resolve("ca"), "Corp Test CA");
        TestDirectory ldap = open(TestDirectory.start(ca));
        String url = ldap.url().replace("127.0.0.1", "localhost");
        Directories directories = start(corp("[\"" + url + "\"]", "start_tls: true", "ca_file: " + ca.caFile()));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).as(result.message()).isEqualTo("ok");
    }

    @Test
    void refusesAServerCertificateOfAnotherCa() throws Exception {
        TestCa ca = TestCa.create(directory.resolve("ca"), "Corp Test CA");
        TestCa other = TestCa.create(directory.resolve("other"), "Someone Else's CA");
        TestDirectory ldap = open(TestDirectory.start(ca));
        Directories directories = start(corp("[\"" + ldap.ldapsUrl() + "\"]", "ca_file: " + other.caFile()));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).isEqualTo("failed");
        assertThat(result.message()).contains(ldap.ldapsUrl());
    }

    @Test
    void refusesACertificateForAnotherHostName() throws Exception {
        TestCa ca = TestCa.create(directory.resolve("ca"), "Corp Test CA");
        TestDirectory ldap = open(TestDirectory.start(ca));
        String url = ldap.ldapsUrl().replace("localhost", "127.0.0.1"); // the certificate names localhost only
        Directories directories = start(corp("[\"" + url + "\"]", "ca_file: " + ca.caFile()));
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).isEqualTo("failed");
        assertThat(result.message()).contains(url);
    }
    @Test
    void followsThePolicyLiveAddingChangingAndRemovingDirectories() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        Directories directories = open(Directories.start(List.of(), store, registry, Clock.systemUTC(), Map::of, true));
        assertThat(lookup(directories, "alice@corp.example")).isInstanceOf(DirectoryAnswer.Unavailable.class);

        // added: read at once, in the background
        DirectoryConfig corp = corp("[\"" + ldap.url() + "\"]", "sync_every: 1h");
        directories.apply(List.of(corp));
        await().atMost(Duration.ofSeconds(30)).until(() -> lookup(directories, "support@corp.example")
                instanceof DirectoryAnswer.Found);
        assertThat(registry.get("gatehouse.directory.addresses").tag("directory", "corp").gauge().value())
                .isEqualTo(13);

        // unchanged: the same directory carries on, without a new sync
        double synced = syncs("ok");
        directories.apply(List.of(corp));
        assertThat(syncs("ok")).isEqualTo(synced);

        // changed (a filter without public folders) while the directory is down: the snapshot in force stays
        String url = ldap.url();
        ldap.stop();
        DirectoryConfig narrower = corp("[\"" + url + "\"]", "sync_every: 1h",
                "filter: \"(|(objectClass=user)(objectClass=group)(objectClass=contact))\"");
        directories.apply(List.of(narrower));
        await().atMost(Duration.ofSeconds(30)).until(() -> syncs("failed") >= 1);
        assertThat(lookup(directories, "support@corp.example")).isInstanceOf(DirectoryAnswer.Found.class);
        assertThat(directories.status("corp").orElseThrow().state()).isEqualTo("stale");
        // the new directory's gauges, not the retired one's: one of each, reading the snapshot in force
        assertThat(registry.find("gatehouse.directory.addresses").tag("directory", "corp").gauges()).hasSize(1);
        assertThat(registry.get("gatehouse.directory.addresses").tag("directory", "corp").gauge().value())
                .isEqualTo(13);

        // removed: its domains have no answer from it any more
        directories.apply(List.of());
        assertThat(directories.names()).isEmpty();
        assertThat(lookup(directories, "support@corp.example")).isInstanceOf(DirectoryAnswer.Unavailable.class);
        assertThat(registry.find("gatehouse.directory.addresses").gauges()).isEmpty();
    }

    @Test
    void usesThePasswordSetInTheStoreWhenThereIsNoPasswordFile() throws Exception {
        TestDirectory ldap = open(TestDirectory.start());
        DirectoryConfig stored = ConfigLoader.parsePolicy("directories: [{name: corp, servers: \"" + ldap.url()
                + "\", bind_dn: \"" + TestDirectory.BIND_DN + "\", base_dn: \"" + TestDirectory.BASE_DN
                + "\", page_size: 4}]").directories().getFirst();
        Directories directories = start(stored);
        assertThat(directories.syncNow("corp", false).message()).contains("none is set in the console")
                .contains("GATEHOUSE_LDAP_CORP_PASSWORD");
        store.passwords().set("corp", TestDirectory.BIND_PASSWORD, Instant.now(), Actor.commandLine());
        Directories.SyncResult result = directories.syncNow("corp", false);
        assertThat(result.result()).as(result.message()).isEqualTo("ok");
    }
}
