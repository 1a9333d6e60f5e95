package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.GatewayProcess;
import net.gatehouse.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command: {@code gatehouse demo} does what the README says. */
class DemoIT {

    @TempDir
    Path directory;

    @Test
    void deliversToADemoMailboxAndRefusesRelaying() throws Exception {
        Path data = directory.resolve("data");
        try (GatewayProcess demo = GatewayProcess.start("demo", "--data-dir", data.toString(), "--port", "0",
                "--backend-port", "0")) {
            int port = demo.awaitPort();
            try (SmtpTestClient client = SmtpTestClient.connect(port)) {
                assertThat(client.command("EHLO swaks.test").lines()).contains("STARTTLS");
                client.startTls();
                client.command("EHLO swaks.test");
                Reply queued = client.sendMail("someone@sender.example", List.of("alice@example.com"),
                        "Subject: test from the README\r\n\r\nHello Alice.\r\n");
                assertThat(queued.code()).isEqualTo(250);
                assertThat(client.command("MAIL FROM:<someone@sender.example>").code()).isEqualTo(250);
                Reply relay = client.command("RCPT TO:<someone@elsewhere.example>");
                assertThat(relay.code() + " " + relay.enhanced()).isEqualTo("554 5.7.1");
            }
            Path alice = data.resolve("demo-mailboxes/alice");
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.isDirectory(alice) && count(alice) == 1);
            try (Stream<Path> files = Files.list(alice)) {
                String message = Files.readString(files.findFirst().orElseThrow());
                assertThat(message).contains("Received: from swaks.test").contains("with ESMTPS").contains("Hello Alice.");
            }
            assertThat(String.join("\n", demo.output())).contains("swaks --server 127.0.0.1:");
            demo.terminate();
            assertThat(demo.awaitExit()).isZero();
        }
        assertThat(data.resolve("demo-gatehouse.yaml")).exists();
        assertThat(data.resolve("tls/cert.pem")).exists();
    }

    private static long count(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.count();
        }
    }
}
