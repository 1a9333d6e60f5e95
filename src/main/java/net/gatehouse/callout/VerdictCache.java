package net.gatehouse.callout;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.config.VerificationCacheConfig;

/**
 * Callout verdicts kept between probes, by lower-cased address: in this process
 * ({@link LocalVerdictCache}) or shared by the nodes of a cluster (SPEC §6). Only a back-end's
 * definite answers are kept, {@link Accepted} and {@link Rejected}; temporary failures never are.
 *
 * <p>An entry lives {@link Entry#lifetime} after it was written, by the wall clock, so that every
 * node reads an entry's age alike; {@link #get} never returns one past its lifetime. The RCPT path
 * reads the cache while the client waits: an implementation whose store fails answers "absent" and
 * drops the write, since a miss only costs a probe.
 */
public interface VerdictCache {

    /** A back-end's answer about an address and when it was obtained. */
    record Entry(CalloutResult verdict, Instant written) {

        public Entry {
            if (!(verdict instanceof Accepted || verdict instanceof Rejected)) {
                throw new IllegalArgumentException("only a back-end's definite answer is cached, not " + verdict);
            }
            Objects.requireNonNull(written, "written");
        }

        /** {@code positive_ttl} for an accept, {@code negative_ttl} for a rejection. */
        public Duration lifetime(VerificationCacheConfig settings) {
            return verdict instanceof Accepted ? settings.positiveTtl() : settings.negativeTtl();
        }

        /** The age from which the entry is still used, but probed again in the background. */
        public Duration refreshAge(VerificationCacheConfig settings) {
            return verdict instanceof Accepted ? settings.positiveRefresh() : settings.negativeRefresh();
        }

        public Duration age(Instant now) {
            Duration age = Duration.between(written, now);
            return age.isNegative() ? Duration.ZERO : age;   // another node's clock may be ahead
        }
    }

    Optional<Entry> get(String address);

    void put(String address, Entry entry);

    void invalidate(String address);
}
