package net.gatehouse.policy;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import net.gatehouse.cluster.RedisLink;
import net.gatehouse.cluster.RedisScript;
import net.gatehouse.cluster.RedisUnavailableException;

/**
 * {@link HarvestCounters} shared by the nodes of a cluster, in Redis (SPEC §6: "the harvest counts
 * of one client add up over all nodes"). Every method throws {@link RedisUnavailableException}
 * when Redis cannot answer; the gateway uses it through {@link SharedHarvestCounters}, which then
 * counts on the node alone.
 *
 * <p>Keys, under the configured prefix {@code P}:
 * <ul>
 * <li>{@code P harvest:events:CLIENT}, a sorted set of the client's newest events (at most the
 *     caller's {@code limit}), scored by Redis's own {@code TIME} in milliseconds, so that nodes
 *     whose clocks disagree agree on the window; it expires when its newest event leaves the window.
 * <li>{@code P harvest:block:CLIENT}: the end of the block in force (epoch ms, Redis's clock),
 *     expiring when the block ends. This is the block list all nodes refuse at connect by.
 * </ul>
 * Each operation is one script, so it is atomic however many nodes count the same client at once.
 */
public final class RedisHarvestCounters implements HarvestCounters {

    private static final String NOW = """
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            """;

    /** KEYS: events. ARGV: window ms, limit, unique member. The window is (now - window, now]. */
    private static final RedisScript RECORD = RedisScript.of(NOW + """
            local window = tonumber(ARGV[1])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
            redis.call('ZADD', KEYS[1], now, ARGV[3])
            redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
            redis.call('PEXPIRE', KEYS[1], window)
            return redis.call('ZCARD', KEYS[1])
            """);

    /** KEYS: events. ARGV: window ms. */
    private static final RedisScript COUNT = RedisScript.of(NOW + """
            return redis.call('ZCOUNT', KEYS[1], '(' .. string.format('%.0f', now - tonumber(ARGV[1])), '+inf')
            """);

    /** KEYS: block. ARGV: block ms. Returns the end of the block in force, epoch ms. */
    private static final RedisScript BLOCK = RedisScript.of(NOW + """
            local proposed = now + tonumber(ARGV[1])
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            if current >= proposed then
              return string.format('%.0f', current)
            end
            redis.call('SET', KEYS[1], string.format('%.0f', proposed), 'PX', ARGV[1])
            return string.format('%.0f', proposed)
            """);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final RedisLink redis;
    private final String prefix;
    /** Event members are this node's random name and a sequence number: unique over the cluster. */
    private final String node;
    private final AtomicLong sequence = new AtomicLong();

    public RedisHarvestCounters(RedisLink redis) {
        this.redis = redis;
        this.prefix = redis.url().prefix();
        byte[] name = new byte[6];
        RANDOM.nextBytes(name);
        this.node = HexFormat.of().formatHex(name);
    }

    @Override
    public int record(String clientKey, Duration window, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, not " + limit + " (client " + clientKey + ")");
        }
        List<String> args = List.of(String.valueOf(Math.max(1, window.toMillis())), String.valueOf(limit),
                node + ":" + sequence.incrementAndGet());
        Object count = redis.call(jedis -> RECORD.run(jedis, List.of(eventsKey(clientKey)), args));
        return (int) (long) (Long) count;
    }

    @Override
    public int count(String clientKey, Duration window) {
        Object count = redis.call(jedis -> COUNT.run(jedis, List.of(eventsKey(clientKey)),
                List.of(String.valueOf(Math.max(1, window.toMillis())))));
        return (int) (long) (Long) count;
    }

    @Override
    public Instant block(String clientKey, Duration blockFor) {
        Object until = redis.call(jedis -> BLOCK.run(jedis, List.of(blockKey(clientKey)),
                List.of(String.valueOf(Math.max(1, blockFor.toMillis())))));
        return Instant.ofEpochMilli(Long.parseLong((String) until));
    }

    @Override
    public Optional<Instant> blockedUntil(String clientKey) {
        String until = redis.call(jedis -> jedis.get(blockKey(clientKey)));
        return until == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(Long.parseLong(until)));
    }

    private String eventsKey(String clientKey) {
        return prefix + "harvest:events:" + clientKey;
    }

    private String blockKey(String clientKey) {
        return prefix + "harvest:block:" + clientKey;
    }
}
