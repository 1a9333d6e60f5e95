package net.gatehouse.queue;

import java.net.InetSocketAddress;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import net.gatehouse.smtp.client.SmtpClient;

/**
 * Open SMTP connections kept between deliveries to the same server, as Postfix's scache does:
 * the next message to that server skips the TCP and TLS handshakes and the EHLO. Bounded per
 * server; idle connections are closed after {@code maxIdleNanos}, any connection after
 * {@code maxUses} transactions.
 */
final class ConnectionCache implements AutoCloseable {

    private record Idle(SmtpClient client, long since, int uses) {
    }

    /** A connection handed out, with the number of transactions it has carried. */
    record Lease(SmtpClient client, int uses, boolean reused) {
    }

    private final Map<InetSocketAddress, Deque<Idle>> idle = new ConcurrentHashMap<>();
    private final int maxPerServer;
    private final int maxUses;
    private final long maxIdleNanos;

    ConnectionCache(int maxPerServer, int maxUses, long maxIdleNanos) {
        this.maxPerServer = maxPerServer;
        this.maxUses = maxUses;
        this.maxIdleNanos = maxIdleNanos;
    }

    Optional<Lease> take(InetSocketAddress server) {
        Deque<Idle> connections = idle.get(server);
        if (connections == null) {
            return Optional.empty();
        }
        for (Idle candidate = connections.pollFirst(); candidate != null; candidate = connections.pollFirst()) {
            if (System.nanoTime() - candidate.since() < maxIdleNanos && candidate.client().isUsable()) {
                return Optional.of(new Lease(candidate.client(), candidate.uses(), true));
            }
            candidate.client().close();
        }
        return Optional.empty();
    }

    /** Keeps a connection after a transaction, or closes it when it is spent or the cache is full. */
    void release(InetSocketAddress server, Lease lease) {
        int uses = lease.uses() + 1;
        if (!lease.client().isUsable() || uses >= maxUses) {
            lease.client().close();
            return;
        }
        Deque<Idle> connections = idle.computeIfAbsent(server, s -> new ConcurrentLinkedDeque<>());
        if (connections.size() >= maxPerServer) {
            lease.client().close();
            return;
        }
        connections.addFirst(new Idle(lease.client(), System.nanoTime(), uses));
    }

    /** Closes connections idle for too long; called periodically by the delivery agent. */
    void closeIdle() {
        long now = System.nanoTime();
        for (Deque<Idle> connections : idle.values()) {
            connections.removeIf(c -> {
                if (now - c.since() >= maxIdleNanos) {
                    c.client().close();
                    return true;
                }
                return false;
            });
        }
    }

    @Override
    public void close() {
        for (Deque<Idle> connections : idle.values()) {
            for (Idle c = connections.pollFirst(); c != null; c = connections.pollFirst()) {
                c.client().close();
            }
        }
    }
}
