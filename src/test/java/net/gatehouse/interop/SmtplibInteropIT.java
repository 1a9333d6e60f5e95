package net.gatehouse.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.PostfixInstance;
import net.gatehouse.testing.PythonSmtplib;
import net.gatehouse.testing.PythonSmtplib.Session;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python's smtplib as a second client implementation against the packaged gateway
 * ({@code interop/smtplib_client.py}): EHLO, STARTTLS, {@code send_message} with its automatic
 * {@code SIZE=}, and the replies it reports, with Postfix as the back-end.
 */
class SmtplibInteropIT {

    @TempDir
    static Path directory;

    private static PostfixInstance backend;
    private static PackagedGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        backend = PostfixInstance.named("backend.test").mailboxes("example.test", "alice", "bob").start();
        gateway = PackagedGateway.start(TestGateway.in(directory).tls().protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout").callout("timeout: 3s").smtp("max_message_size: 64KiB"));
    }

    @AfterAll
    static void stop() throws Exception {
        try (PostfixInstance b = backend) {
            if (gateway != null) {
                gateway.close();
            }
        }
    }

    @Test
    void sendsAMessageOverStartTlsAndLearnsWhichRecipientWasRefused() throws Exception {
        Session session = PythonSmtplib.run(gateway.port(), "--starttls", "--from", "sender@elsewhere.test",
                "--to", "alice@example.test", "--to", "nobody@example.test", "--subject", "from smtplib");
        assertThat(session.exitCode()).as(session.toString()).isZero();
        assertThat(session.value("ehlo")).startsWith("250 gw.test");
        assertThat(session.values("feature")).contains("starttls", "pipelining", "8bitmime", "smtputf8", "size",
                "enhancedstatuscodes");
        assertThat(Session.codes(session.value("starttls"))).isEqualTo("220 2.0.0");
        assertThat(session.value("tls_version")).matches("TLSv1\\.[23]");
        assertThat(session.values("feature_after_tls")).doesNotContain("starttls").contains("pipelining");
        assertThat(session.value("sent")).isEqualTo("yes");
        assertThat(session.values("refused")).singleElement().satisfies(refused ->
                assertThat(refused).startsWith("nobody@example.test 550 5.1.1"));
        assertThat(Session.codes(session.value("quit"))).isEqualTo("221 2.0.0");

        String delivered = new String(backend.awaitMessages("alice@example.test", 1, Duration.ofSeconds(20)).getLast(),
                StandardCharsets.UTF_8);
        assertThat(delivered).contains("Subject: from smtplib").contains("Sent by Python's smtplib.")
                .containsPattern("Received: from python\\.test \\(\\[127\\.0\\.0\\.1]\\)\n\tby gw\\.test \\(Gatehouse\\) with ESMTPS");
    }

    @Test
    void isRefusedAtMailWhenItsDeclaredSizeIsOverTheLimit() {
        Session session = PythonSmtplib.run(gateway.port(), "--from", "sender@elsewhere.test", "--to", "bob@example.test",
                "--body", "z".repeat(70_000));
        assertThat(session.value("sent")).as(session.toString()).isEqualTo("no");
        assertThat(Session.codes(session.value("error"))).isEqualTo("552 5.3.4");
        assertThat(backend.messages("bob@example.test")).isEmpty();
    }

    @Test
    void isToldWhenEveryRecipientIsRefused() {
        Session session = PythonSmtplib.run(gateway.port(), "--from", "sender@elsewhere.test",
                "--to", "nobody@example.test", "--to", "someone@elsewhere.test");
        assertThat(session.value("sent")).as(session.toString()).isEqualTo("no");
        assertThat(session.values("refused").stream().map(Session::codes))
                .containsExactly("550 5.1.1", "554 5.7.1");
    }
}
