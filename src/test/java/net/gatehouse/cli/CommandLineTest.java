package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestDns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The commands of SPEC §1, run in-process as a user would type them. */
class CommandLineTest {

    @TempDir
    Path directory;

    private Path config;
    private TestDns dns;

    @BeforeEach
    void writeConfig() throws Exception {
        dns = TestDns.start();
        dns.mailDomain("elsewhere.example", "mx.elsewhere.example", "192.0.2.25");
        dns.nullMx("nomail.example");
        dns.servfail("broken.example");
        config = directory.resolve("gatehouse.yaml");
        Files.writeString(config, """
                hostname: gw.test
                data_dir: data
                dns:
                  servers: ["%s"]
                  timeout: 1s
                policy:
                  trusted_networks: ["10.0.0.0/8"]
                  recipient_verification: none
                  domains:
                    - { name: example.com, backend: ["127.0.0.1:2526"] }
                    - { name: listed.example, backend: ["127.0.0.1:2526"], verification: valid_list,
                        valid_recipients: ["alice@listed.example"] }
                """.formatted("127.0.0.1:" + dns.address().getPort()));
    }

    @AfterEach
    void stopDns() {
        dns.close();
    }

    private static CommandRun run(String... args) {
        return CommandRun.of("", args);
    }

    @ParameterizedTest(name = "check {0} from {1} exits {2}")
    @CsvSource(textBlock = """
            alice@example.com,          192.0.2.1, 0
            someone@elsewhere.example,  192.0.2.1, 5
            someone@elsewhere.example,  10.1.1.1,  0
            alice@listed.example,       192.0.2.1, 0
            bob@listed.example,         192.0.2.1, 5
            bob@listed.example,         10.1.1.1,  0
            not an address,             192.0.2.1, 5
            someone@nomail.example,     10.1.1.1,  5
            someone@broken.example,     10.1.1.1,  4
            """)
    void checkPrintsTheVerdictAndExitsWithItsClass(String address, String client, int expected) {
        CommandRun run = run("check", "--config", config.toString(), "--client", client, address);
        assertThat(run.exitCode()).isEqualTo(expected);
        assertThat(run.out()).contains("verdict:").contains("why:");
    }

    @Test
    void checkShowsTheCalloutChainForAValidAndAnUnknownAddress() throws Exception {
        try (TestBackend backend = TestBackend.start().onlyAccept("alice@verified.example")) {
            Path file = calloutConfig(backend);
            CommandRun valid = run("check", "--config", file.toString(), "alice@verified.example");
            assertThat(valid.exitCode()).isZero();
            assertThat(valid.out()).contains("verification callout").contains("callout: probe to backend 1 of 1")
                    .contains("the back-end accepts the address");
            CommandRun unknown = run("check", "--config", file.toString(), "nobody@verified.example");
            assertThat(unknown.exitCode()).isEqualTo(5);
            assertThat(unknown.out()).contains("the back-end refuses the address").contains("550 5.1.1");
        }
    }

    @Test
    void checkShowsACatchAllBackend() throws Exception {
        try (TestBackend backend = TestBackend.start().acceptAll()) {
            CommandRun run = run("check", "--config", calloutConfig(backend).toString(), "anyone@verified.example");
            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).contains("accepted unverified").contains("accepts addresses that cannot exist")
                    .contains("domain flagged by the catch-all check");
        }
    }

    @Test
    void checkShowsThatTrustedClientsAreNotVerified() throws Exception {
        try (TestBackend backend = TestBackend.start().onlyAccept("alice@verified.example")) {
            CommandRun run = run("check", "--config", calloutConfig(backend).toString(), "--client", "10.9.9.9",
                    "nobody@verified.example");
            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).contains("is in trusted_networks").contains("trusted clients are not verified");
        }
    }

    @Test
    void checkShowsADnsTimeoutAsATemporaryRefusal() {
        dns.silent("slow.example");
        CommandRun run = run("check", "--config", config.toString(), "--client", "10.1.1.1", "someone@slow.example");
        assertThat(run.exitCode()).isEqualTo(4);
        assertThat(run.out()).contains("DNS for slow.example: temporary DNS failure").contains("451 4.4.3");
    }

    private Path calloutConfig(TestBackend backend) throws Exception {
        Path file = directory.resolve("callout.yaml");
        Files.writeString(file, """
                hostname: gw.test
                data_dir: data
                callout: { timeout: 3s }
                policy:
                  trusted_networks: ["10.0.0.0/8"]
                  recipient_verification: callout
                  domains:
                    - { name: verified.example, backend: ["%s"] }
                """.formatted(backend.hostPort()));
        return file;
    }

    @Test
    void checkShowsTheDnsAnswer() {
        CommandRun run = run("check", "--config", config.toString(), "--client", "10.1.1.1", "someone@nomail.example");
        assertThat(run.out()).contains("DNS for nomail.example: null MX").contains("556 5.1.10");
    }

    @Test
    void checkExplainsARelayRefusal() {
        CommandRun run = run("check", "--config", config.toString(), "someone@elsewhere.example");
        assertThat(run.out()).contains("192.0.2.1 is not trusted").contains("not protected")
                .contains("permanent refusal (554 5.7.1");
    }

    @Test
    void aBadConfigurationExitsTwoNamingTheKey() throws Exception {
        Files.writeString(config, "smtp:\n  max_recipients: lots\n");
        CommandRun run = run("check", "--config", config.toString(), "alice@example.com");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("smtp.max_recipients");
    }

    @Test
    void queueListFlushAndDelete() throws Exception {
        Spool spool = new Spool(directory.resolve("data/spool"), 0);
        QueueId id = QueueId.next(System.currentTimeMillis());
        try (Spool.Writer writer = spool.begin(new Envelope(id, Instant.now(), "192.0.2.1", "client.test",
                "<sender@example.org>", List.of("<alice@example.com>"), false))) {
            writer.content().write("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
            writer.commit();
        }
        CommandRun list = run("queue", "list", "--config", config.toString());
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains(id.value()).contains(" sender@example.org\n").contains(" alice@example.com\n")
                .contains("-- 0 Kbytes in 1 Request.");

        assertThat(run("queue", "flush", "--config", config.toString()).exitCode()).isZero();
        assertThat(spool.takeFlushRequest()).isTrue();

        CommandRun delete = run("queue", "delete", "--config", config.toString(), id.value());
        assertThat(delete.exitCode()).isZero();
        assertThat(spool.ids()).isEmpty();
        assertThat(run("queue", "delete", "--config", config.toString(), id.value()).exitCode()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "demo", "check", "queue", "recipients", "policy", "domains", "networks", "user", "token",
            "version"})
    void everyCommandHasHelp(String command) {
        CommandRun run = run(command, "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: gatehouse " + command);
    }

    @Test
    void versionNamesJava() {
        assertThat(run("version").out()).startsWith("gatehouse ").contains("Java");
    }
}
