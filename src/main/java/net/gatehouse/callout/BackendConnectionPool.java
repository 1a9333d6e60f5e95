package net.gatehouse.callout;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import net.gatehouse.config.CalloutConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.smtp.client.SmtpClient;
import net.gatehouse.smtp.protocol.Reply;

/**
 * Probe connections to back-end servers, kept open from one probe to the next, so that a probe
 * costs one round trip (MAIL, RCPT and RSET pipelined) rather than a TCP handshake, a greeting and
 * EHLO. Per back-end at most {@code connections_per_backend} are open; a probe that finds them all
 * busy waits for one, until its deadline. A connection is closed after
 * {@code probes_per_connection} probes, after {@code idle_timeout} unused, or at its first failure.
 *
 * <p>Deadlines are {@link System#nanoTime()} values; idle ages are read from the clock.
 */
final class BackendConnectionPool implements AutoCloseable {

    private final CalloutConfig config;
    private final String heloName;
    private final Clock clock;
    /** One entry per back-end named in the policy: bounded by it. */
    private final Map<ListenAddress, Backend> backends = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;
    private volatile boolean closed;

    BackendConnectionPool(CalloutConfig config, String heloName, Clock clock) {
        this.config = config;
        this.heloName = heloName;
        this.clock = clock;
        long period = Math.max(config.idleTimeout().toMillis() / 2, 10);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("callout-pool-sweeper").factory());
        sweeper.scheduleWithFixedDelay(this::closeIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Asks {@code backend} about {@code recipient} with {@link SmtpClient#probe}, on an idle
     * connection if there is one. A pooled connection found dead (the server closed it while it
     * was idle: RFC 5321 4.5.3.2.7 lets a server drop a client after 5 minutes) is replaced by a
     * fresh one, once.
     *
     * @param deadline the {@link System#nanoTime()} by which a connection must be had
     * @throws IOException      the back-end cannot be reached, refused the session, or failed in it
     * @throws TimeoutException every connection to the back-end stayed busy until the deadline
     */
    Reply probe(ListenAddress backend, String sender, String recipient, long deadline)
            throws IOException, TimeoutException, InterruptedException {
        return probe(backend, sender, recipient, deadline, false);
    }

    /**
     * As {@link #probe(ListenAddress, String, String, long)}; with {@code fresh}, on a new
     * connection rather than an idle one (the idle one is closed; the new one takes its place in
     * the pool). For the catch-all
     * check: a back-end whose configuration changed applies it to new sessions only (Postfix after
     * {@code postfix reload}), and the check must see what a new session sees.
     */
    Reply probe(ListenAddress backend, String sender, String recipient, long deadline, boolean fresh)
            throws IOException, TimeoutException, InterruptedException {
        Backend pool = backends.computeIfAbsent(backend, Backend::new);
        Connection connection = pool.take(deadline);
        if (fresh && connection != null) {
            retire(connection);
            connection = null;
        }
        try {
            if (connection != null) {
                try {
                    Reply reply = connection.client().probe(sender, recipient);
                    connection = connection.used();
                    if (reply.code() != 421) {
                        return reply;
                    }
                } catch (SocketTimeoutException slow) {
                    throw slow;   // alive but slow: a fresh connection would be no faster
                } catch (IOException dead) {
                    // closed by the server while idle: see above
                }
                retire(connection);
                connection = null;
            }
            connection = open(backend, deadline);
            Reply reply = connection.client().probe(sender, recipient);
            connection = connection.used();
            return reply;
        } finally {
            pool.giveBack(connection);
        }
    }

    /** Connections open or being opened, over all back-ends. */
    int openConnections() {
        return backends.values().stream().mapToInt(Backend::open).sum();
    }

    /** Closes the connections unused for {@code idle_timeout}; run periodically. */
    void closeIdle() {
        backends.values().forEach(Backend::closeIdle);
    }

    @Override
    public void close() {
        closed = true;
        sweeper.shutdownNow();
        backends.values().forEach(Backend::close);
    }

    private Connection open(ListenAddress backend, long deadline) throws IOException {
        Duration left = Duration.ofNanos(deadline - System.nanoTime());
        if (left.isNegative() || left.isZero()) {
            throw new SocketTimeoutException("no time left to connect to " + backend);
        }
        Duration connectTimeout = left.compareTo(config.connectTimeout()) < 0 ? left : config.connectTimeout();
        // Replies are awaited up to the whole budget: one slower than that is of no use.
        SmtpClient client = SmtpClient.connect(backend.toSocketAddress(), heloName, connectTimeout, config.timeout(), null);
        return new Connection(client, 0, clock.instant());
    }

    /** Closes in the background: QUIT waits for its reply, and no probe should wait for that. */
    private static void retire(Connection connection) {
        Thread.ofVirtual().name("callout-close").start(connection.client()::close);
    }

    /** A connection and what it has done. */
    private record Connection(SmtpClient client, int probes, Instant idleSince) {

        Connection used() {
            return new Connection(client, probes + 1, idleSince);
        }
    }

    /** The connections to one back-end. */
    private final class Backend {
        private final ListenAddress address;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition given = lock.newCondition();
        /** Most recently used first, so that the others age out when fewer are needed. */
        private final Deque<Connection> idle = new ArrayDeque<>();
        /** Idle, in use or being opened; never above connections_per_backend. */
        private int open;

        Backend(ListenAddress address) {
            this.address = address;
        }

        /** An idle connection, or null when the caller may open one; either way one slot is the caller's until {@link #giveBack}. */
        Connection take(long deadline) throws IOException, TimeoutException, InterruptedException {
            lock.lock();
            try {
                while (true) {
                    if (closed) {
                        throw new IOException("callout connection pool is closed; not probing " + address);
                    }
                    Instant now = clock.instant();
                    for (Connection connection; (connection = idle.pollFirst()) != null; ) {
                        if (!isExpired(connection, now)) {
                            return connection;
                        }
                        open--;
                        retire(connection);
                    }
                    if (open < config.connectionsPerBackend()) {
                        open++;
                        return null;
                    }
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0) {
                        throw new TimeoutException("all " + open + " probe connections to " + address + " stayed busy until the deadline");
                    }
                    given.awaitNanos(wait);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Takes back the caller's slot, with its connection (null when it has none) to keep or close. */
        void giveBack(Connection connection) {
            lock.lock();
            try {
                if (connection != null && !closed && connection.client().isUsable()
                        && connection.probes() < config.probesPerConnection()) {
                    idle.addFirst(new Connection(connection.client(), connection.probes(), clock.instant()));
                } else {
                    open--;
                    if (connection != null) {
                        retire(connection);
                    }
                }
                given.signal();
            } finally {
                lock.unlock();
            }
        }

        void closeIdle() {
            lock.lock();
            try {
                Instant now = clock.instant();
                idle.removeIf(connection -> {
                    if (isExpired(connection, now)) {
                        open--;
                        retire(connection);
                        return true;
                    }
                    return false;
                });
            } finally {
                lock.unlock();
            }
        }

        int open() {
            lock.lock();
            try {
                return open;
            } finally {
                lock.unlock();
            }
        }

        /** Closes the idle connections now, and wakes the waiting probes to find the pool closed. */
        void close() {
            List<Connection> closing;
            lock.lock();
            try {
                closing = new ArrayList<>(idle);
                open -= idle.size();
                idle.clear();
                given.signalAll();
            } finally {
                lock.unlock();
            }
            closing.forEach(connection -> connection.client().close());
        }

        private boolean isExpired(Connection connection, Instant now) {
            return Duration.between(connection.idleSince(), now).compareTo(config.idleTimeout()) >= 0;
        }
    }
}
