package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import net.gatehouse.queue.QueueId;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse queue} beside the packaged gateway running on the same data_dir (issue 10,
 * item 6): the listing shows what the delivery agent recorded; hold, release, requeue, flush and
 * delete made in the spool are followed by the running gateway, and a hold survives a restart.
 */
class QueueToolsIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ALICE = "alice@example.test";
    private static final String CAROL = "carol@example.test";

    @TempDir
    Path directory;

    /** Defers alice and carol (450 4.2.0) until told to accept everything. */
    private final TestBackend backend = TestBackend.start().tempFailRecipient(ALICE).tempFailRecipient(CAROL);
    private PackagedGateway gateway;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    /** Retries a minute after a deferral at the earliest: in these tests, only what the commands ask for. */
    private TestGateway configuration() {
        return TestGateway.in(directory).protect("example.test", backend.hostPort())
                .delivery("min_backoff: 1m").delivery("max_backoff: 2m");
    }

    private QueueId send(String to) throws Exception {
        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            client.command("EHLO client.test");
            String reply = client.sendMail("sender@elsewhere.test", List.of(to), "Subject: queued\r\n\r\nWaiting.\r\n").text();
            return new QueueId(reply.substring("Ok: queued as ".length()));
        }
    }

    private CommandRun queue(String verb, String... args) {
        String[] full = new String[args.length + 4];
        full[0] = "queue";
        full[1] = verb;
        full[2] = "--config";
        full[3] = gateway.config().toString();
        System.arraycopy(args, 0, full, 4, args.length);
        return CommandRun.of("", full);
    }

    /** Waits until {@code queue show} says the message has this many attempts recorded. */
    private void awaitAttempts(QueueId id, int attempts) {
        await().atMost(WAIT).until(() -> queue("show", id.value()).out(), out -> out.contains("attempts:      " + attempts + "\n"));
    }

    /** Waits until the gateway has looked at every change the commands asked it to. */
    private void awaitReviewed() {
        Path requests = directory.resolve("data/spool/requests");
        await().atMost(WAIT).until(() -> {
            try (Stream<Path> pending = Files.list(requests)) {
                return pending.findAny().isEmpty();
            }
        });
    }

    private long rcptsFor(String recipient) {
        return backend.commands().stream().filter(c -> c.equalsIgnoreCase("RCPT TO:<" + recipient + ">")).count();
    }

    @Test
    void listShowsADeferredMessageWithTheBackendsReasonAndShowItsState() throws Exception {
        gateway = PackagedGateway.start(configuration());
        QueueId id = send(ALICE);
        awaitAttempts(id, 1);

        CommandRun list = queue("list");

        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains(id + " ").contains(" sender@elsewhere.test\n")
                .contains("(host 127.0.0.1[127.0.0.1]:" + backend.port() + " said: 450 4.2.0 Mailbox temporarily unavailable)\n"
                        + " ".repeat(47) + ALICE + "\n")
                .endsWith("\n-- 0 Kbytes in 1 Request.\n");
        assertThat(queue("show", id.value()).out()).contains("state:         deferred",
                "recipient:     <" + ALICE + ">\n  state:       deferred in attempt 1",
                "last_reply:  host 127.0.0.1[127.0.0.1]:" + backend.port() + " said: 450 4.2.0", "Subject: queued");
    }

    @Test
    void aHeldMessageIsNotAttemptedEvenWhenTheBackendAcceptsUntilReleased() throws Exception {
        gateway = PackagedGateway.start(configuration());
        QueueId held = send(ALICE);
        QueueId other = send(CAROL);
        awaitAttempts(held, 1);
        awaitAttempts(other, 1);

        CommandRun hold = queue("hold", held.value());
        assertThat(hold.exitCode()).isZero();
        assertThat(hold.out()).isEqualTo(held + ": placed on hold\n");
        awaitReviewed();
        backend.acceptAll();
        assertThat(queue("flush").exitCode()).isZero();

        // the flush attempts every waiting message at once: the other one goes, the held one does not
        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly(CAROL);
        await().atMost(WAIT).until(() -> queue("list").out(), out -> !out.contains(other.value()));
        assertThat(queue("list").out()).contains(held + "!");
        assertThat(queue("flush", held.value()).exitCode()).isEqualTo(1);
        assertThat(rcptsFor(ALICE)).isEqualTo(1);
        awaitAttempts(held, 1);

        CommandRun release = queue("release", held.value());
        assertThat(release.exitCode()).isZero();
        assertThat(release.out()).isEqualTo(held + ": released from hold\n");
        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly(ALICE);
        await().atMost(WAIT).until(() -> queue("list").out(), out -> out.equals("Mail queue is empty\n"));
    }

    @Test
    void aHoldSurvivesARestart() throws Exception {
        gateway = PackagedGateway.start(configuration());
        QueueId held = send(ALICE);
        QueueId other = send(CAROL);
        awaitAttempts(held, 1);
        awaitAttempts(other, 1);
        assertThat(queue("hold", held.value()).exitCode()).isZero();
        gateway.close();

        backend.acceptAll();
        gateway = PackagedGateway.start(configuration());

        // after a start every waiting message is attempted at once, but not one on hold
        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly(CAROL);
        assertThat(queue("list").out()).contains(held + "!");
        assertThat(rcptsFor(ALICE)).isEqualTo(1);
        assertThat(queue("release", held.value()).exitCode()).isZero();
        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly(ALICE);
    }

    @Test
    void requeueStartsTheAttemptsAgainFromOne() throws Exception {
        gateway = PackagedGateway.start(configuration());
        QueueId id = send(ALICE);
        awaitAttempts(id, 1);
        assertThat(queue("flush", id.value()).out()).isEqualTo(id + ": flush requested\n");
        awaitAttempts(id, 2);

        CommandRun requeue = queue("requeue", id.value());

        assertThat(requeue.exitCode()).isZero();
        assertThat(requeue.out()).isEqualTo(id + ": requeued\n");
        awaitAttempts(id, 1);
        assertThat(queue("show", id.value()).out()).contains("requeued:");
        assertThat(rcptsFor(ALICE)).isEqualTo(3);

        backend.acceptAll();
        assertThat(queue("requeue", "--all").exitCode()).isZero();
        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly(ALICE);
    }

    @Test
    void deleteRemovesTheMessageAndTheRunningGatewayForgetsIt() throws Exception {
        gateway = PackagedGateway.start(configuration().console("127.0.0.1:0"));
        QueueId id = send(ALICE);
        awaitAttempts(id, 1);
        assertThat(gateway.metrics()).containsPattern("(?m)^gatehouse_queue_size 1(\\.0)?$");

        CommandRun delete = queue("delete", id.value());

        assertThat(delete.exitCode()).isZero();
        assertThat(delete.out()).isEqualTo(id + ": removed\n");
        assertThat(queue("list").out()).isEqualTo("Mail queue is empty\n");
        await().atMost(WAIT).until(gateway::metrics, metrics -> metrics.lines().anyMatch(l -> l.matches("gatehouse_queue_size 0(\\.0)?")));
        assertThat(backend.transactions()).isEmpty();
    }

    @Test
    void anUnknownIdExitsOneAndSaysWhich() throws Exception {
        gateway = PackagedGateway.start(configuration());
        QueueId known = send(ALICE);
        awaitAttempts(known, 1);
        QueueId unknown = QueueId.next(System.currentTimeMillis());

        for (String verb : List.of("show", "hold", "release", "requeue", "delete", "flush")) {
            CommandRun run = queue(verb, unknown.value());
            assertThat(run.exitCode()).as(verb).isEqualTo(1);
            assertThat(run.err()).as(verb).contains(unknown + ": not in the queue");
        }
        assertThat(queue("list").out()).contains(known.value());
    }
}
