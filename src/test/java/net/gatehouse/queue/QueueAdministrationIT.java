package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.gatehouse.store.LogQuery;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The administrator's actions on the running delivery agent (console and API): the queue's
 * snapshot, retry now, delete, bounce; and the refusal to touch a message while it is attempted.
 */
class QueueAdministrationIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String MESSAGE = "Subject: queued\r\n\r\nWaiting.\r\n";

    @TempDir
    Path directory;

    /** example.test's back-end: defers alice (450), so that her messages stay queued. */
    private final TestBackend protectedBackend = TestBackend.start().tempFailRecipient("alice@example.test");
    /** senders.test's back-end: takes the DSNs. */
    private final TestBackend senders = TestBackend.start();
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        protectedBackend.close();
        senders.close();
    }

    private DeliveryScheduler start() throws Exception {
        // a retry a minute after the first attempt: the message waits, quietly, for the test
        gateway = TestGateway.in(directory).protect("example.test", protectedBackend.hostPort())
                .protect("senders.test", senders.hostPort())
                .delivery("min_backoff: 1m").delivery("max_backoff: 2m").start();
        return gateway.gateway().delivery();
    }

    private QueueId send(String from) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            String reply = client.sendMail(from, List.of("alice@example.test"), MESSAGE).text();
            return new QueueId(reply.substring("Ok: queued as ".length()));
        }
    }

    private static QueuedMessage waitingAfterAttempts(DeliveryScheduler agent, QueueId id, int attempts) {
        return await().atMost(WAIT).until(() -> agent.find(id).orElseThrow(),
                m -> m.attempts() == attempts && !m.delivering());
    }

    @Test
    void snapshotShowsEachMessageWithItsAttemptsNextAttemptAndLastError() throws Exception {
        DeliveryScheduler agent = start();
        QueueId id = send("bob@senders.test");

        QueuedMessage queued = waitingAfterAttempts(agent, id, 1);

        assertThat(agent.snapshot()).extracting(QueuedMessage::id).containsExactly(id);
        assertThat(queued.envelope().sender()).isEqualTo("<bob@senders.test>");
        assertThat(queued.pendingRecipients()).containsExactly("<alice@example.test>");
        assertThat(queued.lastError()).startsWith("450 4.2.0");
        assertThat(queued.nextAttempt()).isAfter(Instant.now().plusSeconds(30));
        assertThat(queued.size()).isPositive();
    }

    @Test
    void retryNowAttemptsAgainAtOnce() throws Exception {
        DeliveryScheduler agent = start();
        QueueId id = send("bob@senders.test");
        waitingAfterAttempts(agent, id, 1);

        assertThat(agent.retryNow(id)).isEqualTo(DeliveryScheduler.Result.DONE);

        waitingAfterAttempts(agent, id, 2);
    }

    @Test
    void deleteRemovesTheMessageWithoutADsn() throws Exception {
        DeliveryScheduler agent = start();
        QueueId id = send("bob@senders.test");
        waitingAfterAttempts(agent, id, 1);

        assertThat(agent.delete(id)).isEqualTo(DeliveryScheduler.Result.DONE);

        assertThat(agent.find(id)).isEmpty();
        assertThat(agent.size()).isZero();
        assertThat(gateway.gateway().spool().ids()).isEmpty();
        assertThat(agent.delete(id)).isEqualTo(DeliveryScheduler.Result.NOT_QUEUED);
        assertThat(senders.transactions()).isEmpty();
    }

    @Test
    void bounceSendsTheSenderADsnForThePendingRecipientsThenRemovesTheMessage() throws Exception {
        DeliveryScheduler agent = start();
        QueueId id = send("bob@senders.test");
        waitingAfterAttempts(agent, id, 1);

        assertThat(agent.bounce(id)).isEqualTo(DeliveryScheduler.Result.DONE);

        TestBackend.Transaction dsn = senders.takeTransaction(WAIT);
        assertThat(dsn.mailFrom()).isEmpty();
        assertThat(dsn.recipients()).containsExactly("bob@senders.test");
        assertThat(dsn.text()).contains("Final-Recipient: rfc822; alice@example.test", "Status: 5.0.0",
                "returned to the sender by the mail administrator", "X-Gatehouse-Queue-ID: " + id);
        assertThat(agent.find(id)).isEmpty();
        await().atMost(WAIT).until(() -> gateway.gateway().spool().ids().isEmpty());
        gateway.gateway().messageLog().flush(WAIT);
        assertThat(gateway.gateway().messageLog().search(LogQuery.newest(10).verdict("bounced")))
                .anySatisfy(entry -> assertThat(entry.queueId()).isEqualTo(id.value()));
    }

    @Test
    void bounceOfAMessageFromTheNullSenderSendsNoDsn() throws Exception {
        DeliveryScheduler agent = start();
        QueueId id = send("");
        waitingAfterAttempts(agent, id, 1);

        assertThat(agent.bounce(id)).isEqualTo(DeliveryScheduler.Result.DONE);

        assertThat(gateway.gateway().spool().ids()).isEmpty();
        assertThat(agent.size()).isZero();
        assertThat(senders.transactions()).isEmpty();
    }

    @Test
    void refusesToTouchAMessageWhileItIsBeingDelivered() throws Exception {
        protectedBackend.delay(Duration.ofMillis(1500)); // each reply: the attempt takes seconds
        DeliveryScheduler agent = start();
        QueueId id = send("bob@senders.test");
        await().atMost(WAIT).until(() -> agent.find(id).map(QueuedMessage::delivering).orElse(false));

        assertThat(agent.delete(id)).isEqualTo(DeliveryScheduler.Result.BEING_DELIVERED);
        assertThat(agent.bounce(id)).isEqualTo(DeliveryScheduler.Result.BEING_DELIVERED);
        assertThat(agent.retryNow(id)).isEqualTo(DeliveryScheduler.Result.BEING_DELIVERED);

        protectedBackend.delay(Duration.ZERO);
        waitingAfterAttempts(agent, id, 1);
        assertThat(agent.delete(id)).isEqualTo(DeliveryScheduler.Result.DONE);
    }

    @Test
    void aHoldMadeInTheSpoolKeepsTheMessageAsideUntilReleasedOrRequeued() throws Exception {
        DeliveryScheduler agent = start();
        Spool spool = gateway.gateway().spool();
        QueueId id = send("bob@senders.test");
        waitingAfterAttempts(agent, id, 1);

        spool.hold(id, Instant.now()); // what gatehouse queue hold does, in another process
        spool.requestReview(id);

        QueuedMessage held = await().atMost(WAIT).until(() -> agent.find(id).orElseThrow(), QueuedMessage::held);
        assertThat(held.delivering()).isFalse();
        assertThat(held.nextAttempt()).isNull();
        assertThat(agent.retryNow(id)).isEqualTo(DeliveryScheduler.Result.HELD);
        assertThat(agent.size()).isEqualTo(1);

        spool.requeue(id, Instant.now());
        spool.requestReview(id);

        // attempted at once, counting from one again
        await().atMost(WAIT).until(() -> protectedBackend.commands().stream().filter(c -> c.startsWith("RCPT")).count() == 2);
        QueuedMessage requeued = waitingAfterAttempts(agent, id, 1);
        assertThat(requeued.held()).isFalse();
        assertThat(spool.read(id).orElseThrow().journal().attempts()).isEqualTo(1);
    }

    @Test
    void aMessageDeletedInTheSpoolIsForgotten() throws Exception {
        DeliveryScheduler agent = start();
        Spool spool = gateway.gateway().spool();
        QueueId id = send("bob@senders.test");
        waitingAfterAttempts(agent, id, 1);

        Spool.forAdministration(gateway.dataDir().resolve("spool")).remove(id); // gatehouse queue delete
        spool.requestReview(id);

        await().atMost(WAIT).until(() -> agent.size() == 0);
        assertThat(agent.find(id)).isEmpty();
    }

    @Test
    void unknownMessagesAreNotQueued() throws Exception {
        DeliveryScheduler agent = start();
        QueueId unknown = QueueId.next(System.currentTimeMillis());

        assertThat(agent.retryNow(unknown)).isEqualTo(DeliveryScheduler.Result.NOT_QUEUED);
        assertThat(agent.delete(unknown)).isEqualTo(DeliveryScheduler.Result.NOT_QUEUED);
        assertThat(agent.bounce(unknown)).isEqualTo(DeliveryScheduler.Result.NOT_QUEUED);
        assertThat(agent.find(unknown)).isEmpty();
    }
}
