package net.gatehouse.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inbound dialogue of SPEC §3, over real sockets against the real gateway. */
class SmtpDialogueIT {

    @TempDir
    Path directory;

    private TestBackend backend;
    private TestGateway gateway;

    @BeforeEach
    void startBackend() {
        backend = TestBackend.start();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    private TestGateway gateway() {
        return TestGateway.in(directory).protect("example.test", backend.hostPort());
    }

    private static String codes(Reply reply) {
        return reply.code() + (reply.enhanced().isEmpty() ? "" : " " + reply.enhanced());
    }

    @Test
    void greetsAndAdvertisesTheExtensions() throws Exception {
        gateway = gateway().start();
        try (SmtpTestClient client = SmtpTestClient.open(gateway.port())) {
            Reply greeting = client.read();
            assertThat(greeting.code()).isEqualTo(220);
            assertThat(greeting.text()).startsWith("gw.test ESMTP");
            Reply ehlo = client.command("EHLO client.test");
            assertThat(ehlo.code()).isEqualTo(250);
            assertThat(ehlo.lines()).contains("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8")
                    .anyMatch(line -> line.startsWith("SIZE "))
                    .doesNotContain("STARTTLS"); // no tls configured
            assertThat(codes(client.command("HELO client.test"))).isEqualTo("250");
        }
    }

    @Test
    void answersEveryCommandWithTheRightCode() throws Exception {
        gateway = gateway().smtp("max_errors: 50").start();
        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            assertThat(codes(client.command("MAIL FROM:<a@example.test>"))).isEqualTo("503 5.5.1");
            client.command("EHLO client.test");
            assertThat(codes(client.command("RCPT TO:<alice@example.test>"))).isEqualTo("503 5.5.1");
            assertThat(codes(client.command("DATA"))).isEqualTo("503 5.5.1");
            assertThat(codes(client.command("NOOP"))).isEqualTo("250 2.0.0");
            assertThat(codes(client.command("HELP"))).isEqualTo("214 2.0.0");
            assertThat(codes(client.command("VRFY alice"))).isEqualTo("252 2.5.2");
            assertThat(codes(client.command("EXPN staff"))).isEqualTo("502 5.5.1");
            assertThat(codes(client.command("AUTH PLAIN x"))).isEqualTo("502 5.5.1");
            assertThat(codes(client.command("STARTTLS"))).isEqualTo("502 5.5.1");
            assertThat(codes(client.command("XYZZY"))).isEqualTo("500 5.5.2");
            assertThat(codes(client.command("MAIL FROM:<a@example.test>"))).isEqualTo("250 2.1.0");
            assertThat(codes(client.command("MAIL FROM:<a@example.test>"))).isEqualTo("503 5.5.1");
            assertThat(codes(client.command("DATA"))).isEqualTo("554 5.5.1");
            assertThat(codes(client.command("RCPT TO:<alice@example.test"))).isEqualTo("501 5.1.3");
            assertThat(codes(client.command("RCPT TO:<alice@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(codes(client.command("RSET"))).isEqualTo("250 2.0.0");
            assertThat(codes(client.command("RCPT TO:<alice@example.test>"))).isEqualTo("503 5.5.1");
            assertThat(codes(client.command("QUIT"))).isEqualTo("221 2.0.0");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void refusesRelayingOverSmtp() throws Exception {
        gateway = gateway().start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<someone@elsewhere.test>");
            for (String trick : List.of("user@elsewhere.test", "user%elsewhere.test@example.test",
                    "\"user@elsewhere.test\"@example.test", "user@elsewhere.test@example.test",
                    "@example.test:user@elsewhere.test", "elsewhere.test!user@example.test",
                    "user@example.test.", "user@[127.0.0.1]", "user@EXAMPLE.TEST.elsewhere.test")) {
                assertThat(codes(client.command("RCPT TO:<" + trick + ">"))).as(trick).isEqualTo("554 5.7.1");
            }
            assertThat(codes(client.command("RCPT TO:<Alice@EXAMPLE.test>"))).isEqualTo("250 2.1.5");
        }
    }

    @Test
    void disconnectsAfterTooManyErrors() throws Exception {
        gateway = gateway().smtp("max_errors: 3").start();
        try (SmtpTestClient client = gateway.client()) {
            assertThat(codes(client.command("BOGUS"))).isEqualTo("500 5.5.2");
            assertThat(codes(client.command("BOGUS"))).isEqualTo("500 5.5.2");
            assertThat(codes(client.command("BOGUS"))).isEqualTo("421 4.7.0");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void refusesOverlongCommandLinesAndCarriesOn() throws Exception {
        gateway = gateway().start();
        try (SmtpTestClient client = gateway.client()) {
            assertThat(codes(client.command("NOOP " + "x".repeat(5000)))).isEqualTo("500 5.5.2");
            assertThat(codes(client.command("NOOP"))).isEqualTo("250 2.0.0");
        }
    }

    @Test
    void limitsRecipientsPerMessage() throws Exception {
        gateway = gateway().smtp("max_recipients: 2").start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@example.test>");
            assertThat(codes(client.command("RCPT TO:<r1@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(codes(client.command("RCPT TO:<r2@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(codes(client.command("RCPT TO:<r3@example.test>"))).isEqualTo("452 4.5.3");
        }
    }

    @Test
    void recipientsOverTheLimitAreNotErrorsSoTheMessageStillGoes() throws Exception {
        // the defaults' ratio: max_errors 10, so a message to 110 recipients used to end in 421
        gateway = gateway().smtp("max_recipients: 5").smtp("max_errors: 3").start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@example.test>");
            for (int i = 1; i <= 5; i++) {
                assertThat(codes(client.command("RCPT TO:<r" + i + "@example.test>"))).isEqualTo("250 2.1.5");
            }
            for (int i = 6; i <= 20; i++) {
                assertThat(codes(client.command("RCPT TO:<r" + i + "@example.test>"))).isEqualTo("452 4.5.3");
            }
            assertThat(client.command("DATA").code()).isEqualTo(354);
            assertThat(codes(client.command("Subject: many\r\n\r\nto many\r\n."))).isEqualTo("250 2.0.0");
        }
        assertThat(backend.takeTransaction(Duration.ofSeconds(10)).recipients()).hasSize(5);
    }

    @Test
    void refusesAMessageWithALineLongerThanTheRfcAllowsRatherThanRelayIt() throws Exception {
        gateway = gateway().start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@example.test>");
            client.command("RCPT TO:<alice@example.test>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Subject: long\r\n\r\n" + "x".repeat(1 << 20) + "\r\n");
            assertThat(codes(client.command("."))).isEqualTo("550 5.6.0");
            assertThat(client.sendMail("a@example.test", List.of("alice@example.test"),
                    "Subject: fine\r\n\r\n" + "x".repeat(998) + "\r\n").code()).isEqualTo(250);
        }
        assertThat(backend.takeTransaction(Duration.ofSeconds(10)).text()).contains("Subject: fine");
        assertThat(backend.transactions()).hasSize(1);
    }

    @Test
    void countsOnlyAcceptedRecipientsAgainstTheLimit() throws Exception {
        gateway = gateway().smtp("max_recipients: 2").start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@example.test>");
            // refused recipients (relaying) leave room for the valid ones, as Postfix's smtpd_recipient_limit does
            for (int i = 0; i < 3; i++) {
                assertThat(codes(client.command("RCPT TO:<x" + i + "@elsewhere.test>"))).isEqualTo("554 5.7.1");
            }
            assertThat(codes(client.command("RCPT TO:<r1@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(codes(client.command("RCPT TO:<r2@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(codes(client.command("RCPT TO:<r3@example.test>"))).isEqualTo("452 4.5.3");
        }
    }

    @Test
    void refusesMessagesOverTheSizeLimitBeforeAndDuringData() throws Exception {
        gateway = gateway().smtp("max_message_size: 1KiB").start();
        try (SmtpTestClient client = gateway.client()) {
            assertThat(codes(client.command("MAIL FROM:<a@example.test> SIZE=2048"))).isEqualTo("552 5.3.4");
            assertThat(codes(client.command("MAIL FROM:<a@example.test> SIZE=100"))).isEqualTo("250 2.1.0");
            client.command("RCPT TO:<alice@example.test>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Subject: big\r\n\r\n" + "x".repeat(2000) + "\r\n");
            assertThat(codes(client.command("."))).isEqualTo("552 5.3.4");
            // The session goes on and nothing was queued.
            assertThat(codes(client.command("NOOP"))).isEqualTo("250 2.0.0");
        }
        assertThat(gateway.gateway().spool().ids()).isEmpty();
    }

    @Test
    void answersPipelinedCommandsInOrderInOneBatch() throws Exception {
        gateway = gateway().start();
        try (SmtpTestClient client = gateway.client()) {
            client.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<alice@example.test>\r\n"
                    + "RCPT TO:<x@elsewhere.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
            List<String> replies = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                replies.add(codes(client.read()));
            }
            assertThat(replies).containsExactly("250 2.1.0", "250 2.1.5", "554 5.7.1", "250 2.1.5", "354");
            client.send("Subject: pipelined\r\n\r\nhello\r\n.\r\nQUIT\r\n");
            Reply queued = client.read();
            assertThat(queued.code()).isEqualTo(250);
            assertThat(queued.text()).startsWith("Ok: queued as ");
            assertThat(codes(client.read())).isEqualTo("221 2.0.0");
        }
        TestBackend.Transaction delivered = backend.takeTransaction(Duration.ofSeconds(10));
        assertThat(delivered.recipients()).containsExactly("alice@example.test", "bob@example.test");
    }

    @Test
    void refusesEarlyTalkers() throws Exception {
        gateway = gateway().smtp("greet_pause: 300ms").start();
        try (SmtpTestClient client = SmtpTestClient.open(gateway.port())) {
            client.sendLine("EHLO too.early");
            assertThat(codes(client.read())).isEqualTo("554 5.5.1");
            assertThat(client.isClosedByServer()).isTrue();
        }
        try (SmtpTestClient patient = SmtpTestClient.connect(gateway.port())) {
            assertThat(patient.command("EHLO patient.test").code()).isEqualTo(250);
        }
    }

    @Test
    void closesIdleSessionsAfterTheCommandTimeout() throws Exception {
        gateway = gateway().smtp("command_timeout: 300ms").start();
        try (SmtpTestClient client = gateway.client()) {
            assertThat(codes(client.read())).isEqualTo("421 4.4.2");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void limitsConnectionsPerClient() throws Exception {
        gateway = gateway().smtp("max_connections_per_ip: 2").start();
        try (SmtpTestClient first = SmtpTestClient.connect(gateway.port());
             SmtpTestClient second = SmtpTestClient.connect(gateway.port());
             SmtpTestClient third = SmtpTestClient.open(gateway.port())) {
            assertThat(codes(third.read())).isEqualTo("421 4.7.0");
            assertThat(first.command("NOOP").code()).isEqualTo(250);
            assertThat(second.command("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void requiresSmtpUtf8ForInternationalAddresses() throws Exception {
        gateway = gateway().start();
        try (SmtpTestClient client = gateway.client()) {
            assertThat(codes(client.command("MAIL FROM:<josé@example.test>"))).isEqualTo("553 5.6.7");
            assertThat(codes(client.command("MAIL FROM:<josé@example.test> SMTPUTF8"))).isEqualTo("250 2.1.0");
            assertThat(codes(client.command("RCPT TO:<zoë@example.test>"))).isEqualTo("250 2.1.5");
            // bytes that are not UTF-8 (Latin-1 "jörg") are a syntax error, never a probe
            client.send("RCPT TO:<j".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            client.send(new byte[] {(byte) 0xf6});
            assertThat(codes(client.command("rg@example.test>"))).isEqualTo("501 5.1.3");
        }
    }

    @Test
    void normalisesSmuggledLinesSoTheBackendSeesOneMessage() throws Exception {
        gateway = gateway().start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@example.test>");
            client.command("RCPT TO:<alice@example.test>");
            client.command("DATA");
            client.send("Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<evil@example.test>\nRCPT TO:<bob@example.test>\n"
                    + "DATA\nSubject: smuggled\n\nbad\r\n.\r\n");
            assertThat(client.read().code()).isEqualTo(250);
        }
        TestBackend.Transaction delivered = backend.takeTransaction(Duration.ofSeconds(10));
        assertThat(delivered.recipients()).containsExactly("alice@example.test");
        assertThat(delivered.text()).contains("MAIL FROM:<evil@example.test>"); // as content
        assertThat(delivered.text().replace("\r\n", "")).doesNotContain("\n");
        Thread.sleep(300); // a window for a smuggled second message, which must not come
        assertThat(backend.transactions()).hasSize(1);
    }

    @Test
    void refusesSmuggledLinesWhenConfiguredTo() throws Exception {
        gateway = gateway().smtp("bare_line_endings: reject").start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@example.test>");
            client.command("RCPT TO:<alice@example.test>");
            client.command("DATA");
            client.send("Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<evil@example.test>\r\n.\r\n");
            assertThat(codes(client.read())).isEqualTo("550 5.6.0");
        }
        assertThat(gateway.gateway().spool().ids()).isEmpty();
    }

    @Test
    void refusesMailWhenTheSpoolDiskIsFull() throws Exception {
        gateway = gateway().smtp("min_free_space: 1000000GiB").start();
        try (SmtpTestClient client = gateway.client()) {
            assertThat(codes(client.command("MAIL FROM:<a@example.test>"))).isEqualTo("452 4.3.1");
        }
    }

    @Test
    void answers452WhenTheSpoolCannotBeWritten() throws Exception {
        gateway = gateway().start();
        Path incoming = gateway.dataDir().resolve("spool/incoming");
        java.nio.file.Files.delete(incoming);
        java.nio.file.Files.writeString(incoming, "a file where the directory should be");
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@example.test>");
            client.command("RCPT TO:<alice@example.test>");
            assertThat(codes(client.command("DATA"))).isEqualTo("452 4.3.1");
        }
        assertThat(gateway.gateway().spool().ids()).isEmpty();
    }
}
