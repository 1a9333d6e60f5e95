package net.gatehouse.callout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.EOFException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import net.gatehouse.testing.TestClock;
import net.gatehouse.config.CalloutConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendConnectionPoolTest {

    private static final Duration BUDGET = Duration.ofSeconds(5);
    private static final String ALICE = "alice@example.test";

    private final TestClock clock = new TestClock();
    private final TestBackend backend = TestBackend.start();
    private final ListenAddress address = new ListenAddress("127.0.0.1", backend.port());
    private BackendConnectionPool pool = pool(2, 100);

    @AfterEach
    void stop() {
        pool.close();
        backend.close();
    }

    @Test
    void reusesOneConnectionForSuccessiveProbes() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(probe(ALICE).code()).isEqualTo(250);
        }

        assertThat(backend.connections()).isEqualTo(1);
        assertThat(backend.commands()).filteredOn(c -> c.startsWith("EHLO")).hasSize(1);
        assertThat(backend.commands()).filteredOn(c -> c.startsWith("RCPT")).hasSize(5);
        assertThat(backend.commands()).filteredOn(c -> c.equals("RSET")).hasSize(5);
    }

    @Test
    void replacesAConnectionAfterProbesPerConnection() throws Exception {
        pool.close();
        pool = pool(2, 2);
        for (int i = 0; i < 5; i++) {
            probe(ALICE);
        }

        assertThat(backend.connections()).isEqualTo(3);
    }

    @Test
    void closesAConnectionIdleForIdleTimeout() throws Exception {
        probe(ALICE);
        assertThat(pool.openConnections()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(30));
        pool.closeIdle();

        assertThat(pool.openConnections()).isZero();
        await().atMost(BUDGET).until(() -> backend.commands().contains("QUIT"));
        probe(ALICE);
        assertThat(backend.connections()).isEqualTo(2);
    }

    @Test
    void retriesOnceOnAFreshConnectionWhenThePooledOneDiedWhileIdle() throws Exception {
        probe(ALICE);
        backend.stop();
        backend.restart();

        assertThat(probe(ALICE).code()).isEqualTo(250);
        assertThat(backend.connections()).isEqualTo(2);
    }

    @Test
    void discardsAConnectionThatFailed() throws Exception {
        backend.dropConnectionAt("RCPT");
        assertThatThrownBy(() -> probe(ALICE)).isInstanceOf(EOFException.class).hasMessageContaining(backend.hostPort());
        assertThat(pool.openConnections()).isZero();

        backend.acceptAll();
        assertThat(probe(ALICE).code()).isEqualTo(250);
        assertThat(backend.connections()).isEqualTo(2);
    }

    @Test
    void opensNoMoreThanConnectionsPerBackend() throws Exception {
        pool.close();
        pool = pool(1, 100);
        backend.delay(Duration.ofMillis(50));
        List<Callable<Reply>> probes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            probes.add(() -> probe(ALICE));
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Reply> reply : threads.invokeAll(probes)) {
                assertThat(reply.get().code()).isEqualTo(250);
            }
        }

        assertThat(backend.connections()).isEqualTo(1);
    }

    @Test
    void aProbeThatFindsEveryConnectionBusyGivesUpAtItsDeadline() throws Exception {
        pool.close();
        pool = pool(1, 100);
        backend.delay(Duration.ofMillis(300));
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Reply> first = threads.submit(() -> probe(ALICE));
            await().atMost(BUDGET).until(() -> pool.openConnections() == 1);

            long deadline = System.nanoTime() + Duration.ofMillis(100).toNanos();
            assertThatThrownBy(() -> pool.probe(address, "", ALICE, deadline))
                    .isInstanceOf(TimeoutException.class)
                    .hasMessageContaining("busy");
            assertThat(first.get().code()).isEqualTo(250);
        }
        assertThat(backend.connections()).isEqualTo(1);
    }

    @Test
    void closingSaysQuitOnIdleConnections() throws Exception {
        probe(ALICE);
        pool.close();

        assertThat(pool.openConnections()).isZero();
        assertThat(backend.commands()).last().isEqualTo("QUIT");
        assertThatThrownBy(() -> probe(ALICE)).hasMessageContaining("closed");
    }

    private Reply probe(String recipient) throws Exception {
        return pool.probe(address, "", recipient, System.nanoTime() + BUDGET.toNanos());
    }

    private BackendConnectionPool pool(int connectionsPerBackend, int probesPerConnection) {
        return new BackendConnectionPool(new CalloutConfig("", BUDGET, Duration.ofSeconds(2), connectionsPerBackend,
                probesPerConnection, Duration.ofSeconds(30), Duration.ofHours(6)), "gatehouse.test", clock);
    }
}
