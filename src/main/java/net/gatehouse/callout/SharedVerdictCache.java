package net.gatehouse.callout;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import net.gatehouse.cluster.RedisUnavailableException;

/**
 * The verdict cache of a cluster node: the shared one in Redis while it answers, the node's own
 * when it does not (SPEC §6, "losing Redis degrades to per-node caching"). The switch costs no
 * RCPT more than the link's timeouts, and {@link net.gatehouse.cluster.RedisLink} stops trying for
 * a few seconds after a failure, so that the RCPTs meanwhile go straight to the local cache.
 *
 * <p>The local cache is kept warm while Redis answers: every verdict written, and every one read
 * from Redis, is copied into it, so that an outage starts with the addresses this node has seen
 * rather than with none. It is read only during an outage. Limits: an entry flushed on another
 * node ({@code DELETE /api/v1/cache/...}) stays in this node's copy, used only if Redis is lost
 * before it expires; verdicts written during an outage are not copied to Redis afterwards, and
 * single flight is per node while Redis is away.
 */
public final class SharedVerdictCache implements VerdictCache {

    private final VerdictCache shared;
    private final VerdictCache local;

    public SharedVerdictCache(VerdictCache shared, VerdictCache local) {
        this.shared = shared;
        this.local = local;
    }

    @Override
    public Optional<Entry> get(String address) {
        try {
            Optional<Entry> entry = shared.get(address);
            entry.ifPresent(found -> local.put(address, found));
            return entry;
        } catch (RedisUnavailableException e) {
            return local.get(address);
        }
    }

    @Override
    public void put(String address, Entry entry) {
        local.put(address, entry);
        try {
            shared.put(address, entry);
        } catch (RedisUnavailableException e) {
            // kept locally; a miss on another node only costs it a probe
        }
    }

    @Override
    public void invalidate(String address) {
        local.invalidate(address);
        try {
            shared.invalidate(address);
        } catch (RedisUnavailableException e) {
            // the entry may outlive the outage in Redis, until its lifetime ends
        }
    }

    /** Redis's count when it answers; the node's own copy is dropped either way. */
    @Override
    public long invalidateDomain(String asciiDomain) {
        long local = this.local.invalidateDomain(asciiDomain);
        try {
            return shared.invalidateDomain(asciiDomain);
        } catch (RedisUnavailableException e) {
            return local;   // Redis's entries live on, until their lifetime ends
        }
    }

    @Override
    public long invalidateAll() {
        long local = this.local.invalidateAll();
        try {
            return shared.invalidateAll();
        } catch (RedisUnavailableException e) {
            return local;
        }
    }

    @Override
    public ProbeClaim claimProbe(String address, Optional<Instant> known, Duration budget) {
        try {
            return shared.claimProbe(address, known, budget);
        } catch (RedisUnavailableException e) {
            return ProbeClaim.GRANTED;   // no cluster to wait for: probe here
        }
    }

    @Override
    public void releaseProbe(String address, CalloutResult outcome) {
        try {
            shared.releaseProbe(address, outcome);
        } catch (RedisUnavailableException e) {
            // the claim expires by itself after the callout budget
        }
    }
}
