package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.GatewayProcess;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message acknowledged with 250 is never lost, and not delivered twice where that can be
 * avoided: the packaged gateway is killed with SIGKILL and started again on the same data_dir.
 */
class CrashRecoveryIT {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path directory;

    private static Reply send(int port, String to) throws Exception {
        try (SmtpTestClient client = SmtpTestClient.connect(port)) {
            client.command("EHLO client.test");
            return client.sendMail("sender@elsewhere.test", List.of(to), "Subject: survive\r\n\r\nplease\r\n");
        }
    }

    @Test
    void aMessageQueuedBeforeSigkillIsDeliveredAfterRestart() throws Exception {
        try (TestBackend backend = TestBackend.start()) {
            backend.stop();
            Path config = TestGateway.in(directory).protect("example.test", backend.hostPort()).writeConfig();
            try (GatewayProcess first = GatewayProcess.start("run", "--config", config.toString())) {
                assertThat(send(first.awaitPort(), "alice@example.test").code()).isEqualTo(250);
                first.kill();
            }
            backend.restart();
            try (GatewayProcess second = GatewayProcess.start("run", "--config", config.toString())) {
                second.awaitPort();
                assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly("alice@example.test");
                Thread.sleep(1000); // a window for a second delivery, which must not come: no event marks its absence
                assertThat(backend.transactions()).hasSize(1);
            }
        }
    }

    @Test
    void recipientsTheBackendAcceptedBeforeSigkillAreNotDeliveredAgain() throws Exception {
        try (TestBackend backend = TestBackend.start()) {
            backend.tempFailRecipient("bob@example.test");
            Path config = TestGateway.in(directory).protect("example.test", backend.hostPort())
                    .delivery("min_backoff: 1h").delivery("max_backoff: 1h").writeConfig();
            try (GatewayProcess first = GatewayProcess.start("run", "--config", config.toString())) {
                int port = first.awaitPort();
                try (SmtpTestClient client = SmtpTestClient.connect(port)) {
                    client.command("EHLO client.test");
                    assertThat(client.sendMail("sender@elsewhere.test", List.of("alice@example.test", "bob@example.test"),
                            "Subject: half\r\n\r\nhalf delivered\r\n").code()).isEqualTo(250);
                }
                assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly("alice@example.test");
                // Wait for the journal of the attempt: the log line comes after its fsync.
                org.awaitility.Awaitility.await().atMost(WAIT).until(() ->
                        first.output().stream().anyMatch(line -> line.contains(" status=deferred ")));
                first.kill();
            }
            backend.acceptAll();
            try (GatewayProcess second = GatewayProcess.start("run", "--config", config.toString())) {
                second.awaitPort();
                assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly("bob@example.test");
                Thread.sleep(1000); // a window for a second delivery, which must not come: no event marks its absence
                assertThat(backend.transactions()).hasSize(2);
            }
        }
    }

    @Test
    void sigtermDrainsAndExitsZero() throws Exception {
        try (TestBackend backend = TestBackend.start()) {
            Path config = TestGateway.in(directory).protect("example.test", backend.hostPort()).writeConfig();
            try (GatewayProcess gateway = GatewayProcess.start("run", "--config", config.toString())) {
                gateway.awaitPort();
                gateway.terminate();
                assertThat(gateway.awaitExit()).isZero();
                assertThat(gateway.output()).anyMatch(line -> line.contains("gateway_stopped"));
            }
        }
    }

    @Test
    void aBadConfigurationStopsStartUpWithExitCodeTwoNamingTheKey() throws Exception {
        Path config = directory.resolve("bad.yaml");
        java.nio.file.Files.writeString(config, "smtp:\n  max_recipient: 5\n");
        try (GatewayProcess gateway = GatewayProcess.start("run", "--config", config.toString())) {
            assertThat(gateway.awaitExit()).isEqualTo(2);
            assertThat(String.join("\n", gateway.output())).contains("smtp.max_recipient");
        }
    }
}
