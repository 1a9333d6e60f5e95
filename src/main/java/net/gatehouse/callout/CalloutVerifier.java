package net.gatehouse.callout;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.callout.CalloutResult.TemporaryFailure;
import net.gatehouse.callout.CalloutResult.Unverifiable;
import net.gatehouse.config.CalloutConfig;
import net.gatehouse.config.Rollout.BackendDown;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.client.ConnectionPool;
import net.gatehouse.smtp.protocol.MailboxAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recipient verification by callout (SPEC §3), after Postfix's verify(8): asks the domain's
 * back-end whether it would take mail for an address ({@code MAIL FROM}, {@code RCPT TO},
 * {@code RSET} on a pooled connection, never {@code DATA}) and remembers the answer.
 *
 * <ul>
 * <li><b>Budget.</b> {@link #verify} returns within {@code callout.timeout}, whatever the back-ends
 *     do. The probe runs on a virtual thread of its own, under the same deadline, replies
 *     included: a back-end that answers later (a tarpit) loses the connection, which is closed
 *     rather than pooled, so that no later probe waits behind the late reply. A caller that
 *     stops waiting (one that joined a probe late) leaves it to finish, and its answer is cached
 *     for the client's next attempt.
 * <li><b>Cache.</b> Accepts live {@code positive_ttl}, rejections {@code negative_ttl}. Past its
 *     refresh age an entry is still answered from, and probed again in the background, one probe
 *     per address at a time. A temporary failure never replaces a cached answer (verify.c's rule);
 *     a definite one does, so that a mailbox deleted on the back-end is refused from the next
 *     refresh on (verify.c keeps a good answer against a rejection too, until it expires).
 * <li><b>Hold-down.</b> Temporary failures are not cached, but the address is not probed again,
 *     refreshes included, for {@code tempfail_hold}: callers get the same failure meanwhile.
 * <li><b>Single flight.</b> Concurrent calls for one address share one probe, each waiting within
 *     its own budget. Across the nodes of a cluster, the shared cache decides which node probes
 *     ({@link VerdictCache#claimProbe}); the others wait for its answer within their budget.
 * <li><b>Back-ends</b> are tried in order; the next one when one cannot be reached, refuses the
 *     session at the greeting or EHLO, drops the connection, or says {@code 421} (RFC 5321 3.8: it
 *     is closing, which says nothing of the address). Any other answer to RCPT is final: 2xx,
 *     5xx, and 4xx too (greylisting, a full mailbox: the next back-end would not know better). A
 *     4xx is a temporary failure like the others: never cached, held down.
 * <li><b>Callers that may not probe</b> (a client in the harvest tarpit) get only what is known,
 *     through {@link #verify(ProtectedDomain, MailboxAddress, BooleanSupplier)}.
 * <li><b>Catch-all</b> back-ends are found by {@link CatchAllDetector}; the addresses of a flagged
 *     domain are {@link Unverifiable}, without a probe.
 * <li><b>Outages</b> (SPEC §9, {@code when_backend_down}). A domain's back-end is <i>down</i> from
 *     a probe of one of its addresses that ends in a temporary failure (no back-end reachable, no
 *     answer in time, a 4xx) until a probe gets a definite answer again. While it is down, an
 *     accept past its refresh age is answered from under {@link BackendDown#ACCEPT_KNOWN} (as
 *     verify.c does, until the entry's lifetime ends), and is a temporary failure under
 *     {@link BackendDown#DEFER}: the cache is relied on only while its entry is fresh or the
 *     back-end could still confirm it. Its refresh is started either way, so that the first
 *     answer after the outage ends it. Rejections and fresh entries are answered from in both modes.
 * </ul>
 *
 * <p>A back-end that refuses the probe sender at MAIL FROM says nothing about the recipient: the
 * probe fails (as a temporary failure naming the refusal) and the fix is to set
 * {@code callout.probe_sender} to an address it accepts. Limits: hold-downs and catch-all flags are
 * kept per node; in a cluster only verdicts are shared.
 *
 * <p>A back-end's host name is resolved through {@link MxResolver} (the configured
 * {@code dns.servers}), when a connection to it is opened, within the probe's budget and
 * {@code dns.timeout}; never through the system resolver, whose lookups have no deadline of ours.
 * An IP address needs no lookup. A name without an address in time is a back-end that cannot be
 * reached: the next one is tried, and if none answers the probe is a temporary failure. The
 * addresses of one back-end are tried in order, as delivery does.
 */
public final class CalloutVerifier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CalloutVerifier.class);
    /**
     * Background refreshes running at once. A refresh only saves a later client a wait: past this
     * many, a stale entry is answered from as it is and refreshed by a later hit.
     */
    private static final int MAX_REFRESHES = 100;
    /** Idle probe connections over all back-ends: far above connections_per_backend times the back-ends of a policy. */
    private static final int MAX_IDLE_CONNECTIONS = 10_000;

    /** A temporary failure, and when it happened. */
    private record HoldDown(TemporaryFailure failure, Instant since) {
    }

    /** A probe in flight, and whether this caller joined it rather than started it. */
    private record Flight(CompletableFuture<CalloutResult> result, boolean joined) {
    }

    private final CalloutConfig config;
    /** This node's name in the cache entries it writes. */
    private final String node;
    private final Supplier<VerificationCacheConfig> cacheSettings;
    private final VerdictCache cache;
    private final Clock clock;
    /** Per back-end at most connections_per_backend; a probe that finds them all busy waits, within its budget. */
    private final ConnectionPool pool;
    private final BackendProber prober;
    private final CatchAllDetector catchAll;
    /**
     * By lower-cased address, removed when the probe ends. Bounded by the RCPTs being verified
     * (each session waits for its own) and {@link #MAX_REFRESHES}.
     */
    private final Map<String, CompletableFuture<CalloutResult>> probes = new ConcurrentHashMap<>();
    private final Cache<String, HoldDown> holdDowns;
    private final Semaphore refreshes = new Semaphore(MAX_REFRESHES);
    /** By domain name: since when its back-end gives no definite answer; absent while it does. */
    private final Map<String, Instant> downSince = new ConcurrentHashMap<>();

    private final Timer acceptedLatency;
    private final Timer rejectedLatency;
    private final Timer tempfailLatency;
    private final Counter hits;
    private final Counter misses;
    private final Counter staleHits;
    private final Counter heldDown;
    /** Cache misses that were not probed because the caller said no (a client in the harvest tarpit). */
    private final Counter spared;

    /**
     * @param heloName      the name said in EHLO to back-ends: this node's host name
     * @param dns           resolves back-ends' host names (shared with delivery in the gateway)
     * @param cacheSettings the current cache lifetimes, read at each use so that policy edits apply at once
     * @param clock         for the ages of cached verdicts, hold-downs and idle connections
     */
    public CalloutVerifier(CalloutConfig config, String heloName, MxResolver dns,
                           Supplier<VerificationCacheConfig> cacheSettings, VerdictCache cache, MeterRegistry meters,
                           Clock clock) {
        this(config, heloName, heloName, dns, cacheSettings, cache, meters, clock);
    }

    /** As above, naming this node in the cache entries it writes by its cluster name ({@code node:}). */
    public CalloutVerifier(CalloutConfig config, String heloName, String node, MxResolver dns,
                           Supplier<VerificationCacheConfig> cacheSettings, VerdictCache cache, MeterRegistry meters,
                           Clock clock) {
        this.config = config;
        this.node = node;
        this.cacheSettings = cacheSettings;
        this.cache = cache;
        this.clock = clock;
        this.pool = new ConnectionPool("probe", new ConnectionPool.Limits(config.connectionsPerBackend(),
                config.connectionsPerBackend(), MAX_IDLE_CONNECTIONS, config.probesPerConnection(), config.idleTimeout()), clock);
        this.prober = new BackendProber(config, heloName, dns, pool);
        this.catchAll = new CatchAllDetector((domain, address) -> prober.probe(domain, address, true),
                config.catchAllRecheck(), clock);
        this.holdDowns = Caffeine.newBuilder()
                .maximumSize(cacheSettings.get().maxEntries())
                .expireAfter(Expiry.writing((String address, HoldDown hold) -> cacheSettings.get().tempfailHold()))
                .build();

        acceptedLatency = latencyTimer(meters, "accepted");
        rejectedLatency = latencyTimer(meters, "rejected");
        tempfailLatency = latencyTimer(meters, "tempfail");
        hits = cacheCounter(meters, "hit");
        misses = cacheCounter(meters, "miss");
        staleHits = cacheCounter(meters, "refresh");
        heldDown = cacheCounter(meters, "held_down");
        spared = cacheCounter(meters, "not_probed");
        Gauge.builder("gatehouse.callout.catchall.domains", catchAll, detector -> detector.flagged().size())
                .description("Protected domains whose back-end accepts any address")
                .register(meters);
        Gauge.builder("gatehouse.callout.pool.connections", pool, ConnectionPool::openConnections)
                .description("Open probe connections to back-ends")
                .register(meters);
    }

    /**
     * Verifies one recipient of a protected domain against its back-ends: from the cache, or by a
     * probe. Blocks, for at most {@code callout.timeout}; never throws for anything a back-end does.
     * The addresses of a domain flagged as catch-all are {@link Unverifiable}.
     */
    public CalloutResult verify(ProtectedDomain domain, MailboxAddress recipient) {
        return verify(domain, recipient, BackendDown.ACCEPT_KNOWN, () -> true).orElseThrow();
    }

    /**
     * As {@link #verify(ProtectedDomain, MailboxAddress)}, but asks {@code mayProbe} before
     * anything would reach the back-end: a probe of an address neither cached nor held down, or
     * the background refresh of a stale entry. Empty when the answer needed a probe and
     * {@code mayProbe} said no; a stale entry is then answered from as it is, without a refresh.
     *
     * <p>For the harvest guard (SPEC §3): a client being tarpitted gets answers from what is known
     * and nothing more, so that a dictionary attack on the gateway does not become one on the
     * back-end. {@code mayProbe} is asked only when a probe would follow, so that its price (with
     * shared harvest counters, a round trip to Redis) is paid by cache misses alone.
     */
    public Optional<CalloutResult> verify(ProtectedDomain domain, MailboxAddress recipient, BooleanSupplier mayProbe) {
        return verify(domain, recipient, BackendDown.ACCEPT_KNOWN, mayProbe);
    }

    /**
     * As above, with what a stale accept gets while the domain's back-end is down (see the class
     * comment): {@link BackendDown#DEFER} or {@link BackendDown#ACCEPT_KNOWN}.
     */
    public Optional<CalloutResult> verify(ProtectedDomain domain, MailboxAddress recipient, BackendDown whenDown,
                                          BooleanSupplier mayProbe) {
        long deadline = System.nanoTime() + config.timeout().toNanos();
        catchAll.checkIfDue(domain);
        Optional<Unverifiable> unverifiable = catchAll.verdict(domain.name());
        if (unverifiable.isPresent()) {
            return Optional.of(unverifiable.get());
        }

        String key = key(recipient);
        Instant now = clock.instant();
        VerificationCacheConfig settings = cacheSettings.get();
        Optional<VerdictCache.Entry> cached = cache.get(key);
        if (cached.isPresent()) {
            return Optional.of(fromCache(cached.get(), domain, recipient, key, now, settings, whenDown, mayProbe));
        }
        Optional<HoldDown> hold = holdDown(key, now, settings);
        if (hold.isPresent()) {
            heldDown.increment();
            return Optional.of(hold.get().failure().withHow(
                    "held down after a temporary failure " + describe(Duration.between(hold.get().since(), now)) + " ago"));
        }
        if (!mayProbe.getAsBoolean()) {
            spared.increment();
            return Optional.empty();
        }
        misses.increment();
        Flight flight = probe(domain, recipient, key, Optional.empty());
        return Optional.of(await(flight, deadline));
    }

    /**
     * Starts the domain's catch-all check in the background unless one ran recently: for a domain
     * just added or changed, so that a catch-all back-end is flagged before its first recipient.
     */
    public void checkCatchAllSoon(ProtectedDomain domain) {
        catchAll.checkIfDue(domain);
    }

    /** Whether the last check found that the domain's back-end accepts any address. */
    public boolean isCatchAll(String asciiDomain) {
        return catchAll.isCatchAll(asciiDomain);
    }

    /** The domains flagged as catch-all, for the console, {@code gatehouse check} and metrics. */
    public Set<String> catchAllDomains() {
        return catchAll.flagged();
    }

    /**
     * The cache tools (SPEC §9): the cached verdict for an address, as {@link #verify} would find
     * it (past its lifetime is absent). In a cluster, the shared cache's.
     */
    public Optional<VerdictCache.Entry> cached(MailboxAddress recipient) {
        return cache.get(key(recipient));
    }

    /** Drops an address's cached verdict and hold-down, so that its next RCPT probes again. */
    public void forget(MailboxAddress recipient) {
        String key = key(recipient);
        cache.invalidate(key);
        holdDowns.invalidate(key);
    }

    /**
     * Drops the cached verdicts and hold-downs of a domain's addresses (not its subdomains').
     *
     * @return how many verdicts were dropped
     */
    public long forgetDomain(String asciiDomain) {
        String suffix = "@" + asciiDomain.toLowerCase(Locale.ROOT);
        holdDowns.asMap().keySet().removeIf(address -> address.endsWith(suffix));
        return cache.invalidateDomain(asciiDomain.toLowerCase(Locale.ROOT));
    }

    /** Drops every cached verdict and hold-down: how many verdicts were dropped. */
    public long forgetAll() {
        holdDowns.invalidateAll();
        return cache.invalidateAll();
    }

    /**
     * Probes the address now, whatever the cache holds, and answers as {@link #verify} would
     * afterwards (within the callout budget): the cache tools' re-probe. A catch-all domain's
     * address is {@link Unverifiable} without a probe, as at RCPT TO.
     */
    public CalloutResult probeNow(ProtectedDomain domain, MailboxAddress recipient) {
        forget(recipient);
        return verify(domain, recipient);
    }

    /** Closes the probe connections; probes still running fail as temporary failures. */
    @Override
    public void close() {
        pool.close();
    }

    /** Whether a probe or a catch-all check is running: tests wait for the background to settle. */
    boolean isBusy() {
        return !probes.isEmpty() || catchAll.isChecking();
    }

    /**
     * Waits, at most {@code timeout}, for the probes and catch-all checks already started: for
     * one-shot tools such as {@code gatehouse check}, which must not exit before the answer.
     *
     * @return whether everything finished in time
     */
    public boolean awaitBackground(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isBusy()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private CalloutResult fromCache(VerdictCache.Entry entry, ProtectedDomain domain, MailboxAddress recipient,
                                    String key, Instant now, VerificationCacheConfig settings, BackendDown whenDown,
                                    BooleanSupplier mayProbe) {
        Duration age = entry.age(now);
        String how = "cache hit (age " + describe(age) + ")";
        boolean stale = age.compareTo(entry.refreshAge(settings)) >= 0;
        Optional<Instant> down = Optional.ofNullable(downSince.get(domain.name()));
        CalloutResult answer = entry.verdict();
        if (stale && down.isPresent() && answer instanceof Accepted) {
            String outage = "back-end down since " + describe(Duration.between(down.get(), now)) + " ago";
            answer = whenDown == BackendDown.ACCEPT_KNOWN
                    ? answer.withHow(how + ", " + outage + ": accepted as known (when_backend_down: accept_known)")
                    : new TemporaryFailure(outage + "; the cached accept is past its refresh age and "
                            + "when_backend_down is defer", how);
        }
        if (stale && holdDown(key, now, settings).isEmpty() && mayProbe.getAsBoolean() && refreshes.tryAcquire()) {
            probe(domain, recipient, key, Optional.of(entry.written())).result()
                    .whenComplete((result, failure) -> refreshes.release());
            staleHits.increment();
            return answer == entry.verdict() ? answer.withHow(how + ", refreshing it in the background") : answer;
        }
        hits.increment();
        return answer == entry.verdict() ? answer.withHow(how) : answer;
    }

    /** Whether the domain's back-end is down now (see the class comment): for the console and tests. */
    public boolean isBackendDown(String asciiDomain) {
        return downSince.containsKey(asciiDomain);
    }

    private Optional<HoldDown> holdDown(String key, Instant now, VerificationCacheConfig settings) {
        HoldDown hold = holdDowns.getIfPresent(key);
        return hold != null && Duration.between(hold.since(), now).compareTo(settings.tempfailHold()) < 0
                ? Optional.of(hold) : Optional.empty();
    }

    /**
     * Starts a probe of the address, or joins the one in flight.
     *
     * @param known the write time of the cached entry being refreshed; empty for an address not cached
     */
    private Flight probe(ProtectedDomain domain, MailboxAddress recipient, String key, Optional<Instant> known) {
        CompletableFuture<CalloutResult> mine = new CompletableFuture<>();
        CompletableFuture<CalloutResult> running = probes.putIfAbsent(key, mine);
        if (running != null) {
            return new Flight(running, true);
        }
        Thread.ofVirtual().name("callout " + key).start(() -> {
            try {
                CalloutResult result = probeOnce(domain, recipient.address(), key, known);
                // Out of the map first: whoever finds no probe in flight finds the verdict or hold-down it left.
                probes.remove(key, mine);
                mine.complete(result);
            } catch (RuntimeException e) {
                probes.remove(key, mine);
                log.error("callout_failed recipient={} domain={}", key, domain.name(), e);
                mine.completeExceptionally(e);
            }
        });
        return new Flight(mine, false);
    }

    /**
     * Probes the address unless another node sharing the cache probes it already: then its answer
     * is taken (a temporary failure held down here too, as if this node had met it), or, when it
     * does not come within the budget, the caller gets what an over-budget probe gives.
     */
    private CalloutResult probeOnce(ProtectedDomain domain, String address, String key, Optional<Instant> known) {
        VerdictCache.ProbeClaim claim = cache.claimProbe(key, known, config.timeout());
        return switch (claim) {
            case VerdictCache.ProbeClaim.Granted granted -> {
                CalloutResult result = new TemporaryFailure("probe failed", "probe");
                try {
                    result = probeAndRemember(domain, address, key);
                    yield result;
                } finally {
                    cache.releaseProbe(key, result);
                }
            }
            case VerdictCache.ProbeClaim.AnsweredElsewhere answered -> {
                CalloutResult result = answered.result();
                if (result instanceof TemporaryFailure failure) {
                    holdDowns.put(key, new HoldDown(failure, clock.instant()));
                }
                yield result.withHow("probe by another node: " + result.how());
            }
            case VerdictCache.ProbeClaim.PendingElsewhere pending -> new TemporaryFailure(
                    "over budget: another node's probe gave no answer within " + describe(config.timeout()),
                    "waited for another node's probe");
        };
    }

    private CalloutResult probeAndRemember(ProtectedDomain domain, String address, String key) {
        long started = System.nanoTime();
        CalloutResult result = prober.probe(domain, address, false);
        Timer latency = switch (result) {
            case Accepted accepted -> acceptedLatency;
            case Rejected rejected -> rejectedLatency;
            case TemporaryFailure failure -> tempfailLatency;
            case Unverifiable unverifiable -> tempfailLatency;
        };
        long took = System.nanoTime() - started;
        latency.record(took, TimeUnit.NANOSECONDS);
        Instant now = clock.instant();
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(took);
        switch (result) {
            case Accepted accepted -> cache.put(key, new VerdictCache.Entry(accepted, now, node, tookMillis));
            case Rejected rejected -> cache.put(key, new VerdictCache.Entry(rejected, now, node, tookMillis));
            case TemporaryFailure failure -> holdDowns.put(key, new HoldDown(failure, now));
            case Unverifiable unverifiable -> { }   // not an answer about this address: nothing to keep
        }
        switch (result) {
            case Accepted accepted -> downSince.remove(domain.name());
            case Rejected rejected -> downSince.remove(domain.name());
            case TemporaryFailure failure -> downSince.putIfAbsent(domain.name(), now);
            case Unverifiable unverifiable -> { }
        }
        return result;
    }

    private CalloutResult await(Flight flight, long deadline) {
        try {
            CalloutResult result = flight.result().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return flight.joined() ? result.withHow("shared a probe in flight: " + result.how()) : result;
        } catch (TimeoutException e) {
            return new TemporaryFailure("over budget: no answer from the back-end within " + describe(config.timeout()),
                    flight.joined() ? "shared a probe in flight" : "probe");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new TemporaryFailure("interrupted while waiting for the back-end", "probe");
        } catch (ExecutionException e) {
            return new TemporaryFailure("probe failed: " + e.getCause(), "probe");   // a bug, logged where it happened
        }
    }

    /**
     * RFC 5321 2.4 leaves the local part's case to the receiving server, but servers in use ignore
     * it: so do the cache and single flight. The domain in its ASCII form, as everywhere.
     */
    private static String key(MailboxAddress recipient) {
        return new MailboxAddress(recipient.localPart(), recipient.asciiDomain(), recipient.quoted())
                .address().toLowerCase(Locale.ROOT);
    }

    /** "850 ms", "12 s", "3 min", "5 h", "2 d": an age as an administrator reads it. */
    private static String describe(Duration age) {
        if (age.toMillis() < 1_000) {
            return Math.max(0, age.toMillis()) + " ms";
        } else if (age.toSeconds() < 60) {
            return age.toSeconds() + " s";
        } else if (age.toMinutes() < 60) {
            return age.toMinutes() + " min";
        }
        return age.toHours() < 48 ? age.toHours() + " h" : age.toDays() + " d";
    }

    private static Timer latencyTimer(MeterRegistry meters, String result) {
        return Timer.builder("gatehouse.callout.latency")
                .description("Time to get an answer from a domain's back-ends")
                .tag("result", result)
                .publishPercentileHistogram()
                .register(meters);
    }

    private static Counter cacheCounter(MeterRegistry meters, String result) {
        return Counter.builder("gatehouse.callout.cache")
                .description("Verifications answered from the cache (hit; refresh: stale, refreshed in the background),"
                        + " held down after a temporary failure, probed (miss), or not probed for a client in the"
                        + " harvest tarpit (not_probed)")
                .tag("result", result)
                .register(meters);
    }
}
