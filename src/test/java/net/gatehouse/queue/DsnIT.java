package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 3461 end to end (issue 15 point 7, SPEC §9): the gateway takes DSN parameters, keeps them
 * with the message, relays them to a back-end that offers DSN, and honours them itself otherwise:
 * NOTIFY decides which reports it sends, RET how much of the message goes back, ENVID and ORCPT
 * appear in the reports. The senders' domain is protected too, so that the reports the gateway
 * sends arrive at a back-end of their own.
 */
class DsnIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String MESSAGE = "From: <writer@senders.test>\r\nTo: <alice@example.test>\r\n"
            + "Subject: hello\r\n\r\nThe body, which only RET=FULL returns.\r\n";

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start();
    private final TestBackend senders = TestBackend.start();
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
        senders.close();
    }

    private TestGateway gateway() {
        return TestGateway.in(directory).protect("example.test", backend.hostPort())
                .protect("senders.test", senders.hostPort());
    }

    /** One transaction with the MAIL and RCPT lines as given; each must be accepted. Returns the queue ID. */
    private String send(String mail, List<String> rcpts, String content) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            assertThat(client.command(mail).code()).as(mail).isEqualTo(250);
            for (String rcpt : rcpts) {
                assertThat(client.command(rcpt).code()).as(rcpt).isEqualTo(250);
            }
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send(content.replace("\r\n.", "\r\n.."));
            Reply queued = client.command(".");
            assertThat(queued.code()).as(queued.toString()).isEqualTo(250);
            return queued.text().substring("Ok: queued as ".length());
        }
    }

    /** Once the spool is empty every report is written (it is spooled before its message leaves) and sent. */
    private void awaitEmptySpool() {
        await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
    }

    @Test
    void advertisesDsnAndAnswersMalformedParametersWith501() throws Exception {
        gateway = gateway().start();
        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            assertThat(client.command("EHLO client.test").lines()).contains("DSN");
            assertThat(client.command("MAIL FROM:<writer@senders.test> RET=NONE").toString()).startsWith("501 5.5.4");
            assertThat(client.command("MAIL FROM:<writer@senders.test> ENVID=a+0D+0Ab").toString()).startsWith("501 5.5.4");
            assertThat(client.command("MAIL FROM:<writer@senders.test> RET=HDRS ENVID=x").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<alice@example.test> NOTIFY=NEVER,FAILURE").toString()).startsWith("501 5.5.4");
            assertThat(client.command("RCPT TO:<alice@example.test> NOTIFY=DELAY NOTIFY=DELAY").toString()).startsWith("501 5.5.4");
            assertThat(client.command("RCPT TO:<alice@example.test> ORCPT=alice@example.test").toString()).startsWith("501 5.5.4");
            assertThat(client.command("RCPT TO:<alice@example.test> NOTIFY=NEVER ORCPT=rfc822;alice@example.test").code())
                    .isEqualTo(250);
        }
    }

    @Test
    void relaysTheParametersAsTheyCameToABackendThatOffersDsn() throws Exception {
        backend.dsn(true);
        gateway = gateway().start();
        send("MAIL FROM:<writer@senders.test> RET=HDRS ENVID=QQ314159+2Bx",
                List.of("RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Alice+2BTag@example.test",
                        "RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test> notify=never"),
                MESSAGE);

        TestBackend.Transaction delivered = backend.takeTransaction(WAIT);
        assertThat(delivered.mailParameters()).contains("RET=HDRS").contains("ENVID=QQ314159+2Bx");
        assertThat(delivered.recipients()).containsExactly("alice@example.test", "bob@example.test", "carol@example.test");
        assertThat(delivered.recipientParameters()).containsExactly(
                "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Alice+2BTag@example.test", "", "NOTIFY=NEVER");
        // the back-end took over the duty to report success: the gateway sends nothing
        awaitEmptySpool();
        assertThat(senders.transactions()).isEmpty();
    }

    @Test
    void leavesTheParametersOutForABackendWithoutDsnAndReportsTheRelayItself() throws Exception {
        gateway = gateway().start();
        String queueId = send("MAIL FROM:<writer@senders.test> RET=FULL ENVID=QQ314159",
                List.of("RCPT TO:<alice@example.test> NOTIFY=SUCCESS ORCPT=rfc822;Alice+2BTag@example.test",
                        "RCPT TO:<bob@example.test>"),
                MESSAGE);

        TestBackend.Transaction delivered = backend.takeTransaction(WAIT);
        assertThat(delivered.mailParameters()).doesNotContain("RET").doesNotContain("ENVID");
        assertThat(delivered.recipientParameters()).containsExactly("", "");

        // RFC 3461 6.2.3: relayed to a server that will not report success, so the gateway does
        TestBackend.Transaction report = senders.takeTransaction(WAIT);
        assertThat(report.mailFrom()).isEmpty();
        assertThat(report.recipients()).containsExactly("writer@senders.test");
        assertThat(report.text())
                .contains("Subject: Successful Mail Delivery Report")
                .contains("Original-Envelope-Id: QQ314159\r\nReporting-MTA: dns; gw.test\r\nX-Gatehouse-Queue-ID: " + queueId)
                .contains("Original-Recipient: rfc822;Alice+Tag@example.test\r\n"
                        + "Final-Recipient: rfc822; alice@example.test\r\nAction: relayed\r\nStatus: 2.0.0\r\n")
                .doesNotContain("bob@example.test")
                // success reports return the headers only, whatever RET says
                .contains("Content-Type: text/rfc822-headers").contains("Subject: hello")
                .doesNotContain("The body, which only RET=FULL returns.")
                // a protected domain's back-end stays undisclosed (SPEC §3)
                .doesNotContain("127.0.0.1:" + backend.port());
        awaitEmptySpool();
        assertThat(senders.transactions()).hasSize(1);
    }

    @Test
    void aMessageWhoseRecipientsAllSayNotifyNeverCausesNoReport() throws Exception {
        backend.rejectRecipient("alice@example.test").rejectRecipient("bob@example.test");
        gateway = gateway().start();
        send("MAIL FROM:<writer@senders.test>",
                List.of("RCPT TO:<alice@example.test> NOTIFY=NEVER", "RCPT TO:<bob@example.test> NOTIFY=NEVER"), MESSAGE);

        awaitEmptySpool();
        assertThat(backend.transactions()).isEmpty();
        assertThat(senders.transactions()).isEmpty();
    }

    @Test
    void reportsAFailureOnlyForRecipientsWhoseNotifyAllowsIt() throws Exception {
        backend.rejectRecipient("alice@example.test").rejectRecipient("bob@example.test")
                .rejectRecipient("carol@example.test").rejectRecipient("dave@example.test");
        gateway = gateway().start();
        send("MAIL FROM:<writer@senders.test> ENVID=batch-7",
                List.of("RCPT TO:<alice@example.test> NOTIFY=NEVER", "RCPT TO:<bob@example.test> NOTIFY=SUCCESS,DELAY",
                        "RCPT TO:<carol@example.test>", "RCPT TO:<dave@example.test> NOTIFY=FAILURE ORCPT=rfc822;d@old.test"),
                MESSAGE);

        TestBackend.Transaction report = senders.takeTransaction(WAIT);
        assertThat(report.text())
                .contains("Subject: Undelivered Mail Returned to Sender")
                .contains("Original-Envelope-Id: batch-7")
                .contains("Final-Recipient: rfc822; carol@example.test")
                .contains("Original-Recipient: rfc822;d@old.test\r\nFinal-Recipient: rfc822; dave@example.test\r\nAction: failed")
                .doesNotContain("Final-Recipient: rfc822; alice@example.test").doesNotContain("<alice@example.test>:")
                .doesNotContain("bob@example.test");
        awaitEmptySpool();
        assertThat(senders.transactions()).hasSize(1);
    }

    @Test
    void retFullReturnsTheWholeMessageAndRetHdrsItsHeaders() throws Exception {
        backend.rejectData("554 5.6.0 Content refused");
        gateway = gateway().start();
        send("MAIL FROM:<writer@senders.test> RET=FULL", List.of("RCPT TO:<alice@example.test>"), MESSAGE);
        String full = senders.takeTransaction(WAIT).text();
        assertThat(full).contains("Content-Type: message/rfc822").contains("Subject: hello")
                .contains("The body, which only RET=FULL returns.");

        send("MAIL FROM:<writer@senders.test> RET=HDRS", List.of("RCPT TO:<alice@example.test>"), MESSAGE);
        String headers = senders.takeTransaction(WAIT).text();
        assertThat(headers).contains("Content-Type: text/rfc822-headers").contains("Subject: hello")
                .doesNotContain("The body, which only RET=FULL returns.");
    }

    @Test
    void keepsTheParametersInTheSpoolAcrossARestart() throws Exception {
        backend.dsn(true).tempFailRecipient("alice@example.test");
        gateway = gateway().delivery("min_backoff: 1s").delivery("max_backoff: 1s").start();
        send("MAIL FROM:<writer@senders.test> RET=HDRS ENVID=kept",
                List.of("RCPT TO:<alice@example.test> NOTIFY=NEVER ORCPT=rfc822;alice@example.test"), MESSAGE);
        await().atMost(WAIT).until(() -> backend.commands().stream().anyMatch(c -> c.startsWith("RCPT TO:<alice@")));
        gateway.close();

        backend.acceptAll();
        gateway = gateway().delivery("min_backoff: 1s").delivery("max_backoff: 1s").start();
        TestBackend.Transaction delivered = backend.takeTransaction(WAIT);
        assertThat(delivered.mailParameters()).contains("RET=HDRS").contains("ENVID=kept");
        assertThat(delivered.recipientParameters()).containsExactly("NOTIFY=NEVER ORCPT=rfc822;alice@example.test");
    }

    /** A message spooled by the version before DSN, in its format, is delivered after the upgrade. */
    @Test
    void deliversAMessageSpooledByTheVersionBeforeDsn() throws Exception {
        QueueId id = QueueId.next(System.currentTimeMillis());
        String content = "Subject: spooled before the upgrade\r\n\r\nbody\r\n";
        String oldFile = "gatehouse-spool: 1\n"
                + "id: " + id + "\n"
                + "received: 2026-12-06T10:00:00Z\n"
                + "client: 192.0.2.1\n"
                + "helo: client.test\n"
                + "smtputf8: no\n"
                + "from: <writer@senders.test>\n"
                + "to: <alice@example.test>\n"
                + "\n"
                + content
                + "\nGATEHOUSE-END " + String.format("%016x", content.length()) + "\n";
        Path active = Files.createDirectories(directory.resolve("data").resolve("spool").resolve("active"));
        Files.writeString(active.resolve(id.value()), oldFile, StandardCharsets.UTF_8);

        backend.dsn(true);
        gateway = gateway().start();

        TestBackend.Transaction delivered = backend.takeTransaction(WAIT);
        assertThat(delivered.mailFrom()).isEqualTo("writer@senders.test");
        assertThat(delivered.recipients()).containsExactly("alice@example.test");
        assertThat(delivered.recipientParameters()).containsExactly("");
        assertThat(delivered.text()).isEqualTo(content);
        awaitEmptySpool();
    }

    @Test
    void notifyNeverHoldsForAMessageThatExpiresInTheQueue() throws Exception {
        backend.tempFailRecipient("alice@example.test");
        gateway = gateway().delivery("max_lifetime: 2s").delivery("min_backoff: 1s").delivery("max_backoff: 1s").start();
        send("MAIL FROM:<writer@senders.test>", List.of("RCPT TO:<alice@example.test> NOTIFY=NEVER"), MESSAGE);

        await().atMost(WAIT).until(() -> backend.commands().stream().filter(c -> c.startsWith("RCPT TO:<alice@")).count() >= 2);
        awaitEmptySpool();
        assertThat(senders.transactions()).isEmpty();
    }

    @Test
    void notifyNeverHoldsForAnAdministratorsBounce() throws Exception {
        backend.tempFailRecipient("alice@example.test");
        gateway = gateway().delivery("min_backoff: 1m").delivery("max_backoff: 2m").start();
        DeliveryScheduler agent = gateway.gateway().delivery();
        QueueId never = new QueueId(send("MAIL FROM:<writer@senders.test>",
                List.of("RCPT TO:<alice@example.test> NOTIFY=NEVER"), MESSAGE));
        QueueId failure = new QueueId(send("MAIL FROM:<writer@senders.test> ENVID=returned",
                List.of("RCPT TO:<alice@example.test> NOTIFY=FAILURE"), MESSAGE));
        for (QueueId id : List.of(never, failure)) {
            await().atMost(WAIT).until(() -> agent.find(id).orElseThrow(), m -> m.attempts() == 1 && !m.delivering());
        }

        assertThat(agent.bounce(never)).isEqualTo(DeliveryScheduler.Result.DONE);
        assertThat(agent.bounce(failure)).isEqualTo(DeliveryScheduler.Result.DONE);

        // the one report is the second message's: the first said NEVER
        TestBackend.Transaction report = senders.takeTransaction(WAIT);
        assertThat(report.text()).contains("X-Gatehouse-Queue-ID: " + failure).contains("Original-Envelope-Id: returned");
        awaitEmptySpool();
        assertThat(senders.transactions()).hasSize(1);
    }
}
