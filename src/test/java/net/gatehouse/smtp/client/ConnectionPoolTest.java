package net.gatehouse.smtp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConnectionPoolTest {

    private static final Duration BUDGET = Duration.ofSeconds(5);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    private static final String ALICE = "alice@example.test";

    private final TestClock clock = new TestClock();
    private final TestBackend backend = TestBackend.start();
    private final List<TestBackend> others = new ArrayList<>();
    private final AtomicInteger opened = new AtomicInteger();
    private Duration commandTimeout = BUDGET;
    private ConnectionPool pool = pool(2, 2, 100, 100);

    @AfterEach
    void stop() {
        pool.close();
        backend.close();
        others.forEach(TestBackend::close);
    }

    // --- reuse and retirement

    @Test
    void reusesOneConnectionForSuccessiveExchanges() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(probe(ALICE).code()).isEqualTo(250);
        }

        assertThat(backend.connections()).isEqualTo(1);
        assertThat(backend.commands()).filteredOn(c -> c.startsWith("EHLO")).hasSize(1);
        assertThat(backend.commands()).filteredOn(c -> c.startsWith("RCPT")).hasSize(5);
    }

    @Test
    void servesMailTransactionsAsWellAsProbes() throws Exception {
        TransactionResult sent = pool.exchange(backend.address(), deadline(), this::connect,
                client -> client.send("bob@sender.test", List.of(ALICE), content("Subject: one\r\n\r\nHi.\r\n")));
        Reply probed = probe(ALICE);

        assertThat(sent.delivered(0)).isTrue();
        assertThat(probed.code()).isEqualTo(250);
        assertThat(backend.connections()).isEqualTo(1);
        assertThat(backend.transactions()).hasSize(1);
    }

    @Test
    void replacesAConnectionAfterUsesPerConnection() throws Exception {
        replacePool(pool(2, 2, 100, 2));
        for (int i = 0; i < 5; i++) {
            probe(ALICE);
        }

        assertThat(backend.connections()).isEqualTo(3);
    }

    @Test
    void closesAConnectionIdleForTheIdleTimeoutByTheInjectedClock() throws Exception {
        probe(ALICE);
        assertThat(pool.openConnections()).isEqualTo(1);

        clock.advance(IDLE_TIMEOUT);
        pool.closeIdle();

        assertThat(pool.openConnections()).isZero();
        assertThat(pool.servers()).isZero();
        await().atMost(BUDGET).until(() -> backend.commands().contains("QUIT"));
        probe(ALICE);
        assertThat(backend.connections()).isEqualTo(2);
    }

    @Test
    void aConnectionTakenAfterItsIdleTimeoutIsReplacedNotUsed() throws Exception {
        probe(ALICE);
        clock.advance(IDLE_TIMEOUT);

        probe(ALICE);

        assertThat(backend.connections()).isEqualTo(2);
    }

    @Test
    void retiresInTheBackgroundWithoutWaitingForTheQuitReply() throws Exception {
        replacePool(pool(2, 2, 100, 1)); // spent after one use: retired when given back
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch quitReceived = new CountDownLatch(1);
            threads.submit(() -> serveWithoutAnsweringQuit(server, quitReceived));
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());

            Future<Reply> probe = threads.submit(() -> pool.exchange(address, deadline(), this::connect,
                    client -> client.probe("", ALICE)));

            // Closing waits up to 2 s for the reply to QUIT, which never comes: the caller does not.
            assertThat(probe.get(1500, TimeUnit.MILLISECONDS).code()).isEqualTo(250);
            assertThat(quitReceived.await(BUDGET.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        }
    }

    // --- stale connections

    @Test
    void runsTheExchangeOnceMoreOnANewConnectionWhenTheIdleOneWasDropped() throws Exception {
        probe(ALICE);
        backend.stop();
        backend.restart();

        assertThat(probe(ALICE).code()).isEqualTo(250);
        assertThat(backend.connections()).isEqualTo(2);
    }

    @Test
    void treatsA421OnAnIdleConnectionAsDroppedAndTriesOnceMore() throws Exception {
        probe(ALICE);
        backend.replyToRecipient(ALICE, "421 4.4.2 Idle too long, closing");

        Reply reply = probe(ALICE);

        // Once more on a new connection, which the (scripted) server answers 421 too: not a third time.
        assertThat(reply.code()).isEqualTo(421);
        assertThat(backend.connections()).isEqualTo(2);
        assertThat(pool.openConnections()).isZero();
    }

    @Test
    void doesNotRetryANewConnection() throws Exception {
        backend.dropConnectionAt("RCPT");

        assertThatThrownBy(() -> probe(ALICE)).isInstanceOf(EOFException.class).hasMessageContaining(backend.hostPort());

        assertThat(backend.connections()).isEqualTo(1);
        assertThat(pool.openConnections()).isZero();
        backend.acceptAll();
        assertThat(probe(ALICE).code()).isEqualTo(250);
    }

    @Test
    void doesNotRetryATimeoutOnAnIdleConnection() throws Exception {
        replacePool(pool(2, 2, 100, 100, Duration.ofMillis(200)));
        probe(ALICE);
        backend.delay(Duration.ofSeconds(2));

        assertThatThrownBy(() -> probe(ALICE)).isInstanceOf(SocketTimeoutException.class);

        assertThat(backend.connections()).isEqualTo(1);
    }

    @Test
    void keepsAConnectionOnWhichTheServerRefusedTheSender() throws Exception {
        backend.refuseNullSender();

        assertThatThrownBy(() -> probe(ALICE)).isInstanceOf(SmtpClientException.class).hasMessageContaining("MAIL FROM");
        assertThatThrownBy(() -> probe(ALICE)).isInstanceOf(SmtpClientException.class);

        // The server answered: neither retried nor closed.
        assertThat(backend.connections()).isEqualTo(1);
        assertThat(pool.openConnections()).isEqualTo(1);
    }

    @Test
    void aNewConnectionTakesThePlaceOfAnIdleOneWhenAskedFor() throws Exception {
        probe(ALICE);

        Reply reply = pool.exchangeOnNewConnection(backend.address(), deadline(), this::connect,
                client -> client.probe("", ALICE));

        assertThat(reply.code()).isEqualTo(250);
        assertThat(backend.connections()).isEqualTo(2);
        assertThat(pool.openConnections()).isEqualTo(1);
    }

    // --- bounds

    @Test
    void opensNoMoreThanOpenPerServer() throws Exception {
        replacePool(pool(1, 1, 100, 100));
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
    void aCallerThatFindsEveryConnectionBusyGivesUpAtItsDeadline() throws Exception {
        replacePool(pool(1, 1, 100, 100));
        backend.delay(Duration.ofMillis(300));
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Reply> first = threads.submit(() -> probe(ALICE));
            await().atMost(BUDGET).until(() -> pool.openConnections() == 1);

            long deadline = System.nanoTime() + Duration.ofMillis(100).toNanos();
            assertThatThrownBy(() -> pool.exchange(backend.address(), deadline, this::connect, c -> c.probe("", ALICE)))
                    .isInstanceOf(TimeoutException.class)
                    .hasMessageContaining("busy");
            assertThat(first.get().code()).isEqualTo(250);
        }
        assertThat(backend.connections()).isEqualTo(1);
    }

    @Test
    void keepsNoMoreThanIdlePerServer() throws Exception {
        replacePool(pool(3, 1, 100, 100));
        backend.delay(Duration.ofMillis(100));
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                replies.add(threads.submit(() -> probe(ALICE)));
            }
            for (Future<Reply> reply : replies) {
                reply.get();
            }
        }

        assertThat(backend.connections()).isEqualTo(3);
        assertThat(pool.openConnections()).isEqualTo(1);
    }

    @Test
    void keepsNoMoreThanIdleTotalOverAllServers() throws Exception {
        replacePool(pool(2, 2, 1, 100));
        TestBackend other = TestBackend.start();
        others.add(other);

        probe(ALICE);
        pool.exchange(other.address(), deadline(), this::connect, client -> client.probe("", ALICE));

        assertThat(pool.openConnections()).isEqualTo(1);
        assertThat(pool.servers()).isEqualTo(1);
    }

    @Test
    void forgetsAServerOnceItHasNoConnection() throws Exception {
        backend.dropConnectionAt("RCPT");
        assertThatThrownBy(() -> probe(ALICE)).isInstanceOf(IOException.class);

        assertThat(pool.servers()).isZero();
    }

    @Test
    void aConnectorFailureFreesTheSlot() throws Exception {
        replacePool(pool(1, 1, 100, 100));
        backend.stop();
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> probe(ALICE)).isInstanceOf(IOException.class).hasMessageContaining("cannot connect");
        }

        assertThat(pool.openConnections()).isZero();
        assertThat(pool.servers()).isZero();
    }

    // --- closing

    @Test
    void closingSaysQuitOnIdleConnectionsAndRefusesLaterCallers() throws Exception {
        probe(ALICE);
        pool.close();

        assertThat(pool.openConnections()).isZero();
        assertThat(backend.commands()).last().isEqualTo("QUIT");
        assertThatThrownBy(() -> probe(ALICE)).hasMessageContaining("closed");
        assertThat(opened).hasValue(1);
    }

    // --- fixtures

    private Reply probe(String recipient) throws Exception {
        return pool.exchange(backend.address(), deadline(), this::connect, client -> client.probe("", recipient));
    }

    private SmtpClient connect(InetSocketAddress server, long deadline) throws IOException {
        opened.incrementAndGet();
        return SmtpClient.connect(server, "gatehouse.test", Duration.ofSeconds(2), commandTimeout, null);
    }

    private static long deadline() {
        return System.nanoTime() + BUDGET.toNanos();
    }

    private ConnectionPool pool(int openPerServer, int idlePerServer, int idleTotal, int usesPerConnection) {
        return new ConnectionPool("probe", new ConnectionPool.Limits(openPerServer, idlePerServer, idleTotal,
                usesPerConnection, IDLE_TIMEOUT), clock);
    }

    private ConnectionPool pool(int openPerServer, int idlePerServer, int idleTotal, int usesPerConnection,
                                Duration commandTimeout) {
        this.commandTimeout = commandTimeout;
        return pool(openPerServer, idlePerServer, idleTotal, usesPerConnection);
    }

    private void replacePool(ConnectionPool replacement) {
        pool.close();
        pool = replacement;
    }

    private static MessageContent content(String text) {
        return new MessageContent.InMemory(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A server that answers a probe (with PIPELINING) but never QUIT: it only notes it. */
    private static Void serveWithoutAnsweringQuit(ServerSocket server, CountDownLatch quitReceived) throws IOException {
        try (Socket socket = server.accept();
             BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
             OutputStream out = socket.getOutputStream()) {
            out.write("220 fake ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
            for (String line; (line = in.readLine()) != null; ) {
                String reply = line.startsWith("EHLO") ? "250-fake\r\n250 PIPELINING\r\n"
                        : line.equals("QUIT") ? "" : "250 2.0.0 Ok\r\n";
                if (line.equals("QUIT")) {
                    quitReceived.countDown();
                }
                out.write(reply.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }
        return null;
    }
}
