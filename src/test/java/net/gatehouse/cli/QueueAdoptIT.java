package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.queue.QueueId;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse queue adopt} between two packaged gateways (docs/CLUSTER.md): refused while the
 * other node runs on its spool; once it is dead (SIGKILL), its acknowledged mail is moved into the
 * running node's queue and delivered by it, once.
 */
class QueueAdoptIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ALICE = "alice@example.test";

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start().tempFailRecipient(ALICE);
    private PackagedGateway dead;
    private PackagedGateway alive;

    @AfterEach
    void stop() throws Exception {
        for (PackagedGateway gateway : new PackagedGateway[] {dead, alive}) {
            if (gateway != null) {
                gateway.close();
            }
        }
        backend.close();
    }

    private TestGateway node(String name) {
        return TestGateway.in(directory.resolve(name)).protect("example.test", backend.hostPort())
                .delivery("min_backoff: 1m").delivery("max_backoff: 2m");
    }

    @Test
    void aDeadNodesMailIsDeliveredByTheNodeThatAdoptsItAndARunningNodesSpoolIsRefused() throws Exception {
        dead = PackagedGateway.start(node("node1"));
        alive = PackagedGateway.start(node("node2"));
        QueueId id;
        try (SmtpTestClient client = SmtpTestClient.connect(dead.port())) {
            client.command("EHLO client.test");
            String reply = client.sendMail("sender@elsewhere.test", List.of(ALICE), "Subject: adopted\r\n\r\nmove me\r\n").text();
            id = new QueueId(reply.substring("Ok: queued as ".length()));
        }
        dead.awaitLog(id + ": to=<" + ALICE + ">.*status=deferred", WAIT);
        Path deadDataDir = directory.resolve("node1/data");

        CommandRun refused = CommandRun.of("", "queue", "adopt", "--config", alive.config().toString(), deadDataDir.toString());
        assertThat(refused.exitCode()).isEqualTo(QueueCommand.EXIT_INCOMPLETE);
        assertThat(refused.err()).contains("a gateway is running on " + deadDataDir);

        dead.close(); // SIGKILL
        backend.acceptAll();
        CommandRun adopt = CommandRun.of("", "queue", "adopt", "--config", alive.config().toString(), deadDataDir.toString());

        assertThat(adopt.exitCode()).as(adopt.err()).isZero();
        assertThat(adopt.out()).isEqualTo(id + ": adopted, 1 recipient\n");
        assertThat(backend.takeTransaction(WAIT).text()).contains("Subject: adopted");
        alive.awaitLog(id + ": to=<" + ALICE + ">.*status=sent", WAIT);
        CommandRun again = CommandRun.of("", "queue", "adopt", "--config", alive.config().toString(), deadDataDir.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).isEmpty();
        Thread.sleep(1500); // a window for a second delivery, which must not come: no event marks its absence
        assertThat(backend.transactions()).hasSize(1);
    }
}
