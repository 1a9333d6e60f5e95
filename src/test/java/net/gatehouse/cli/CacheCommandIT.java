package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import net.gatehouse.store.AuditLog;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse cache show|flush|probe} against a running gateway through its API, with a token
 * from a file: what an administrator sees, the exit codes, and the audit entries, which name the
 * token's user and the command line's door. Run in order on one gateway.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CacheCommandIT {

    private static final String POSTFIX_UNKNOWN =
            "550 5.1.1 <bob@example.test>: Recipient address rejected: User unknown in local recipient table";

    @TempDir
    static Path directory;
    private final TestBackend backend = TestBackend.start().onlyAccept("alice@example.test")
            .replyToRecipient("bob@example.test", POSTFIX_UNKNOWN);
    private TestGateway gateway;
    private AuditLog audit;
    private String url;
    private Path adminToken;
    private Path viewerToken;

    @BeforeAll
    void start() throws Exception {
        gateway = TestGateway.in(directory).console("127.0.0.1:0").protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout").callout("timeout: 5s")
                .consoleUser("ada", "admin").consoleUser("watcher", "viewer").start();
        adminToken = Files.writeString(directory.resolve("admin.token"),
                ConsoleClient.createToken(gateway.gateway(), "ada") + "\n");
        viewerToken = Files.writeString(directory.resolve("viewer.token"),
                ConsoleClient.createToken(gateway.gateway(), "watcher"));
        url = "http://127.0.0.1:" + gateway.gateway().consolePort().orElseThrow();
        audit = new AuditLog(gateway.gateway().database());
    }

    @AfterAll
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    private CommandRun cache(Path token, String... args) {
        String[] full = new String[args.length + 5];
        full[0] = "cache";
        full[1] = args[0];
        full[2] = "--url";
        full[3] = url;
        full[4] = "--token-file";
        full[5] = token.toString();
        System.arraycopy(args, 1, full, 6, args.length - 1);
        return CommandRun.of("", full);
    }

    @Test
    @Order(0)
    void showPrintsTheEntryWithTheBackendsReplyAsReceived() throws Exception {
        assertThat(gateway.rcpt("bob@example.test")).isEqualTo("550 5.1.1");

        CommandRun shown = cache(viewerToken, "show", "bob@example.test");
        assertThat(shown.exitCode()).as(shown.err()).isZero();
        assertThat(shown.out()).contains("verdict:    rejected")
                .contains("back-end:   " + POSTFIX_UNKNOWN)
                .contains("probe to backend 1 of 1 (" + backend.hostPort() + ")")
                .containsPattern("probe time: \\d+ ms");

        CommandRun missing = cache(viewerToken, "show", "nobody@example.test");
        assertThat(missing.exitCode()).isEqualTo(CacheCommand.EXIT_NOT_CACHED);
        assertThat(missing.err()).contains("404").contains("no cached verdict");
    }

    @Test
    @Order(1)
    void aViewersTokenMayNotFlushAndNoTokenIsABadUsage() throws Exception {
        CommandRun refused = cache(viewerToken, "flush", "bob@example.test");
        assertThat(refused.exitCode()).isEqualTo(CacheCommand.EXIT_REFUSED);
        assertThat(refused.err()).contains("403").contains("may not do this");

        CommandRun none = CommandRun.of("", "cache", "show", "--url", url, "bob@example.test");
        if (System.getenv("GATEHOUSE_API_TOKEN") == null) {
            assertThat(none.exitCode()).isEqualTo(CacheCommand.EXIT_USAGE);
            assertThat(none.err()).contains("GATEHOUSE_API_TOKEN").contains("--token-file");
        }
    }

    @Test
    @Order(2)
    void flushAnAddressIsAuditedAsTheCommandLinesDoorByTheTokensUser() throws Exception {
        CommandRun flushed = cache(adminToken, "flush", "bob@example.test");
        assertThat(flushed.exitCode()).as(flushed.err()).isZero();
        assertThat(flushed.out()).contains("flushed 1 cached verdict(s) of bob@example.test");
        AuditLog.Entry entry = audit.recent(1).getFirst();
        assertThat(entry.action()).isEqualTo("cache.flush");
        assertThat(entry.actor()).isEqualTo("ada");
        assertThat(entry.door()).isEqualTo("cli");
        assertThat(cache(adminToken, "show", "bob@example.test").exitCode()).isEqualTo(CacheCommand.EXIT_NOT_CACHED);
    }

    @Test
    @Order(3)
    void probeShowsTheNewEntry() throws Exception {
        CommandRun probed = cache(adminToken, "probe", "alice@example.test");
        assertThat(probed.exitCode()).as(probed.err()).isZero();
        assertThat(probed.out()).contains("probe:      accepted").contains("verdict:    accepted").contains("back-end:   250");
        assertThat(audit.recent(1).getFirst().action()).isEqualTo("cache.probe");
        assertThat(audit.recent(1).getFirst().door()).isEqualTo("cli");
    }

    @Test
    @Order(4)
    void flushADomainOrEverything() throws Exception {
        assertThat(gateway.rcpt("bob@example.test")).isEqualTo("550 5.1.1");
        CommandRun domain = cache(adminToken, "flush", "--domain", "example.test");
        assertThat(domain.exitCode()).as(domain.err()).isZero();
        assertThat(domain.out()).contains("flushed 2 cached verdict(s) of example.test");
        assertThat(audit.recent(1).getFirst().action()).isEqualTo("cache.flush_domain");

        assertThat(gateway.rcpt("alice@example.test")).isEqualTo("250 2.1.5");
        CommandRun all = cache(adminToken, "flush", "--all");
        assertThat(all.exitCode()).as(all.err()).isZero();
        assertThat(all.out()).contains("flushed 1 cached verdict(s)");
        assertThat(audit.recent(1).getFirst().action()).isEqualTo("cache.flush_all");

        CommandRun both = cache(adminToken, "flush", "--all", "--domain", "example.test");
        assertThat(both.exitCode()).as("--all and --domain exclude each other").isEqualTo(2);
    }
}
