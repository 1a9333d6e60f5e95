package net.gatehouse.smtp.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * SMTP sessions kept open from one use to the next, per server, as Postfix's scache keeps them:
 * the next mail transaction or callout probe to a server skips the TCP and TLS handshakes, the
 * greeting and EHLO. The delivery agent and the callout each have one, with their own limits.
 *
 * <ul>
 * <li><b>Bounds.</b> Per server at most {@code openPerServer} connections are open (idle, in use
 *     or being opened); a caller that finds them all in use waits for one, until its deadline. At
 *     most {@code idlePerServer} are kept idle per server and {@code idleTotal} over all servers;
 *     one given back beyond that is closed. A server has an entry only while it has a connection
 *     or a caller waiting, so the map is bounded by those.
 * <li><b>Retirement.</b> A connection is closed after {@code usesPerConnection} exchanges, after
 *     {@code idleTimeout} unused (ages read from the injected clock; a sweeper looks once a second
 *     at most), and as soon as it is unusable (an I/O failure, a 421). Closing says QUIT and waits
 *     for the reply, so it is done on a virtual thread of its own: no caller waits for it.
 * <li><b>Stale connections.</b> A server may drop an idle session at any time (RFC 5321
 *     4.5.3.2.7 lets it after 5 minutes, some do sooner), and the client learns it only at the
 *     next use: an end of file, a reset, or a 421. An exchange that fails so on an idle
 *     connection is run once more, on a new one. Not after a timeout (the server is alive but
 *     slow; a new connection would be no faster) nor after a refusal (the server answered). For a
 *     mail transaction this is the window of any lost final reply: the message may arrive twice,
 *     which RFC 5321 6.1 prefers to losing it.
 * </ul>
 *
 * <p>Deadlines are {@link System#nanoTime()} values: the caller's budget, in real time.
 */
public final class ConnectionPool implements AutoCloseable {

    /** The sweeper looks at idle connections at least this often, and at most every 10 ms. */
    private static final Duration MAX_SWEEP_PERIOD = Duration.ofSeconds(1);

    /**
     * @param openPerServer     connections to one server open at once, idle or in use
     * @param idlePerServer     idle connections kept per server
     * @param idleTotal         idle connections kept over all servers
     * @param usesPerConnection exchanges on one connection before it is closed
     * @param idleTimeout       an unused connection is closed after this
     */
    public record Limits(int openPerServer, int idlePerServer, int idleTotal, int usesPerConnection,
                         Duration idleTimeout) {
        public Limits {
            if (openPerServer < 1 || idlePerServer < 1 || idleTotal < 1 || usesPerConnection < 1) {
                throw new IllegalArgumentException("connection pool limits must be at least 1: " + openPerServer + ", "
                        + idlePerServer + ", " + idleTotal + ", " + usesPerConnection);
            }
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("idle timeout must be positive: " + idleTimeout);
            }
        }
    }

    /** Opens a new session: connect, greeting, EHLO, and STARTTLS if the caller wants it. */
    @FunctionalInterface
    public interface Connector {
        /** @param deadline the caller's, as given to the pool */
        SmtpClient connect(InetSocketAddress server, long deadline) throws IOException;
    }

    /** What is done on a connection: a mail transaction, a probe. */
    @FunctionalInterface
    public interface Exchange<T> {
        T on(SmtpClient client) throws IOException;
    }

    /** An idle connection, the exchanges it has carried, and since when it is idle. */
    private record Idle(SmtpClient client, int uses, Instant since) {
    }

    /** The connections to one server. Guarded by the pool's lock. */
    private final class Server {
        final InetSocketAddress address;
        final Condition given = lock.newCondition();
        /** Most recently used first, so that the others age out when fewer are needed. */
        final Deque<Idle> idle = new ArrayDeque<>();
        /** Idle, in use or being opened; never above openPerServer. */
        int open;
        int waiting;

        Server(InetSocketAddress address) {
            this.address = address;
        }
    }

    /** A slot taken for one exchange: its connection (null until one is opened) and its uses. */
    private static final class Lease {
        final Server server;
        SmtpClient client;
        int uses;

        Lease(Server server, SmtpClient client, int uses) {
            this.server = server;
            this.client = client;
            this.uses = uses;
        }

        <T> T run(Exchange<T> exchange) throws IOException {
            uses++;
            return exchange.on(client);
        }

        void replace(Connector connector, InetSocketAddress address, long deadline) throws IOException {
            if (client != null) {
                retire(client);
                client = null;
            }
            uses = 0;
            client = connector.connect(address, deadline);
        }
    }

    private final String purpose;
    private final Limits limits;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<InetSocketAddress, Server> servers = new HashMap<>();
    private int idle;
    private boolean closed;
    private final ScheduledExecutorService sweeper;

    /**
     * @param purpose what the connections are for ("delivery", "probe"): in errors and thread names
     * @param clock   for idle ages
     */
    public ConnectionPool(String purpose, Limits limits, Clock clock) {
        this.purpose = Objects.requireNonNull(purpose, "purpose");
        this.limits = limits;
        this.clock = clock;
        long period = Math.clamp(limits.idleTimeout().toMillis() / 2, 10, MAX_SWEEP_PERIOD.toMillis());
        sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name(purpose + "-pool-sweeper").factory());
        sweeper.scheduleWithFixedDelay(this::closeIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs {@code exchange} on an idle connection to {@code server}, or on a new one from
     * {@code connector}; once more on a new one if the idle one turns out to have been dropped by
     * the server. The connection is kept for the next caller if it is still usable.
     *
     * @param server   the pool's key: what the connector connects to
     * @param deadline by which a connection must be had when every one to the server is in use
     * @throws IOException      the connector's or the exchange's failure
     * @throws TimeoutException every connection to the server stayed in use until the deadline
     */
    public <T> T exchange(InetSocketAddress server, long deadline, Connector connector, Exchange<T> exchange)
            throws IOException, TimeoutException, InterruptedException {
        return run(server, deadline, connector, exchange, false);
    }

    /**
     * As {@link #exchange}, on a new connection, which then takes the place of an idle one: for
     * the catch-all check, which must see what a new session sees (a back-end whose configuration
     * changed applies it to new sessions only, as Postfix after {@code postfix reload}).
     */
    public <T> T exchangeOnNewConnection(InetSocketAddress server, long deadline, Connector connector,
                                         Exchange<T> exchange) throws IOException, TimeoutException, InterruptedException {
        return run(server, deadline, connector, exchange, true);
    }

    private <T> T run(InetSocketAddress address, long deadline, Connector connector, Exchange<T> exchange,
                      boolean fresh) throws IOException, TimeoutException, InterruptedException {
        Lease lease = take(address, deadline);
        try {
            if (lease.client != null && !fresh) {
                try {
                    T result = lease.run(exchange);
                    if (!lease.client.closedByServer()) {
                        return result;
                    }
                } catch (IOException e) {
                    if (!droppedWhileIdle(e)) {
                        throw e;
                    }
                }
            }
            lease.replace(connector, address, deadline);
            return lease.run(exchange);
        } finally {
            giveBack(lease);
        }
    }

    /** Whether the failure says the server had closed the connection, rather than that it is slow or said no. */
    private static boolean droppedWhileIdle(IOException failure) {
        return switch (failure) {
            case SocketTimeoutException slow -> false;
            case SmtpClientException answered -> answered.reply().map(reply -> reply.code() == 421).orElse(false);
            default -> true;
        };
    }

    /** An idle connection, or a free slot for a new one; waits for either until the deadline. */
    private Lease take(InetSocketAddress address, long deadline) throws IOException, TimeoutException, InterruptedException {
        lock.lock();
        try {
            Server server = servers.computeIfAbsent(address, Server::new);
            server.waiting++;
            try {
                while (true) {
                    if (closed) {
                        throw new IOException("the " + purpose + " connection pool is closed; not connecting to "
                                + SmtpClientException.peer(address));
                    }
                    Instant now = clock.instant();
                    for (Idle candidate; (candidate = server.idle.pollFirst()) != null; ) {
                        idle--;
                        if (!isExpired(candidate, now) && candidate.client().isUsable()) {
                            return new Lease(server, candidate.client(), candidate.uses());
                        }
                        server.open--;
                        retire(candidate.client());
                    }
                    if (server.open < limits.openPerServer()) {
                        server.open++;
                        return new Lease(server, null, 0);
                    }
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0) {
                        throw new TimeoutException("all " + server.open + " " + purpose + " connections to "
                                + SmtpClientException.peer(address) + " stayed busy until the deadline");
                    }
                    server.given.awaitNanos(wait);
                }
            } finally {
                server.waiting--;
                forgetIfUnused(server);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Keeps the lease's connection for the next caller, or closes it; either way its slot is free. */
    private void giveBack(Lease lease) {
        SmtpClient closing = lease.client;
        Server server = lease.server;
        lock.lock();
        try {
            if (closing != null && !closed && closing.isUsable() && lease.uses < limits.usesPerConnection()
                    && server.idle.size() < limits.idlePerServer() && idle < limits.idleTotal()) {
                server.idle.addFirst(new Idle(closing, lease.uses, clock.instant()));
                idle++;
                closing = null;
            } else {
                server.open--;
            }
            server.given.signal();
            forgetIfUnused(server);
        } finally {
            lock.unlock();
        }
        if (closing != null) {
            retire(closing);
        }
    }

    /** Closes the connections unused for the idle timeout; run by the sweeper. */
    void closeIdle() {
        List<Idle> expired = new ArrayList<>();
        lock.lock();
        try {
            Instant now = clock.instant();
            for (Iterator<Server> servers = this.servers.values().iterator(); servers.hasNext(); ) {
                Server server = servers.next();
                for (Iterator<Idle> connections = server.idle.iterator(); connections.hasNext(); ) {
                    Idle connection = connections.next();
                    if (isExpired(connection, now)) {
                        connections.remove();
                        expired.add(connection);
                        idle--;
                        server.open--;
                    }
                }
                if (server.open == 0 && server.waiting == 0) {
                    servers.remove();
                }
            }
        } finally {
            lock.unlock();
        }
        expired.forEach(connection -> retire(connection.client()));
    }

    /** Connections open or being opened, over all servers. */
    public int openConnections() {
        lock.lock();
        try {
            return servers.values().stream().mapToInt(server -> server.open).sum();
        } finally {
            lock.unlock();
        }
    }

    /** Servers with a connection or a caller waiting for one: the size of the pool's map. */
    int servers() {
        lock.lock();
        try {
            return servers.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the idle connections, each saying QUIT, and waits for them (each at most as long as
     * {@link SmtpClient#close} waits for the reply); wakes waiting callers to find the pool closed.
     * Connections in use are closed when given back.
     */
    @Override
    public void close() {
        List<SmtpClient> closing = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            for (Server server : servers.values()) {
                server.idle.forEach(connection -> closing.add(connection.client()));
                server.open -= server.idle.size();
                server.idle.clear();
                server.given.signalAll();
            }
            idle = 0;
            servers.values().removeIf(server -> server.open == 0 && server.waiting == 0);
        } finally {
            lock.unlock();
        }
        sweeper.shutdownNow();
        List<Thread> quitting = closing.stream().map(client -> Thread.ofVirtual().start(client::close)).toList();
        try {
            for (Thread thread : quitting) {
                thread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean isExpired(Idle connection, Instant now) {
        return Duration.between(connection.since(), now).compareTo(limits.idleTimeout()) >= 0;
    }

    private void forgetIfUnused(Server server) {
        if (server.open == 0 && server.waiting == 0) {
            servers.remove(server.address, server);
        }
    }

    /** Closes in the background: QUIT waits for its reply, and no caller should wait for that. */
    private static void retire(SmtpClient client) {
        Thread.ofVirtual().name("smtp-close " + SmtpClientException.peer(client.remote())).start(client::close);
    }
}
