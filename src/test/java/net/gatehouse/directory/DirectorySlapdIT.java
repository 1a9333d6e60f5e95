package net.gatehouse.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.testing.LoopbackPorts;
import net.gatehouse.testing.TestCa;
import net.gatehouse.testing.TestDirectory;
import net.gatehouse.testing.TestGateway;
import net.gatehouse.testing.TestSlapd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §8 over SMTP: the real gateway verifying recipients against a real OpenLDAP slapd holding
 * Active Directory shaped entries (testing/TestSlapd), read in pages past slapd's size limit.
 */
class DirectorySlapdIT {

    private static final Duration SYNCED = Duration.ofSeconds(60);

    @TempDir
    Path directory;

    private TestSlapd slapd;
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (slapd != null) {
            slapd.close();
        }
    }

    /** A gateway protecting corp.example and corp-alias.example with verification: directory. */
    private TestGateway gateway(Path home, String servers, String... keys) throws Exception {
        Path password = home.resolve("ldap.secret");
        Files.createDirectories(home);
        Files.writeString(password, TestDirectory.BIND_PASSWORD + "\n");
        return TestGateway.in(home)
                .policy("directories: [{ name: corp, servers: " + servers + ", bind_dn: \"" + TestDirectory.BIND_DN
                        + "\", bind_password_file: " + password + ", base_dn: \"" + TestDirectory.BASE_DN
                        + "\", kind: active_directory, page_size: 3, connect_timeout: 2s"
                        + (keys.length == 0 ? "" : ", " + String.join(", ", keys)) + " }]")
                .domain("{ name: corp.example, backend: [\"127.0.0.1:25\"], verification: directory, directory: corp }")
                .domain("{ name: corp-alias.example, backend: [\"127.0.0.1:25\"], verification: directory }");
    }

    private void awaitSnapshot() {
        await().atMost(SYNCED).until(() -> gateway.gateway().directories().status("corp").orElseThrow()
                .snapshotTakenAt().isPresent());
    }

    @Test
    void acceptsTheDirectorysRecipientsAndRejectsTheRest() throws Exception {
        slapd = TestSlapd.start(directory.resolve("slapd"));
        gateway = gateway(directory.resolve("gw"), "[\"" + slapd.url() + "\"]").start();
        awaitSnapshot();
        for (String known : new String[] {"alice@corp.example", "Alice@Corp.Example",
                "a.example@corp.example",      // a proxyAddresses alias (smtp:)
                "alice@corp-alias.example",     // the same directory serving a second domain
                "reception@corp.example",       // a disabled account: a shared mailbox
                "sales@corp.example",           // a group
                "pat.partner@corp.example",     // a contact
                "support@corp.example",         // a public folder
                "bob.other@corp.example",       // otherMailbox (RFC 1274 form)
                "carol.alt@corp.example"}) {    // mailAlternativeAddress
            assertThat(gateway.rcpt(known)).as(known).isEqualTo("250 2.1.5");
        }
        assertThat(gateway.rcpt("nobody@corp.example")).isEqualTo("550 5.1.1");
        assertThat(gateway.rcpt("ghost@corp.example")).as("an x500: value is no mail address").isEqualTo("550 5.1.1");
        assertThat(gateway.rcpt("alice.voice@corp.example")).as("a sip: value is no mail address").isEqualTo("550 5.1.1");
        DirectoryStatus status = gateway.gateway().directories().status("corp").orElseThrow();
        assertThat(status.entries()).isEqualTo(8);
        assertThat(status.addresses()).isEqualTo(13);
    }

    @Test
    void keepsServingTheSnapshotWhenSlapdStops() throws Exception {
        slapd = TestSlapd.start(directory.resolve("slapd"));
        gateway = gateway(directory.resolve("gw"), "[\"" + slapd.url() + "\"]").start();
        awaitSnapshot();
        slapd.stop();
        assertThat(gateway.gateway().directories().syncNow("corp", false).result()).isEqualTo("failed");
        assertThat(gateway.rcpt("alice@corp.example")).isEqualTo("250 2.1.5");
        assertThat(gateway.rcpt("nobody@corp.example")).isEqualTo("550 5.1.1");
        assertThat(gateway.gateway().directories().status("corp").orElseThrow().state()).isEqualTo("stale");
        assertThat(gateway.gateway().metrics().scrape()).contains("gatehouse_directory_snapshot_age_seconds{directory=\"corp\"}");

        // a restart takes the snapshot from the store: no waiting for the directory, no 451
        gateway.close();
        gateway = gateway(directory.resolve("gw"), "[\"" + slapd.url() + "\"]").start();
        assertThat(gateway.rcpt("alice@corp.example")).isEqualTo("250 2.1.5");
        assertThat(gateway.rcpt("nobody@corp.example")).isEqualTo("550 5.1.1");
    }

    @Test
    void aFreshGatewayWithoutDirectoryTempfailsEveryRecipient() throws Exception {
        gateway = gateway(directory.resolve("gw"), "[\"ldap://127.0.0.1:" + LoopbackPorts.free() + "\"]").start();
        await().atMost(SYNCED).until(() -> gateway.gateway().directories().status("corp").orElseThrow()
                .lastAttempt().isPresent());
        assertThat(gateway.rcpt("alice@corp.example")).isEqualTo("451 4.4.3");
        assertThat(gateway.rcpt("nobody@corp.example")).isEqualTo("451 4.4.3");
    }

    @Test
    void readsSlapdOverLdapsAndStartTlsWithTheCaOfCaFile() throws Exception {
        TestCa ca = TestCa.create(directory.resolve("ca"), "Corp Test CA");
        slapd = TestSlapd.start(directory.resolve("slapd"), ca);
        gateway = gateway(directory.resolve("gw"), "[\"" + slapd.ldapsUrl() + "\"]", "ca_file: " + ca.caFile()).start();
        awaitSnapshot();
        assertThat(gateway.rcpt("alice@corp.example")).isEqualTo("250 2.1.5");
        Directories.SyncResult startTls;
        try (TestGateway second = gateway(directory.resolve("gw2"), "[\"" + slapd.localhostUrl() + "\"]",
                "start_tls: true", "ca_file: " + ca.caFile()).start()) {
            startTls = second.gateway().directories().syncNow("corp", false);
        }
        assertThat(startTls.result()).as(startTls.message()).isEqualTo("ok");
    }

    @Test
    void excludeDisabledLeavesOutDisabledAccountsWhenAsked() throws Exception {
        slapd = TestSlapd.start(directory.resolve("slapd"));
        gateway = gateway(directory.resolve("gw"), "[\"" + slapd.url() + "\"]", "exclude_disabled: true").start();
        awaitSnapshot();
        assertThat(gateway.rcpt("alice@corp.example")).isEqualTo("250 2.1.5");
        assertThat(gateway.rcpt("reception@corp.example")).isEqualTo("550 5.1.1");
    }
}
