package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.log.LogEntry;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.store.LogQuery;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestDns;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SPEC §5: the queue and the delivery agent, end to end, against real SMTP peers and DNS. */
class DeliveryIT {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String MESSAGE = "From: <sender@elsewhere.test>\r\nTo: <alice@example.test>\r\n"
            + "Subject: hello\r\n\r\nFirst line.\r\n.leading dot\r\n..two dots\r\n";

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start();
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    private static Reply send(TestGateway gateway, String from, List<String> to, String content) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            return client.sendMail(from, to, content);
        }
    }

    @Test
    void deliversToTheBackendWithAReceivedHeaderAndTheContentIntact() throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).start();
        Reply reply = send(gateway, "sender@elsewhere.test", List.of("alice@example.test"), MESSAGE);
        assertThat(reply.code()).isEqualTo(250);
        String queueId = reply.text().substring("Ok: queued as ".length());

        TestBackend.Transaction delivered = backend.takeTransaction(WAIT);
        assertThat(delivered.helo()).isEqualTo("gw.test");
        assertThat(delivered.mailFrom()).isEqualTo("sender@elsewhere.test");
        assertThat(delivered.recipients()).containsExactly("alice@example.test");
        String text = delivered.text();
        assertThat(text).startsWith("Received: from client.test ([127.0.0.1])\r\n\tby gw.test (Gatehouse) with ESMTP id " + queueId);
        assertThat(text.substring(text.indexOf("From: "))).isEqualTo(MESSAGE);
        await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
        // the back-end as configured, with its address, as Postfix logs a relayhost
        gateway.gateway().messageLog().flush(WAIT);
        assertThat(gateway.gateway().messageLog().search(LogQuery.newest(10).verdict("sent")))
                .singleElement().extracting(LogEntry::reason).isEqualTo("127.0.0.1[127.0.0.1]:" + backend.port());
    }

    @Test
    void reusesTheConnectionForSuccessiveMessages() throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).start();
        send(gateway, "a@elsewhere.test", List.of("alice@example.test"), "Subject: 1\r\n\r\none\r\n");
        backend.takeTransaction(WAIT);
        send(gateway, "a@elsewhere.test", List.of("bob@example.test"), "Subject: 2\r\n\r\ntwo\r\n");
        backend.takeTransaction(WAIT);
        assertThat(backend.connections()).isEqualTo(1);
    }

    @Test
    void sendsOnANewConnectionWhenTheBackendDroppedTheIdleOne() throws Exception {
        // a retry a minute later: the second message arrives within the test only from its first attempt
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                .delivery("min_backoff: 1m").delivery("max_backoff: 2m").start();
        send(gateway, "a@elsewhere.test", List.of("alice@example.test"), "Subject: 1\r\n\r\none\r\n");
        backend.takeTransaction(WAIT);
        backend.stop(); // drops the gateway's idle connection
        backend.restart();

        send(gateway, "a@elsewhere.test", List.of("bob@example.test"), "Subject: 2\r\n\r\ntwo\r\n");

        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly("bob@example.test");
        assertThat(backend.connections()).isEqualTo(2);
    }

    @Test
    void retriesWhenTheBackendIsDownAndDeliversWhenItReturns() throws Exception {
        backend.stop();
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).start();
        Reply accepted = send(gateway, "a@elsewhere.test", List.of("alice@example.test"), MESSAGE);
        assertThat(accepted.code()).isEqualTo(250);
        QueueId id = new QueueId(accepted.text().substring("Ok: queued as ".length()));
        await().atMost(WAIT).until(() -> gateway.gateway().delivery().find(id).orElseThrow(),
                m -> m.attempts() >= 1 && !m.delivering()); // at least one failed attempt
        assertThat(gateway.gateway().spool().ids()).hasSize(1);
        backend.restart();
        TestBackend.Transaction delivered = backend.takeTransaction(WAIT);
        assertThat(delivered.recipients()).containsExactly("alice@example.test");
        await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
    }

    @Test
    void retriesTemporarilyRefusedRecipientsOnly() throws Exception {
        backend.tempFailRecipient("bob@example.test");
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).start();
        send(gateway, "a@elsewhere.test", List.of("alice@example.test", "bob@example.test"), MESSAGE);
        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly("alice@example.test");
        backend.acceptAll();
        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly("bob@example.test");
        await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
    }

    @Test
    void bouncesPermanentFailuresToTheSenderWithoutRevealingTheBackend() throws Exception {
        try (TestBackend senders = TestBackend.start()) {
            backend.rejectData("554 5.6.0 Content refused by backend-secret-name.internal");
            gateway = TestGateway.in(directory)
                    .protect("example.test", backend.hostPort())
                    .protect("senders.test", senders.hostPort())
                    .start();
            send(gateway, "writer@senders.test", List.of("alice@example.test"), MESSAGE);
            TestBackend.Transaction dsn = senders.takeTransaction(WAIT);
            assertThat(dsn.mailFrom()).isEmpty();
            assertThat(dsn.recipients()).containsExactly("writer@senders.test");
            assertThat(dsn.text())
                    .contains("Content-Type: multipart/report; report-type=delivery-status")
                    .contains("Final-Recipient: rfc822; alice@example.test")
                    .contains("Action: failed")
                    .contains("Status: 5.6.0")
                    .contains("Subject: hello")
                    .doesNotContain("backend-secret-name")
                    .doesNotContain("127.0.0.1:" + backend.port());
            await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
        }
    }

    @Test
    void neverBouncesToTheNullSender() throws Exception {
        backend.rejectRecipient("alice@example.test");
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).start();
        send(gateway, "", List.of("alice@example.test"), MESSAGE);
        // A DSN is spooled before the message it reports on leaves the spool: once the spool is
        // empty, any DSN has been sent already, so there is nothing more to wait for.
        await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
        assertThat(backend.transactions()).isEmpty();
    }

    @Test
    void bouncesWhenTheMaximumLifetimeIsExceeded() throws Exception {
        try (TestBackend senders = TestBackend.start()) {
            backend.tempFailRecipient("alice@example.test");
            gateway = TestGateway.in(directory)
                    .protect("example.test", backend.hostPort())
                    .protect("senders.test", senders.hostPort())
                    .delivery("max_lifetime: 2s")
                    .start();
            send(gateway, "writer@senders.test", List.of("alice@example.test"), MESSAGE);
            TestBackend.Transaction dsn = senders.takeTransaction(WAIT);
            assertThat(dsn.text()).contains("Final-Recipient: rfc822; alice@example.test").contains("Status: 5.4.7");
        }
    }

    @Test
    void relaysOutboundForTrustedClientsThroughTheRecipientDomainsMx() throws Exception {
        try (TestDns dns = TestDns.start(); TestBackend mx = TestBackend.start()) {
            dns.mx("elsewhere.test", 10, "mx1.elsewhere.test").a("mx1.elsewhere.test", "127.0.0.1");
            gateway = TestGateway.in(directory)
                    .protect("example.test", backend.hostPort())
                    .trust("127.0.0.0/8")
                    .dns(dns)
                    .remotePort(mx.port())
                    .start();
            assertThat(send(gateway, "alice@example.test", List.of("friend@elsewhere.test"), MESSAGE).code()).isEqualTo(250);
            TestBackend.Transaction delivered = mx.takeTransaction(WAIT);
            assertThat(delivered.mailFrom()).isEqualTo("alice@example.test");
            assertThat(delivered.recipients()).containsExactly("friend@elsewhere.test");
            assertThat(backend.transactions()).isEmpty();
            // logged as Postfix names it: the MX host, its address and port
            await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
            gateway.gateway().messageLog().flush(WAIT);
            assertThat(gateway.gateway().messageLog().search(LogQuery.newest(10).verdict("sent")))
                    .singleElement().extracting(LogEntry::reason).isEqualTo("mx1.elsewhere.test[127.0.0.1]:" + mx.port());
        }
    }

    @Test
    void fallsBackToTheDomainsAddressWhenItHasNoMx() throws Exception {
        try (TestDns dns = TestDns.start(); TestBackend mx = TestBackend.start()) {
            dns.a("a-only.test", "127.0.0.1");
            gateway = TestGateway.in(directory).trust("127.0.0.0/8").dns(dns).remotePort(mx.port()).start();
            send(gateway, "alice@example.test", List.of("friend@a-only.test"), MESSAGE);
            assertThat(mx.takeTransaction(WAIT).recipients()).containsExactly("friend@a-only.test");
        }
    }

    @Test
    void triesTheNextBackendWhenTheFirstIsDown() throws Exception {
        try (TestBackend second = TestBackend.start()) {
            backend.stop();
            gateway = TestGateway.in(directory)
                    .domain("{ name: example.test, backend: [\"" + backend.hostPort() + "\", \"" + second.hostPort() + "\"] }")
                    .start();
            send(gateway, "a@elsewhere.test", List.of("alice@example.test"), MESSAGE);
            assertThat(second.takeTransaction(WAIT).recipients()).containsExactly("alice@example.test");
        }
    }

    @Test
    void resolvesBackendNamesThroughTheConfiguredDnsWithADeadline() throws Exception {
        try (TestDns dns = TestDns.start()) {
            // Answered after 20 s: longer than WAIT, so the first deferral can only come from the deadline.
            dns.a("mail.example.test", "127.0.0.1").slow("mail.example.test", Duration.ofSeconds(20));
            gateway = TestGateway.in(directory)
                    .domain("{ name: example.test, backend: [\"mail.example.test:" + backend.port() + "\"] }")
                    .dns(dns, Duration.ofMillis(500))
                    .start();
            QueueId id = new QueueId(send(gateway, "a@elsewhere.test", List.of("alice@example.test"), MESSAGE).text()
                    .substring("Ok: queued as ".length()));

            QueuedMessage deferred = await().atMost(WAIT).until(() -> gateway.gateway().delivery().find(id).orElseThrow(),
                    m -> m.attempts() >= 1 && !m.delivering());
            assertThat(deferred.lastError()).isEqualTo("451 4.4.4 No back-end server address could be resolved");
            assertThat(backend.transactions()).isEmpty();

            dns.heal("mail.example.test"); // a name the system resolver does not know: only the configured server does
            assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly("alice@example.test");
            await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
            gateway.gateway().messageLog().flush(WAIT);
            assertThat(gateway.gateway().messageLog().search(LogQuery.newest(10).verdict("sent")))
                    .singleElement().extracting(LogEntry::reason).isEqualTo("mail.example.test[127.0.0.1]:" + backend.port());
        }
    }

    @Test
    void usesStartTlsWithTheBackendWhenOffered() throws Exception {
        backend.startTls(net.gatehouse.testing.TestTls.serverContext());
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).start();
        send(gateway, "a@elsewhere.test", List.of("alice@example.test"), MESSAGE);
        assertThat(backend.takeTransaction(WAIT).tls()).isTrue();
    }

    @Test
    void fallsBackToPlaintextWhenTheBackendsTlsHandshakeFails() throws Exception {
        // A server context without a certificate: STARTTLS is offered, every handshake fails.
        javax.net.ssl.SSLContext broken = javax.net.ssl.SSLContext.getInstance("TLS");
        broken.init(null, null, null);
        backend.startTls(broken);
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).start();
        send(gateway, "a@elsewhere.test", List.of("alice@example.test"), MESSAGE);
        TestBackend.Transaction delivered = backend.takeTransaction(WAIT);
        assertThat(delivered.tls()).isFalse();
        assertThat(delivered.recipients()).containsExactly("alice@example.test");
    }
}
