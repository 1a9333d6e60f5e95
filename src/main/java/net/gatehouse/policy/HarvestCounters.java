package net.gatehouse.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The shared state behind {@link HarvestGuard}: per client, the unknown recipients seen in a sliding
 * window, and the blocks in force. In-process ({@link LocalHarvestCounters}) on one node; in a
 * cluster, Redis, so that a harvester spreading its connections over the nodes meets one count.
 *
 * <p>Each operation is one atomic step that a Redis script can do ({@code ZADD}, {@code
 * ZREMRANGEBYSCORE}, {@code ZREMRANGEBYRANK}, {@code ZCARD}, {@code PEXPIRE}; {@code SET ... PX}).
 * The implementation owns the clock (Redis reads its own {@code TIME}), so nodes whose clocks
 * disagree still agree on what is in the window and when a block ends.
 *
 * <p>Implementations keep what they hold bounded, and do not throw when their backing store is
 * unavailable: they degrade (the Redis one to per-node counting, SPEC §6), since a broken counter
 * must never turn into refused mail.
 */
public interface HarvestCounters {

    /**
     * Adds one event for {@code clientKey} now and returns how many of its events are in the window
     * {@code (now - window, now]}, this one included. Only the newest {@code limit} events are kept,
     * so the answer is exact up to {@code limit} and {@code limit} beyond it.
     *
     * @param limit at least 1; the caller's block threshold, past which the exact count does not matter
     */
    int record(String clientKey, Duration window, int limit);

    /** How many of {@code clientKey}'s events are in the window now, without adding one. */
    int count(String clientKey, Duration window);

    /**
     * Blocks {@code clientKey} for {@code blockFor} from now, unless it is already blocked for
     * longer, and returns the instant the block in force ends.
     */
    Instant block(String clientKey, Duration blockFor);

    /** When the block on {@code clientKey} ends, if one is in force now. */
    Optional<Instant> blockedUntil(String clientKey);
}
