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

    /**
     * A back-end's answer about an address, when and how it was obtained: what the cache tools
     * show an administrator (SPEC §9), never an SMTP client.
     *
     * @param verdict     the answer; its {@link CalloutResult#how()} is the probe that gave it
     *                    ("probe to backend 1 of 2 (mail1.internal:25), 4 ms"), and it carries the
     *                    back-end's reply as received
     * @param written     when the probe answered, by the prober's clock
     * @param node        the node that probed (its host name); empty when not recorded
     * @param probeMillis how long the probe took; -1 when not recorded (an entry written by an
     *                    older version, which is read all the same)
     */
    record Entry(CalloutResult verdict, Instant written, String node, long probeMillis) {

        public Entry {
            if (!(verdict instanceof Accepted || verdict instanceof Rejected)) {
                throw new IllegalArgumentException("only a back-end's definite answer is cached, not " + verdict);
            }
            Objects.requireNonNull(written, "written");
            Objects.requireNonNull(node, "node");
        }

        /** An entry without the probe's node and timing. */
        public Entry(CalloutResult verdict, Instant written) {
            this(verdict, written, "", -1);
        }

        /** The probe that gave the verdict, in words. */
        public String source() {
            return verdict.how();
        }

        /** How long the probe took, if recorded. */
        public Optional<Duration> probeTime() {
            return probeMillis < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(probeMillis));
        }

        /**
         * The back-end's reply to the probe's RCPT as received
         * ({@code 550 5.1.1 <x@y>: Recipient address rejected: User unknown}), if known: for
         * administrators only.
         */
        public Optional<String> backendReply() {
            String reply = switch (verdict) {
                case Accepted accepted -> accepted.backendReply();
                case Rejected rejected -> rejected.backendReply().toString();
                default -> "";
            };
            return reply.isEmpty() ? Optional.empty() : Optional.of(reply);
        }

        /** {@code accepted} or {@code rejected}. */
        public String word() {
            return verdict instanceof Accepted ? "accepted" : "rejected";
        }

        /** What is left of its lifetime at {@code now}; zero once over. */
        public Duration remaining(VerificationCacheConfig settings, Instant now) {
            Duration remaining = lifetime(settings).minus(age(now));
            return remaining.isNegative() ? Duration.ZERO : remaining;
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
     * Drops the entries of every address of a domain (its ASCII form, lower case; not its
     * subdomains), for the cache tools.
     *
     * @return how many were dropped
     */
    long invalidateDomain(String asciiDomain);

    /**
     * Drops every entry, for the cache tools.
     *
     * @return how many were dropped
     */
    long invalidateAll();

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
