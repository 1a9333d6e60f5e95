package net.gatehouse.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import net.gatehouse.config.DnsConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.dns.MxResult.Found;
import net.gatehouse.dns.MxResult.Malformed;
import net.gatehouse.dns.MxResult.NoSuchDomain;
import net.gatehouse.dns.MxResult.NullMx;
import net.gatehouse.dns.MxResult.TemporaryFailure;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;
import org.xbill.DNS.lookup.ServerFailedException;

/**
 * Finds the mail exchangers of a domain (RFC 5321 5.1, RFC 7505) and the addresses of hosts.
 *
 * <p>Queries go to the configured servers, or to the system's when none are configured, through a
 * resolver of this instance: never dnsjava's static defaults, which are global state. Each call
 * is bounded as a whole by the configured timeout (the MX query and every address query after it
 * share one deadline), so a silent server costs at most that long; a caller with a tighter budget
 * may give an earlier deadline ({@link #addresses(String, long)}). Calls block; callers run them on
 * virtual threads. Thread-safe.
 *
 * <p>Answers are cached by this instance (never in a static cache): records for their TTL,
 * NXDOMAIN and NODATA for the SOA's minimum (RFC 2308), temporary failures not at all, so a
 * repeated call may ask no server. The cache is dnsjava's, bounded in entries, and ages its
 * entries by the system clock: dnsjava takes no other clock from outside its package.
 *
 * <p>Decisions beyond the RFCs' letter:
 * <ul>
 *   <li>Exchangers of equal preference keep the order of the DNS answer. Randomising among them
 *       (RFC 5321 5.1) is the delivering side's job, so results stay deterministic here.
 *   <li>An exchange that is not a host name (an address such as {@code 192.0.2.1.}, a label with
 *       {@code _}, a leading or trailing hyphen) is skipped when the domain has valid exchangers
 *       too; only when none is valid is the result {@link Malformed}. A {@code .} exchange is
 *       different: it declares "no mail" (RFC 7505), so beside other records or with a preference
 *       other than 0 it makes the whole set {@link Malformed}.
 *   <li>An exchanger without addresses is dropped. If none has addresses the result is
 *       {@link TemporaryFailure} when some address query failed, otherwise {@link Malformed}.
 *   <li>A host's A and AAAA queries are independent: if one fails and the other gives addresses,
 *       those addresses are used (as Postfix does).
 *   <li>At most {@value #MAX_EXCHANGERS} exchangers, the most preferred, are resolved per domain,
 *       bounding the queries one domain can cause.
 *   <li>Removing this gateway itself from the list (RFC 5321 5.1) is the caller's job.
 * </ul>
 */
public final class MxResolver {

    static final int MAX_EXCHANGERS = 10;

    // RFC 1123 2.1: a host name label is letters, digits and hyphens, not starting or ending with a hyphen
    private static final Pattern HOST_LABEL =
            Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", Pattern.CASE_INSENSITIVE);
    // RFC 3696 2: no top-level domain is all-numeric, so such a name is an address written as a name
    private static final Pattern NUMERIC = Pattern.compile("[0-9]+");

    private static final List<InetAddress> LOOPBACK = List.of(loopback("127.0.0.1"), loopback("::1"));

    private final LookupSession session;
    private final Duration timeout;

    /**
     * A resolver asking {@code config.servers()}, or the system's servers (resolv.conf) when that
     * list is empty, each call bounded by {@code config.timeout()}.
     *
     * @throws IllegalArgumentException if the timeout is not positive
     * @throws IllegalStateException if no servers are configured and the system has none
     */
    public MxResolver(DnsConfig config) {
        timeout = Objects.requireNonNull(config.timeout(), "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("DNS timeout must be positive: " + timeout);
        }
        List<InetSocketAddress> servers = config.servers().isEmpty()
                ? ResolverConfig.getCurrentConfig().servers()
                : config.servers().stream().map(ListenAddress::toSocketAddress).toList();
        if (servers.isEmpty()) {
            throw new IllegalStateException("no DNS servers configured, and none found in the system configuration");
        }
        ExtendedResolver resolver = new ExtendedResolver(servers.stream().<Resolver>map(SimpleResolver::new).toList());
        // Set after construction: the constructor gives every server dnsjava's default timeout.
        resolver.setTimeout(timeout);
        // Each attempt gets a share of the deadline, so that a lost datagram or a dead server
        // leaves time to ask again or to ask the next server.
        Duration perAttempt = timeout.dividedBy(Math.max(2, servers.size()));
        for (Resolver server : resolver.getResolvers()) {
            server.setTimeout(perAttempt);
        }
        // Answers are kept for their TTL, negative ones as RFC 2308 says (the SOA's minimum),
        // bounded in size by dnsjava's cache; one cache per resolver, never a static one.
        session = LookupSession.builder().resolver(resolver).cache(new Cache(DClass.IN)).build();
    }

    /**
     * The mail exchangers of {@code domain}, an ASCII name (IDNs already in A-labels) with or
     * without a trailing dot.
     *
     * @throws IllegalArgumentException if {@code domain} is not a DNS name
     */
    public MxResult resolve(String domain) {
        Name name = absolute(domain);
        long deadline = System.nanoTime() + timeout.toNanos();
        return switch (await(ask(name, Type.MX, deadline))) {
            case NoSuchName nxdomain -> new NoSuchDomain();
            case Failed failed -> new TemporaryFailure(failed.reason());
            case Records answer -> {
                List<MXRecord> mx = answer.records().stream()
                        .filter(MXRecord.class::isInstance).map(MXRecord.class::cast).toList();
                yield mx.isEmpty() ? implicitMx(name, deadline) : fromMxRecords(mx, deadline);
            }
        };
    }

    /**
     * The addresses of {@code host}, A records then AAAA; empty when the name does not exist or
     * has none. An IP address literal is returned as it is, without a query, and so are the
     * loopback addresses for {@code localhost} and names under it (RFC 6761 6.3: resolvers answer
     * them themselves; a DNS server may not know them).
     *
     * @throws DnsTemporaryException if neither query gave addresses and one of them failed
     * @throws IllegalArgumentException if {@code host} is neither a DNS name nor an IP address
     */
    public List<InetAddress> addresses(String host) throws DnsTemporaryException {
        return addresses(host, System.nanoTime() + timeout.toNanos());
    }

    /**
     * As {@link #addresses(String)}, the queries bounded by {@code deadline} (a
     * {@link System#nanoTime()} value) when that comes before the configured timeout: for a caller
     * with a budget of its own, such as a callout.
     *
     * @throws DnsTemporaryException if neither query gave addresses by the deadline and one of them failed
     * @throws IllegalArgumentException if {@code host} is neither a DNS name nor an IP address
     */
    public List<InetAddress> addresses(String host, long deadline) throws DnsTemporaryException {
        if (Address.isDottedQuad(host) || host.indexOf(':') >= 0) {
            try {
                return List.of(Address.getByAddress(host));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address: " + host, e);
            }
        }
        if (isLocalhost(host)) {
            return LOOPBACK;
        }
        long ownDeadline = System.nanoTime() + timeout.toNanos();
        return lookUpAddresses(absolute(host), deadline - ownDeadline < 0 ? deadline : ownDeadline).await();
    }

    // RFC 5321 5.1: without MX records the domain itself is the exchanger, at preference 0
    private MxResult implicitMx(Name domain, long deadline) {
        try {
            List<InetAddress> addresses = lookUpAddresses(domain, deadline).await();
            return addresses.isEmpty()
                    ? new NoSuchDomain()
                    : new Found(List.of(new Exchanger(hostName(domain), 0, addresses)));
        } catch (DnsTemporaryException e) {
            return new TemporaryFailure(e.getMessage());
        }
    }

    private MxResult fromMxRecords(List<MXRecord> mx, long deadline) {
        // RFC 7505 3: a null MX is the only MX record, with preference 0 and exchange "."
        if (mx.stream().anyMatch(record -> record.getTarget().equals(Name.root))) {
            if (mx.size() > 1) {
                return new Malformed("\".\" exchange beside other MX records");
            }
            int preference = mx.getFirst().getPriority();
            return preference == 0 ? new NullMx() : new Malformed("\".\" exchange with preference " + preference);
        }
        Set<Name> seen = new HashSet<>();
        List<MXRecord> usable = mx.stream()
                .filter(record -> isHostName(record.getTarget()))
                .sorted(Comparator.comparingInt(MXRecord::getPriority))
                .filter(record -> seen.add(record.getTarget()))
                .limit(MAX_EXCHANGERS)
                .toList();
        if (usable.isEmpty()) {
            return new Malformed("no exchange is a host name: "
                    + mx.stream().map(record -> record.getTarget().toString()).toList());
        }
        // Ask for all exchangers' addresses at once; wait for them in order of preference.
        List<AddressQueries> queries =
                usable.stream().map(record -> lookUpAddresses(record.getTarget(), deadline)).toList();
        List<Exchanger> exchangers = new ArrayList<>();
        String failure = null;
        for (int i = 0; i < usable.size(); i++) {
            MXRecord record = usable.get(i);
            try {
                List<InetAddress> addresses = queries.get(i).await();
                if (!addresses.isEmpty()) {
                    exchangers.add(new Exchanger(hostName(record.getTarget()), record.getPriority(), addresses));
                }
            } catch (DnsTemporaryException e) {
                failure = e.getMessage();
            }
        }
        if (!exchangers.isEmpty()) {
            return new Found(exchangers);
        }
        return failure != null ? new TemporaryFailure(failure) : new Malformed("no exchanger has an address");
    }

    private AddressQueries lookUpAddresses(Name host, long deadline) {
        return new AddressQueries(ask(host, Type.A, deadline), ask(host, Type.AAAA, deadline));
    }

    /** The A and AAAA queries of one host, sent together. */
    private record AddressQueries(CompletableFuture<Answer> a, CompletableFuture<Answer> aaaa) {

        List<InetAddress> await() throws DnsTemporaryException {
            List<Answer> answers = List.of(MxResolver.await(a), MxResolver.await(aaaa));
            List<InetAddress> addresses = answers.stream()
                    .flatMap(answer -> answer instanceof Records found ? found.records().stream() : Stream.empty())
                    .flatMap(record -> switch (record) {
                        case ARecord v4 -> Stream.of(v4.getAddress());
                        case AAAARecord v6 -> Stream.of(v6.getAddress());
                        default -> Stream.<InetAddress>empty();
                    })
                    .toList();
            if (addresses.isEmpty()) {
                for (Answer answer : answers) {
                    if (answer instanceof Failed failed) {
                        throw new DnsTemporaryException(failed.reason());
                    }
                }
            }
            return addresses;
        }
    }

    /** What one query told us. NODATA is an empty {@link Records}. */
    private sealed interface Answer {}

    private record Records(List<Record> records) implements Answer {}

    private record NoSuchName() implements Answer {}

    private record Failed(String reason) implements Answer {}

    /** Sends one query; the answer is {@link Failed} if it has not come by the deadline. */
    private CompletableFuture<Answer> ask(Name name, int type, long deadline) {
        String query = Type.string(type) + " " + hostName(name);
        long wait = deadline - System.nanoTime();
        return session.lookupAsync(name, type).toCompletableFuture().<Answer>handle((result, error) -> {
            if (error == null) {
                return new Records(result.getRecords());
            }
            Throwable cause = error instanceof CompletionException wrapped && wrapped.getCause() != null
                    ? wrapped.getCause() : error;
            return switch (cause) {
                case NoSuchDomainException e -> new NoSuchName();
                case NoSuchRRSetException e -> new Records(List.of());
                case ServerFailedException e -> new Failed(query + ": SERVFAIL");
                default -> new Failed(query + ": " + Objects.requireNonNullElse(cause.getMessage(), cause.toString()));
            };
        }).completeOnTimeout(
                new Failed(query + ": no answer within " + TimeUnit.NANOSECONDS.toMillis(Math.max(0, wait)) + " ms"),
                wait, TimeUnit.NANOSECONDS);
    }

    private static Answer await(CompletableFuture<Answer> answer) {
        try {
            return answer.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failed("interrupted");
        } catch (ExecutionException e) {
            // ask() turns every failure into an Answer, so this is a bug, not a DNS condition
            throw new IllegalStateException(e.getCause());
        }
    }

    private static boolean isLocalhost(String host) {
        String name = (host.endsWith(".") ? host.substring(0, host.length() - 1) : host).toLowerCase(Locale.ROOT);
        return name.equals("localhost") || name.endsWith(".localhost");
    }

    private static InetAddress loopback(String literal) {
        try {
            return Address.getByAddress(literal);
        } catch (UnknownHostException e) { // a constant literal
            throw new IllegalStateException(e);
        }
    }

    private static Name absolute(String name) {
        try {
            Name parsed = Name.fromString(name, Name.root);
            if (parsed.equals(Name.root)) {
                throw new IllegalArgumentException("empty DNS name: \"" + name + "\"");
            }
            return parsed;
        } catch (TextParseException e) {
            throw new IllegalArgumentException("not a DNS name: " + name, e);
        }
    }

    private static boolean isHostName(Name name) {
        int labels = name.labels() - 1; // the last label is the root
        for (int i = 0; i < labels; i++) {
            if (!HOST_LABEL.matcher(name.getLabelString(i)).matches()) {
                return false;
            }
        }
        return labels > 0 && !NUMERIC.matcher(name.getLabelString(labels - 1)).matches();
    }

    private static String hostName(Name name) {
        return name.canonicalize().toString(true);
    }
}
