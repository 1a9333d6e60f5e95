package net.gatehouse.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.testing.ExternalCommand;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.PostfixInstance;
import net.gatehouse.testing.PythonSmtplib;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.Swaks;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Postfix as the back-end behind the packaged gateway: a domain with real Maildir mailboxes whose
 * SMTP server rejects unknown users at RCPT TO, as the README asks of a back-end. What Postfix
 * saw (its log, its mailboxes) is the evidence.
 */
class PostfixBackendInteropIT {

    private static PostfixInstance backend;

    @TempDir
    Path directory;

    private PackagedGateway gateway;

    @BeforeAll
    static void startBackend() throws Exception {
        backend = PostfixInstance.named("backend.test").mailboxes("example.test", "alice", "bob", "carol", "dave").start();
    }

    @AfterAll
    static void stopBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @AfterEach
    void stopGateway() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
    }

    private TestGateway callout() {
        return TestGateway.in(directory).protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout").callout("timeout: 3s");
    }

    private String rcpt(String recipient) {
        return Swaks.to(gateway.port(), "--to", recipient, "--quit-after", "RCPT").replyTo("RCPT TO:<" + recipient + ">");
    }

    @Test
    void verifiesRecipientsWithPostfixAndRejectsUnknownUsersAtRcpt() throws Exception {
        gateway = PackagedGateway.start(callout());

        assertThat(rcpt("alice@example.test")).isEqualTo("250 2.1.5");
        Swaks.Transcript unknown = Swaks.to(gateway.port(), "--to", "nobody@example.test", "--quit-after", "RCPT");
        assertThat(unknown.replyTo("RCPT TO:<nobody@example.test>")).isEqualTo("550 5.1.1");
        // Postfix's own words (its table, its host name) are not passed on to the client
        assertThat(unknown.output()).doesNotContain("virtual mailbox table").doesNotContain("backend.test");

        // Postfix saw a probe with the null sender and refused it, and no message was ever queued
        assertThat(backend.awaitLog("NOQUEUE: reject: RCPT from \\S+: 550 5\\.1\\.1 <nobody@example\\.test>.*from=<> ",
                Duration.ofSeconds(5))).contains("helo=<gw.test>");
        assertThat(backend.logLines("qmgr.*from=<>")).isEmpty();
        assertThat(backend.messages("alice@example.test")).isEmpty();
    }

    @Test
    void deliversAcceptedMailToTheMailboxByteForByte() throws Exception {
        gateway = PackagedGateway.start(callout());
        String content = String.join("\r\n",
                "From: Sender <sender@elsewhere.test>",
                "To: Bob <bob@example.test>",
                "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= byte for byte",
                "Message-ID: <interop-1@elsewhere.test>",
                "Date: Mon, 2 Jun 2025 10:00:00 +0000",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit",
                "X-Folded: first part",
                "\tsecond part",
                "",
                "Grüße aus Köln: 8-bit text.",
                ".a line that starts with a dot",
                "..two dots",
                ".",
                "From the start of a line (not an mbox separator)",
                "trailing spaces   ",
                "\ttab-indented",
                "x".repeat(990),
                "",
                "",
                "the end") + "\r\n";
        Path message = directory.resolve("message.eml");
        Files.writeString(message, content);

        PythonSmtplib.Session session = PythonSmtplib.run(gateway.port(), "--from", "sender@elsewhere.test",
                "--to", "bob@example.test", "--to", "nobody@example.test", "--message", message.toString());
        assertThat(PythonSmtplib.Session.codes(session.values("rcpt").get(0))).as(session.toString()).isEqualTo("250 2.1.5");
        assertThat(PythonSmtplib.Session.codes(session.values("rcpt").get(1))).as(session.toString()).isEqualTo("550 5.1.1");
        assertThat(PythonSmtplib.Session.codes(session.value("data"))).as(session.toString()).isEqualTo("250 2.0.0");

        byte[] delivered = backend.awaitMessages("bob@example.test", 1, Duration.ofSeconds(20)).getFirst();
        String stored = new String(delivered, StandardCharsets.UTF_8);
        // Maildir keeps LF line endings; the trace headers Postfix and Gatehouse add come first
        assertThat(withoutTraceHeaders(stored)).isEqualTo(content.replace("\r\n", "\n"));
        assertThat(stored).containsPattern("(?m)^Received: from python\\.test \\(\\[127\\.0\\.0\\.1]\\)\n\tby gw\\.test \\(Gatehouse\\)")
                .contains("Return-Path: <sender@elsewhere.test>").contains("Delivered-To: bob@example.test");
        assertThat(backend.logLines("to=<bob@example\\.test>, relay=virtual.*status=sent")).hasSize(1);
    }

    /** The message below the headers Postfix prepends at delivery and the Received: of the gateway. */
    private static String withoutTraceHeaders(String stored) {
        List<String> lines = stored.lines().toList();
        int i = 0;
        while (i < lines.size() && lines.get(i).matches("(?i)(Return-Path|X-Original-To|Delivered-To|Received):.*")) {
            i++;
            while (i < lines.size() && (lines.get(i).startsWith(" ") || lines.get(i).startsWith("\t"))) {
                i++;
            }
        }
        return String.join("\n", lines.subList(i, lines.size())) + "\n";
    }

    /**
     * Issue 15 point 7: RET, ENVID, NOTIFY and ORCPT go on to Postfix, which offers DSN. The
     * evidence is what Postfix itself sends the sender, whose mailbox is on the same Postfix: a
     * success notice for the recipient with NOTIFY=SUCCESS (it sends none without), a failure
     * notice for the one it cannot deliver, both with the ENVID and the ORCPTs, the failure notice
     * returning the whole message because RET=FULL came through (Postfix's default, as
     * Gatehouse's, is the headers). An instance of its own, which accepts unknown users at RCPT
     * and bounces them later, so that the other tests' logs and mailboxes stay as they expect.
     */
    @Test
    void relaysTheDsnParametersToPostfixWhichReportsWithThem() throws Exception {
        try (PostfixInstance dsnBackend = PostfixInstance.named("dsn-backend.test").mailboxes("example.test", "alice", "bob")
                .main("smtpd_reject_unlisted_recipient = no").start()) {
            gateway = PackagedGateway.start(TestGateway.in(directory).protect("example.test", dsnBackend.hostPort()));
            try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
                assertThat(client.command("EHLO client.test").lines()).contains("DSN");
                assertThat(client.command("MAIL FROM:<alice@example.test> RET=FULL ENVID=interop+2Benvid-1").code())
                        .isEqualTo(250);
                assertThat(client.command("RCPT TO:<bob@example.test> NOTIFY=SUCCESS ORCPT=rfc822;Bob+2Boriginal@example.test")
                        .toString()).startsWith("250 2.1.5");
                assertThat(client.command("RCPT TO:<ghost@example.test> NOTIFY=FAILURE ORCPT=rfc822;ghost@old.example.test")
                        .toString()).startsWith("250 2.1.5");
                assertThat(client.command("DATA").code()).isEqualTo(354);
                client.send("From: <alice@example.test>\r\nTo: <bob@example.test>\r\nSubject: dsn interop\r\n\r\n"
                        + "a body only RET=FULL brings back\r\n");
                assertThat(client.command(".").code()).isEqualTo(250);
            }

            assertThat(new String(dsnBackend.awaitMessages("bob@example.test", 1, Duration.ofSeconds(20)).getFirst(),
                    StandardCharsets.UTF_8)).contains("Subject: dsn interop");
            List<String> notices = dsnBackend.awaitMessages("alice@example.test", 2, Duration.ofSeconds(30)).stream()
                    .map(bytes -> new String(bytes, StandardCharsets.UTF_8)).toList();
            String success = notices.stream().filter(n -> n.contains("Action: delivered")).findFirst().orElseThrow();
            assertThat(success)
                    .contains("Subject: Successful Mail Delivery Report")
                    .contains("Original-Envelope-Id: interop+envid-1")
                    .contains("Final-Recipient: rfc822; bob@example.test\nOriginal-Recipient: rfc822;Bob+original@example.test")
                    .doesNotContain("ghost@example.test");
            String failure = notices.stream().filter(n -> n.contains("Action: failed")).findFirst().orElseThrow();
            assertThat(failure)
                    .contains("Original-Envelope-Id: interop+envid-1")
                    .contains("Final-Recipient: rfc822; ghost@example.test\nOriginal-Recipient: rfc822;ghost@old.example.test")
                    .contains("Content-Type: message/rfc822")
                    .contains("a body only RET=FULL brings back")
                    .doesNotContain("Final-Recipient: rfc822; bob@example.test");
            assertThat(dsnBackend.logLines("sender delivery status notification")).hasSize(1);
            assertThat(dsnBackend.logLines("sender non-delivery notification")).hasSize(1);
        }
    }

    @Test
    void tempFailsNewAddressesWhileThePostfixIsDownAndDeliversTheQueueWhenItReturns() throws Exception {
        gateway = PackagedGateway.start(callout().delivery("min_backoff: 1s").delivery("max_backoff: 2s")
                .policy("cache: { tempfail_hold: 1s }"));
        assertThat(rcpt("carol@example.test")).isEqualTo("250 2.1.5");   // verified and cached

        backend.stop();
        try {
            assertThat(rcpt("never-seen@example.test")).isEqualTo("451 4.4.3");
            Swaks.Transcript sent = Swaks.to(gateway.port(), "--to", "carol@example.test",
                    "--header", "Subject: queued while the back-end was down");
            assertThat(sent.replyTo("RCPT TO:<carol@example.test>")).isEqualTo("250 2.1.5");
            assertThat(sent.replies().getLast().codes()).as(sent.toString()).isEqualTo("221 2.0.0");
            assertThat(sent.output()).contains("Ok: queued as");
            gateway.awaitLog("postfix/smtp\\[\\d+]: \\w+: to=<carol@example\\.test>, .*status=deferred ", Duration.ofSeconds(10));
            assertThat(backend.messages("carol@example.test")).isEmpty();
        } finally {
            backend.start();
        }
        List<byte[]> delivered = backend.awaitMessages("carol@example.test", 1, Duration.ofSeconds(20));
        assertThat(new String(delivered.getFirst(), StandardCharsets.UTF_8)).contains("Subject: queued while the back-end was down");
        // the temporary failure was held down for tempfail_hold only, never cached as an answer
        assertThat(rcpt("never-seen@example.test")).isEqualTo("550 5.1.1");
    }

    @Test
    void flagsPostfixAsCatchAllOnceItAcceptsEveryAddress() throws Exception {
        // Postfix applies a reload to new connections only: probe connections are not kept idle here,
        // or the check would go on asking an smtpd that still runs the old configuration
        gateway = PackagedGateway.start(callout().callout("catch_all_recheck: 1s").callout("idle_timeout: 500ms")
                .console("127.0.0.1:0"));
        assertThat(rcpt("dave@example.test")).isEqualTo("250 2.1.5");
        assertThat(rcpt("nobody@example.test")).isEqualTo("550 5.1.1");
        assertThat(gateway.metrics()).containsPattern("(?m)^gatehouse_callout_catchall_domains(\\{[^}]*})? 0(\\.0)?$");

        // Postfix told to accept unknown users at RCPT and bounce them later: Plesk's default, the seed's problem
        backend.postconf("smtpd_reject_unlisted_recipient = no");
        backend.reload();
        try {
            Thread.sleep(1500); // past catch_all_recheck, so that the next RCPT starts a new check
            rcpt("dave@example.test");
            String flagged = gateway.awaitLog("callout_catch_all domain=example\\.test", Duration.ofSeconds(15));
            assertThat(flagged).contains("fix=");
            assertThat(backend.logLines("gatehouse-catchall-check-[0-9a-f]+@example\\.test")).isNotEmpty();
            assertThat(gateway.metrics()).containsPattern("(?m)^gatehouse_callout_catchall_domains(\\{[^}]*})? 1(\\.0)?$");
            assertThat(rcpt("someone-new@example.test")).isEqualTo("250 2.1.5");

            ExternalCommand.Result check = gateway.check("someone-else@example.test");
            assertThat(check.exitCode()).as(check.output()).isZero();
            assertThat(check.output()).contains("accepted unverified").contains("cannot exist");
        } finally {
            backend.postconf("smtpd_reject_unlisted_recipient = yes");
            backend.reload();
        }
    }
}
