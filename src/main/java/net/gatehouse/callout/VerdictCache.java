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

    /**
     * Whose turn it is to probe an address that the cache cannot answer for: single flight across
     * the nodes sharing the cache (SPEC §6: one new address RCPT'd at once on several nodes causes
     * one probe of the back-end).
     */
    sealed interface ProbeClaim {

        ProbeClaim GRANTED = new Granted();

        /** This node probes, and ends its turn with {@link VerdictCache#releaseProbe}. */
        record Granted() implements ProbeClaim {
        }

        /** Another node probed the address meanwhile: its verdict, or its temporary failure. */
        record AnsweredElsewhere(CalloutResult result) implements ProbeClaim {
        }

        /** Another node is still probing the address at the end of the wait. */
        record PendingElsewhere() implements ProbeClaim {
        }
    }

    Optional<Entry> get(String address);

    void put(String address, Entry entry);

    void invalidate(String address);

    /**
     * Claims the probe of {@code address}, or waits, at most {@code budget}, for the node that
     * holds the claim to answer. A cache of one node has no other node to wait for: the claim is
     * always granted (single flight within the node is the verifier's own).
     *
     * @param known the write time of the entry the caller holds and wants refreshed; empty when it
     *              has none. A newer entry, written by another node meanwhile, is the answer.
     */
    default ProbeClaim claimProbe(String address, Optional<Instant> known, Duration budget) {
        return ProbeClaim.GRANTED;
    }

    /**
     * Ends a granted claim, after {@link #put} for a definite answer: the nodes waiting for it read
     * the cache, or take {@code outcome} when it is a temporary failure.
     */
    default void releaseProbe(String address, CalloutResult outcome) {
    }
}
