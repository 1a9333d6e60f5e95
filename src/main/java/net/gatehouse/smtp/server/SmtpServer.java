package net.gatehouse.smtp.server;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.SmtpConfig;
import net.gatehouse.log.MessageSink;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.policy.HarvestGuard;
import net.gatehouse.policy.RecipientPolicy;
import net.gatehouse.queue.Spool;
import net.gatehouse.queue.SpooledMessage;
import net.gatehouse.smtp.protocol.ProxyHeader;
import net.gatehouse.smtp.protocol.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound SMTP listener: accepts connections on every configured address, enforces the
 * connection limits, and runs one {@link SmtpSession} per connection on a virtual thread.
 */
public final class SmtpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SmtpServer.class);
    /** The balancer sends its header at once; HAProxy's spec asks receivers to wait at least 3 s. */
    private static final int PROXY_HEADER_TIMEOUT_MILLIS = 10_000;

    /** What new sessions start with; replaced whole by {@link #reconfigure}. */
    private volatile SessionContext context;
    private final boolean proxyProtocol;
    private final HarvestGuard harvest;
    private final GatewayMetrics metrics;
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private volatile boolean draining;

    public SmtpServer(String hostname, SmtpConfig config, Optional<SSLContext> tls, RecipientPolicy recipientPolicy,
                      HarvestGuard harvest, Spool spool, Consumer<SpooledMessage> onQueued, Clock clock,
                      GatewayMetrics metrics, MessageSink messageLog) {
        this.proxyProtocol = config.proxyProtocol();
        this.harvest = harvest;
        this.metrics = metrics;
        this.context = new SessionContext(hostname, config, tls, recipientPolicy, harvest, spool, onQueued, clock,
                () -> draining, metrics, messageLog);
    }

    /**
     * New limits, timeouts and TLS context for the sessions that start from now on (a reload);
     * sessions in progress finish with what they started with. The listen addresses and
     * {@code proxy_protocol} are those of the start: they take a restart.
     */
    public void reconfigure(SmtpConfig config, Optional<SSLContext> tls) {
        SessionContext running = context;
        context = new SessionContext(running.hostname(), config, tls, running.recipientPolicy(), running.harvest(),
                running.spool(), running.onQueued(), running.clock(), running.drainingFlag(), running.metrics(),
                running.messageLog());
    }

    /** Binds every listen address (all or nothing) and starts accepting. */
    public void start() throws IOException {
        SmtpConfig config = context.config();
        try {
            for (ListenAddress address : config.listen()) {
                ServerSocket listener = new ServerSocket();
                listeners.add(listener);
                listener.setReuseAddress(true);
                listener.bind(address.toSocketAddress(), 512);
            }
        } catch (IOException e) {
            close();
            throw new IOException("cannot listen for SMTP on " + config.listen() + ": " + e.getMessage(), e);
        }
        for (ServerSocket listener : listeners) {
            log.info("smtp_listening address={}", describe((InetSocketAddress) listener.getLocalSocketAddress()));
            Thread.ofPlatform().name("smtp-accept-" + listener.getLocalPort()).daemon().start(() -> accept(listener));
        }
    }

    /** The addresses actually bound (ports chosen by the system when configured as 0). */
    public List<InetSocketAddress> boundAddresses() {
        return listeners.stream().map(l -> (InetSocketAddress) l.getLocalSocketAddress()).toList();
    }

    private void accept(ServerSocket listener) {
        while (!listener.isClosed()) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    log.warn("smtp_accept_failed error=\"{}\"", e.getMessage());
                }
                continue;
            }
            Thread.ofVirtual().name("smtp-session").start(() -> serve(socket));
        }
    }

    private void serve(Socket socket) {
        connections.add(socket);
        metrics.connectionOpened();
        try (socket) {
            Optional<InetAddress> client = clientAddress(socket);
            if (client.isPresent()) {
                limitAndRun(socket, client.get());
            }
        } catch (IOException e) {
            log.debug("connection_failed peer={} error=\"{}\"", socket.getInetAddress().getHostAddress(), e.getMessage());
        } finally {
            connections.remove(socket);
            metrics.connectionClosed();
        }
    }

    /**
     * The client: the socket's peer, or with {@code proxy_protocol} the address the load balancer
     * reports in its PROXY header (empty for its own health checks: then the balancer itself).
     */
    private Optional<InetAddress> clientAddress(Socket socket) throws IOException {
        if (!proxyProtocol) {
            return Optional.of(socket.getInetAddress());
        }
        socket.setSoTimeout(PROXY_HEADER_TIMEOUT_MILLIS);
        try {
            ProxyHeader header = ProxyHeader.read(socket.getInputStream());
            return Optional.of(header.source().map(InetSocketAddress::getAddress).orElse(socket.getInetAddress()));
        } catch (ProxyHeader.ProxyProtocolException e) {
            log.info("proxy_header_refused peer={} error=\"{}\"", socket.getInetAddress().getHostAddress(), e.getMessage());
            return Optional.empty();
        }
    }

    private void limitAndRun(Socket socket, InetAddress client) throws IOException {
        AtomicInteger fromClient = perClient.computeIfAbsent(client, c -> new AtomicInteger());
        int clientCount = fromClient.incrementAndGet();
        int totalCount = total.incrementAndGet();
        SessionContext context = this.context;
        SmtpConfig config = context.config();
        try {
            socket.setTcpNoDelay(true);
            if (totalCount > config.maxConnections()) {
                refuse(socket, client, Reply.TOO_MANY_CONNECTIONS, "max_connections");
            } else if (clientCount > config.maxConnectionsPerIp()) {
                refuse(socket, client, Reply.TOO_MANY_CONNECTIONS_FROM_YOU, "max_connections_per_ip");
            } else if (harvest.isBlocked(client)) {
                refuse(socket, client, Reply.HARVEST_BLOCKED_AT_CONNECT, "harvest_block");
            } else {
                new SmtpSession(context, socket, client).run();
            }
        } finally {
            total.decrementAndGet();
            perClient.computeIfPresent(client, (c, count) -> count.decrementAndGet() == 0 ? null : count);
        }
    }

    private void refuse(Socket socket, InetAddress client, Reply reply, String limit) throws IOException {
        log.info("connection_refused client={} limit={}", client.getHostAddress(), limit);
        metrics.connectionRefused(limit);
        OutputStream out = socket.getOutputStream();
        out.write(reply.wire().getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Connections open right now. */
    public int connectionCount() {
        return total.get();
    }

    /**
     * Stops accepting, lets sessions finish what they are doing for up to {@code grace} (idle ones
     * are told 421 at their next command), then closes whatever is left.
     */
    public void drain(Duration grace) {
        draining = true;
        closeListeners();
        long deadline = System.nanoTime() + grace.toNanos();
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!connections.isEmpty()) {
            log.info("smtp_drain_timeout closing={}", connections.size());
        }
        close();
    }

    @Override
    public void close() {
        draining = true;
        closeListeners();
        for (Socket socket : connections) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void closeListeners() {
        for (ServerSocket listener : listeners) {
            try {
                listener.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static String describe(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

}
