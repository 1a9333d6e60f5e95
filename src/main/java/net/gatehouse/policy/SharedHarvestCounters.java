package net.gatehouse.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import net.gatehouse.cluster.RedisUnavailableException;

/**
 * The harvest counters of a cluster node: the shared ones in Redis while it answers, the node's
 * own when it does not (SPEC §6), so that a Redis outage never refuses mail and never stalls a
 * RCPT beyond the link's timeouts.
 *
 * <p>Every event and block is also recorded locally, so that an outage starts with this node's
 * share of the counts rather than with none, and a block this node imposed stays in force here
 * through an outage and after it. During an outage a client is counted per node: a harvester
 * spread over {@code n} nodes gets up to {@code n} times {@code block_after} tries.
 */
public final class SharedHarvestCounters implements HarvestCounters {

    private final HarvestCounters shared;
    private final HarvestCounters local;

    public SharedHarvestCounters(HarvestCounters shared, HarvestCounters local) {
        this.shared = shared;
        this.local = local;
    }

    @Override
    public int record(String clientKey, Duration window, int limit) {
        int here = local.record(clientKey, window, limit);
        try {
            return shared.record(clientKey, window, limit);
        } catch (RedisUnavailableException e) {
            return here;
        }
    }

    @Override
    public int count(String clientKey, Duration window) {
        try {
            return shared.count(clientKey, window);
        } catch (RedisUnavailableException e) {
            return local.count(clientKey, window);
        }
    }

    @Override
    public Instant block(String clientKey, Duration blockFor) {
        Instant here = local.block(clientKey, blockFor);
        try {
            return shared.block(clientKey, blockFor);
        } catch (RedisUnavailableException e) {
            return here;
        }
    }

    @Override
    public Optional<Instant> blockedUntil(String clientKey) {
        Optional<Instant> here = local.blockedUntil(clientKey);
        try {
            Optional<Instant> everywhere = shared.blockedUntil(clientKey);
            return here.isEmpty() ? everywhere
                    : everywhere.filter(until -> until.isAfter(here.get())).or(() -> here);
        } catch (RedisUnavailableException e) {
            return here;
        }
    }
}
