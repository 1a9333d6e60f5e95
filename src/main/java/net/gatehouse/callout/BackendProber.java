package net.gatehouse.callout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.callout.CalloutResult.TemporaryFailure;
import net.gatehouse.config.CalloutConfig;
import net.gatehouse.config.IpLiteral;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.dns.DnsTemporaryException;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.client.ConnectionPool;
import net.gatehouse.smtp.client.SmtpClient;
import net.gatehouse.smtp.protocol.Reply;

/**
 * One probe of a domain's back-ends: the network half of the callout, apart from
 * {@link CalloutVerifier}'s cache, hold-downs and single flight. Back-ends are asked in order on
 * pooled connections; a back-end's host name is resolved through {@link MxResolver} when a
 * connection opens, within the probe's budget, and an IP address needs no lookup.
 */
final class BackendProber {

    private final CalloutConfig config;
    private final String heloName;
    private final MxResolver dns;
    private final ConnectionPool pool;

    BackendProber(CalloutConfig config, String heloName, MxResolver dns, ConnectionPool pool) {
        this.config = config;
        this.heloName = heloName;
        this.dns = dns;
        this.pool = pool;
    }

    /**
     * Asks the domain's back-ends in order until one answers about the address; its own deadline
     * is the budget. {@code fresh}: on new connections (see {@link ConnectionPool#exchangeOnNewConnection}).
     */
    CalloutResult probe(ProtectedDomain domain, String address, boolean fresh) {
        long started = System.nanoTime();
        long deadline = started + config.timeout().toNanos();
        List<ListenAddress> backends = domain.backends();
        List<String> failures = new ArrayList<>(backends.size());
        for (int i = 0; i < backends.size() && System.nanoTime() < deadline; i++) {
            ListenAddress backend = backends.get(i);
            try {
                Reply reply = probe(backend, address, deadline, fresh);
                String how = "probe to backend %d of %d (%s), %d ms".formatted(i + 1, backends.size(), backend, millisSince(started));
                if (reply.code() == 421) {
                    failures.add(backend + " is closing the connection: " + reply);
                    continue;
                }
                return switch (reply.code() / 100) {
                    case 2 -> new Accepted(how, reply.toString());
                    case 5 -> new Rejected(reply, how);
                    default -> new TemporaryFailure(backend + " answered " + reply, how);
                };
            } catch (IOException | TimeoutException e) {
                failures.add(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add("interrupted");
                break;
            }
        }
        String how = "tried %d of %d back-ends, %d ms".formatted(failures.size(), backends.size(), millisSince(started));
        String why = failures.isEmpty() ? "the domain has no back-end" : String.join("; ", failures);
        return new TemporaryFailure(System.nanoTime() >= deadline ? "over budget: " + why : "no back-end answered: " + why, how);
    }

    /**
     * One probe of one back-end ({@link SmtpClient#probe}) on a pooled connection, which the pool
     * replaces once if the back-end had closed it while it was idle.
     */
    private Reply probe(ListenAddress backend, String address, long deadline, boolean fresh)
            throws IOException, TimeoutException, InterruptedException {
        // Unresolved: the pool's key is the back-end as configured; its name is resolved when a connection
        // opens, so that an idle connection is reused without a lookup.
        InetSocketAddress server = InetSocketAddress.createUnresolved(backend.host(), backend.port());
        ConnectionPool.Connector connector = (unresolved, by) -> connect(backend, by);
        ConnectionPool.Exchange<Reply> probe = client -> client.probe(config.probeSender(), address, deadline);
        return fresh ? pool.exchangeOnNewConnection(server, deadline, connector, probe)
                : pool.exchange(server, deadline, connector, probe);
    }

    /** A session with the first of the back-end's addresses that takes one, before the deadline. */
    private SmtpClient connect(ListenAddress backend, long deadline) throws IOException {
        IOException failure = null;
        for (InetAddress address : addresses(backend, deadline)) {
            Duration left = Duration.ofNanos(deadline - System.nanoTime());
            if (left.isNegative() || left.isZero()) {
                break;
            }
            Duration connectTimeout = left.compareTo(config.connectTimeout()) < 0 ? left : config.connectTimeout();
            try {
                // Replies are awaited until the probe's deadline at the latest: one later than that is of no use,
                // and a tarpitting back-end must not hold the connection past it. Later probes on the
                // connection have a whole budget (callout.timeout) again.
                return SmtpClient.connect(new InetSocketAddress(address, backend.port()), heloName, connectTimeout,
                        config.timeout(), null, deadline);
            } catch (IOException e) {
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                failure = e;
            }
        }
        throw failure != null ? failure : new SocketTimeoutException("no time left to connect to " + backend);
    }

    /**
     * The back-end's addresses, each carrying the name it was configured by (for the log, without
     * a reverse lookup); an IP address as it is. Never empty.
     *
     * @throws DnsTemporaryException no answer by the deadline (or the DNS timeout), or a failed one
     * @throws UnknownHostException  the name has no address
     */
    private List<InetAddress> addresses(ListenAddress backend, long deadline) throws IOException {
        String host = backend.host();
        Optional<byte[]> literal = IpLiteral.parse(host);
        if (literal.isPresent()) {
            return List.of(InetAddress.getByAddress(literal.get()));
        }
        List<InetAddress> addresses;
        try {
            addresses = dns.addresses(host, deadline);
        } catch (DnsTemporaryException e) {
            throw new DnsTemporaryException("cannot resolve back-end " + backend + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UnknownHostException("back-end " + backend + " is not a host name: " + e.getMessage());
        }
        if (addresses.isEmpty()) {
            throw new UnknownHostException("back-end " + backend + " has no address in DNS");
        }
        List<InetAddress> named = new ArrayList<>(addresses.size());
        for (InetAddress address : addresses) {
            named.add(InetAddress.getByAddress(host, address.getAddress()));
        }
        return named;
    }

    private static long millisSince(long started) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }
}
