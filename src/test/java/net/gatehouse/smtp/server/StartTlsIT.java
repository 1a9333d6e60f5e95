package net.gatehouse.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STARTTLS on the inbound side (RFC 3207). */
class StartTlsIT {

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start();
    private TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).tls().start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        backend.close();
    }

    @Test
    void offersStartTlsAndForgetsTheSessionAfterIt() throws Exception {
        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            assertThat(client.command("EHLO client.test").lines()).contains("STARTTLS");
            client.command("MAIL FROM:<a@example.test>");
            client.startTls();
            // RFC 3207 4.2: the client must start over with EHLO.
            Reply beforeEhlo = client.command("MAIL FROM:<a@example.test>");
            assertThat(beforeEhlo.code()).isEqualTo(503);
            Reply ehlo = client.command("EHLO client.test");
            assertThat(ehlo.lines()).doesNotContain("STARTTLS");
            assertThat(client.command("STARTTLS").code()).isEqualTo(503);
            assertThat(client.sendMail("a@elsewhere.test", List.of("alice@example.test"), "Subject: tls\r\n\r\nsecret\r\n").code())
                    .isEqualTo(250);
        }
        TestBackend.Transaction delivered = backend.takeTransaction(Duration.ofSeconds(10));
        assertThat(delivered.text()).contains("with ESMTPS id");
    }

    @Test
    void discardsPlaintextCommandsInjectedBehindStartTls() throws Exception {
        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            client.command("EHLO client.test");
            // CVE-2011-0411: a man in the middle appends commands to the plaintext STARTTLS.
            client.send("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n");
            assertThat(client.read().code()).isEqualTo(220);
            client.startTlsAfterReply();
            client.command("EHLO client.test");
            // Had the injected MAIL been executed inside TLS, this would be a nested MAIL (503).
            assertThat(client.command("MAIL FROM:<real@example.test>").code()).isEqualTo(250);
        }
    }
}
