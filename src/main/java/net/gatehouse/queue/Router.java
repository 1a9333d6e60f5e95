package net.gatehouse.queue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.gatehouse.config.IpLiteral;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.dns.DnsTemporaryException;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.dns.MxResult;
import net.gatehouse.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a destination's mail goes: the servers to try, in order, or why there are none. A
 * protected domain's back-ends in their configured order; another domain's mail exchangers by
 * preference, or its address records when it has no MX (RFC 5321 5.1); an address literal's
 * address.
 *
 * <p>Every name is resolved through {@link MxResolver}: the configured {@code dns.servers}, each
 * lookup bounded by {@code dns.timeout}. Never through the system resolver, whose lookups have no
 * deadline of ours: through it, a slow resolver held up every delivery to a back-end named by a
 * host name. Back-end names are looked up one after the other: a domain with n back-end names waits at
 * most n timeouts, and a back-end without an address in time is skipped (and logged).
 *
 * <p>Each server carries the name it was found under, so that the log names it as Postfix does
 * ({@code relay=mx1.example.net[192.0.2.1]:25}) without a reverse lookup.
 */
final class Router {

    /** The servers of a destination, or what becomes of its recipients when it has none. */
    sealed interface Route {

        /** Servers to try in this order; never empty. */
        record Servers(List<InetSocketAddress> servers) implements Route {
            public Servers {
                servers = List.copyOf(servers);
            }
        }

        /** No server: every recipient of the destination gets this outcome. */
        record Unroutable(Outcome outcome) implements Route {
        }
    }

    /** The delivery agent's logger: the name its lines have always had in the JSON log. */
    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);

    private final MxResolver dns;
    private final int remotePort;
    private final GatewayMetrics metrics;

    /** @param remotePort the port of mail exchangers (back-ends name their own) */
    Router(MxResolver dns, int remotePort, GatewayMetrics metrics) {
        this.dns = dns;
        this.remotePort = remotePort;
        this.metrics = metrics;
    }

    Route route(Destination destination) {
        if (destination.isBackend()) {
            return backends(destination);
        }
        if (destination.isAddressLiteral()) {
            return addressLiteral(destination.domain());
        }
        return exchangers(destination.domain());
    }

    private Route backends(Destination destination) {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (ListenAddress backend : destination.backend().orElseThrow().backends()) {
            List<InetAddress> addresses = addresses(backend.host());
            if (addresses.isEmpty()) {
                log.warn("backend_unresolvable domain={} backend={}", destination.domain(), backend);
            }
            addresses.forEach(address -> servers.add(new InetSocketAddress(address, backend.port())));
        }
        if (servers.isEmpty()) {
            return new Route.Unroutable(Outcome.deferred("4.4.4", "No back-end server address could be resolved"));
        }
        return new Route.Servers(servers);
    }

    /**
     * A back-end's addresses, each named by its configured host name; empty when DNS has none, or
     * none in time. An IP address is used as it is, unnamed, as the relay shows it.
     */
    private List<InetAddress> addresses(String host) {
        Optional<InetAddress> literal = literal(host);
        if (literal.isPresent()) {
            return List.of(literal.get());
        }
        try {
            return dns.addresses(host).stream().map(address -> named(host, address)).toList();
        } catch (DnsTemporaryException | IllegalArgumentException e) {
            return List.of();
        }
    }

    private Route addressLiteral(String domain) {
        String literal = domain.substring(1, domain.length() - 1);
        literal = literal.regionMatches(true, 0, "IPv6:", 0, 5) ? literal.substring(5) : literal;
        return literal(literal)
                .<Route>map(address -> new Route.Servers(List.of(new InetSocketAddress(address, remotePort))))
                .orElseGet(() -> new Route.Unroutable(Outcome.failed(550, "5.1.2", "Bad address literal " + domain)));
    }

    private Route exchangers(String domain) {
        long started = System.nanoTime();
        MxResult answer = dns.resolve(domain);
        metrics.dnsLookup(Duration.ofNanos(System.nanoTime() - started), switch (answer) {
            case MxResult.Found found -> "found";
            case MxResult.NullMx nullMx -> "null_mx";
            case MxResult.NoSuchDomain none -> "nxdomain";
            case MxResult.Malformed malformed -> "malformed";
            case MxResult.TemporaryFailure failure -> "tempfail";
        });
        return switch (answer) {
            case MxResult.Found found -> {
                List<InetSocketAddress> servers = new ArrayList<>();
                for (var exchanger : found.exchangers()) {
                    for (InetAddress address : exchanger.addresses()) {
                        servers.add(new InetSocketAddress(named(exchanger.host(), address), remotePort));
                    }
                }
                yield new Route.Servers(servers);
            }
            case MxResult.NullMx nullMx -> new Route.Unroutable(Outcome.failed(556, "5.1.10",
                    "Recipient domain " + domain + " accepts no mail (null MX)"));
            case MxResult.NoSuchDomain none -> new Route.Unroutable(Outcome.failed(550, "5.1.2",
                    "Recipient domain " + domain + " not found"));
            case MxResult.Malformed malformed -> new Route.Unroutable(Outcome.deferred("4.4.4",
                    "Mail exchangers of " + domain + " are misconfigured: " + malformed.reason()));
            case MxResult.TemporaryFailure failure -> new Route.Unroutable(Outcome.deferred("4.4.3",
                    "DNS lookup for " + domain + " failed: " + failure.reason()));
        };
    }

    /** An IP address written as text, parsed without any lookup. */
    private static Optional<InetAddress> literal(String text) {
        return IpLiteral.parse(text).map(bytes -> {
            try {
                return InetAddress.getByAddress(bytes);
            } catch (UnknownHostException e) { // only for a length other than 4 or 16, which parse never gives
                throw new IllegalStateException(e);
            }
        });
    }

    /** The address carrying the name it was looked up under, so that no reverse lookup is ever needed. */
    private static InetAddress named(String host, InetAddress address) {
        try {
            return InetAddress.getByAddress(host, address.getAddress());
        } catch (UnknownHostException e) { // only for an address of the wrong length, which a resolver never returns
            return address;
        }
    }
}
