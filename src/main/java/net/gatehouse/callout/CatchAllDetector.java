package net.gatehouse.callout;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.callout.CalloutResult.TemporaryFailure;
import net.gatehouse.callout.CalloutResult.Unverifiable;
import net.gatehouse.route.ProtectedDomain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the protected domains whose back-end accepts every address at RCPT TO: a catch-all
 * mailbox, or a server that accepts first and bounces later (Plesk's default, the seed's
 * problem). A callout against such a back-end proves nothing, so their recipients are
 * {@link Unverifiable}, and the administrator is told once, in the log, how to fix the back-end.
 *
 * <p>A domain is checked on first use and again every {@code catch_all_recheck}, each time in the
 * background so that no RCPT waits for it, by probing a random address that cannot exist. Accepted:
 * the domain is flagged. Rejected: the flag is cleared. A temporary failure leaves what was known
 * and the check is tried again after a minute.
 */
final class CatchAllDetector {

    static final String PROBE_PREFIX = "gatehouse-catchall-check-";

    private static final Logger log = LoggerFactory.getLogger(CatchAllDetector.class);
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofMinutes(1);
    /** Far above the protected domains of any policy; past it, a domain forgotten is checked again. */
    private static final int MAX_DOMAINS = 100_000;

    /**
     * What is known about one domain's back-end.
     *
     * @param evidence what the back-end did that shows it is a catch-all; empty when it is not one
     */
    private record State(String evidence, Instant nextCheck, boolean checking) {

        boolean isCatchAll() {
            return !evidence.isEmpty();
        }
    }

    private final BiFunction<ProtectedDomain, String, CalloutResult> prober;
    private final Duration recheck;
    private final Clock clock;
    private final Cache<String, State> domains = Caffeine.newBuilder().maximumSize(MAX_DOMAINS).build();

    /** @param prober asks a domain's back-ends about an address, within the callout budget */
    CatchAllDetector(BiFunction<ProtectedDomain, String, CalloutResult> prober, Duration recheck, Clock clock) {
        this.prober = prober;
        this.recheck = recheck;
        this.clock = clock;
    }

    /** Starts a check of the domain in the background, unless one is running or the last one is recent. */
    void checkIfDue(ProtectedDomain domain) {
        Instant now = clock.instant();
        State known = domains.getIfPresent(domain.name());
        if (known != null && (known.checking() || now.isBefore(known.nextCheck()))) {
            return;   // the RCPT path: a read, no write
        }
        AtomicBoolean claimed = new AtomicBoolean();
        domains.asMap().compute(domain.name(), (name, state) -> {
            if (state != null && (state.checking() || now.isBefore(state.nextCheck()))) {
                return state;
            }
            claimed.set(true);
            return new State(state == null ? "" : state.evidence(), now, true);
        });
        if (claimed.get()) {
            Thread.ofVirtual().name("callout-catch-all-check " + domain.name()).start(() -> check(domain));
        }
    }

    /** The verdict for every address of a flagged domain. */
    Optional<Unverifiable> verdict(String asciiDomain) {
        State state = domains.getIfPresent(asciiDomain);
        return state == null || !state.isCatchAll() ? Optional.empty()
                : Optional.of(new Unverifiable("the back-end accepts addresses that cannot exist: " + state.evidence(),
                        "domain flagged by the catch-all check"));
    }

    boolean isCatchAll(String asciiDomain) {
        State state = domains.getIfPresent(asciiDomain);
        return state != null && state.isCatchAll();
    }

    Set<String> flagged() {
        return domains.asMap().entrySet().stream()
                .filter(domain -> domain.getValue().isCatchAll())
                .map(Map.Entry::getKey)
                .collect(Collectors.toUnmodifiableSet());
    }

    boolean isChecking() {
        return domains.asMap().values().stream().anyMatch(State::checking);
    }

    private void check(ProtectedDomain domain) {
        String probe = PROBE_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + "@" + domain.name();
        CalloutResult result;
        try {
            result = prober.apply(domain, probe);
        } catch (RuntimeException e) {
            log.error("callout_catch_all_check_failed domain={}", domain.name(), e);
            result = new TemporaryFailure("check failed: " + e, "catch-all check");
        }
        Instant now = clock.instant();
        // No other check of this domain runs while this one is marked checking: read, then write.
        State before = domains.getIfPresent(domain.name());
        boolean wasCatchAll = before != null && before.isCatchAll();
        State after = switch (result) {
            case Accepted accepted -> new State("it accepted <" + probe + "> at " + now + " (" + accepted.how() + ")",
                    now.plus(recheck), false);
            case Rejected rejected -> new State("", now.plus(recheck), false);
            case TemporaryFailure failure -> retryLater(before, now);
            case Unverifiable unverifiable -> retryLater(before, now);
        };
        domains.put(domain.name(), after);

        if (after.isCatchAll() && !wasCatchAll) {
            log.warn("callout_catch_all domain={} probe=<{}> how=\"{}\" why=\"the back-end accepts addresses that cannot exist,"
                            + " so verifying recipients against it proves nothing: they are accepted unverified\""
                            + " fix=\"make the back-end reject unknown users at RCPT TO (550 5.1.1) instead of accepting them"
                            + " and bouncing later or keeping them in a catch-all mailbox; on Plesk: Domains > {} > Mail >"
                            + " Preferences > Reject\"",
                    domain.name(), probe, result.how(), domain.name());
        } else if (result instanceof Rejected rejected && wasCatchAll) {
            log.info("callout_catch_all_cleared domain={} probe=<{}> reply=\"{}\" why=\"the back-end now rejects unknown"
                    + " users: recipients are verified again\"", domain.name(), probe, rejected.backendReply());
        }
    }

    /** Keeps what was known; tries again soon, since the domain's status is in doubt. */
    private State retryLater(State before, Instant now) {
        Duration delay = RETRY_AFTER_FAILURE.compareTo(recheck) < 0 ? RETRY_AFTER_FAILURE : recheck;
        return new State(before == null ? "" : before.evidence(), now.plus(delay), false);
    }
}
