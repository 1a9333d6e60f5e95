package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.gatehouse.config.HarvestConfig;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The harvest counters in the development machine's Redis (127.0.0.1:6379), under a key prefix of
 * this run's, as two nodes of a cluster count: two {@link RedisHarvestCounters} on two links.
 */
class RedisHarvestCountersTest {

    private static final Duration WINDOW = Duration.ofMinutes(10);

    private final TestRedis redis = TestRedis.shared();
    private final RedisHarvestCounters node1 = new RedisHarvestCounters(redis.link());
    private final RedisHarvestCounters node2 = new RedisHarvestCounters(redis.link());

    @AfterEach
    void stop() {
        redis.close();
    }

    @Test
    void countsOfOneClientAddUpOverTheNodes() {
        assertThat(node1.record("192.0.2.1", WINDOW, 100)).isEqualTo(1);
        assertThat(node2.record("192.0.2.1", WINDOW, 100)).isEqualTo(2);
        assertThat(node1.record("192.0.2.1", WINDOW, 100)).isEqualTo(3);
        assertThat(node2.record("192.0.2.99", WINDOW, 100)).isEqualTo(1);

        assertThat(node2.count("192.0.2.1", WINDOW)).isEqualTo(3);
        assertThat(node1.count("192.0.2.99", WINDOW)).isEqualTo(1);
        assertThat(node1.count("198.51.100.1", WINDOW)).isZero();
    }

    @Test
    void countsExactlyWhenManyConnectionsOnBothNodesRecordAtOnce() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> counts = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                RedisHarvestCounters node = i % 2 == 0 ? node1 : node2;
                counts.add(pool.submit(() -> node.record("192.0.2.7", WINDOW, 1000)));
            }
            List<Integer> seen = new ArrayList<>();
            for (Future<Integer> count : counts) {
                seen.add(count.get());
            }
            assertThat(seen).doesNotHaveDuplicates().hasSize(200);
        }
        assertThat(node1.count("192.0.2.7", WINDOW)).isEqualTo(200);
    }

    @Test
    void eventsLeaveTheWindowByRedisTime() throws Exception {
        Duration window = Duration.ofMillis(400);
        node1.record("192.0.2.1", window, 10);
        node2.record("192.0.2.1", window, 10);
        assertThat(node1.count("192.0.2.1", window)).isEqualTo(2);

        Thread.sleep(500);

        assertThat(node1.count("192.0.2.1", window)).isZero();
        assertThat(node2.record("192.0.2.1", window, 10)).isEqualTo(1);
    }

    @Test
    void keepsOnlyTheNewestLimitEventsAndExpiresTheKey() {
        for (int i = 0; i < 8; i++) {
            (i % 2 == 0 ? node1 : node2).record("192.0.2.1", WINDOW, 5);
        }

        assertThat(node1.count("192.0.2.1", WINDOW)).isEqualTo(5);
        try (Jedis jedis = redis.admin()) {
            String key = redis.prefix() + "harvest:events:192.0.2.1";
            assertThat(jedis.zcard(key)).isEqualTo(5);
            assertThat(jedis.pttl(key)).isBetween(WINDOW.minusSeconds(5).toMillis(), WINDOW.toMillis());
        }
    }

    @Test
    void aBlockOnOneNodeIsInForceOnTheOtherAndNeverShortened() {
        Instant until = node1.block("192.0.2.1", Duration.ofHours(1));

        assertThat(node2.blockedUntil("192.0.2.1")).contains(until);
        assertThat(until).isBetween(Instant.now().plus(Duration.ofMinutes(59)), Instant.now().plus(Duration.ofMinutes(61)));
        assertThat(node2.block("192.0.2.1", Duration.ofMinutes(5))).isEqualTo(until);
        assertThat(node1.blockedUntil("192.0.2.1")).contains(until);
        assertThat(node1.blockedUntil("192.0.2.2")).isEmpty();
    }

    @Test
    void aBlockEndsByItself() throws Exception {
        node1.block("192.0.2.1", Duration.ofMillis(300));
        assertThat(node2.blockedUntil("192.0.2.1")).isPresent();

        Thread.sleep(400);

        assertThat(node2.blockedUntil("192.0.2.1")).isEmpty();
    }

    @Test
    void aHarvesterInOneIpv6Slash64IsCountedAndBlockedAsOneClientOnEveryNode() throws Exception {
        HarvestConfig settings = new HarvestConfig(WINDOW, 100, Duration.ZERO, 4, Duration.ofHours(1));
        HarvestGuard guard1 = new HarvestGuard(() -> settings, node1, new SimpleMeterRegistry());
        HarvestGuard guard2 = new HarvestGuard(() -> settings, node2, new SimpleMeterRegistry());

        assertThat(guard1.unknownRecipient(InetAddress.getByName("2001:db8:1:2::1"))).isEqualTo(HarvestGuard.Decision.PROCEED);
        assertThat(guard2.unknownRecipient(InetAddress.getByName("2001:db8:1:2:aaaa::7"))).isEqualTo(HarvestGuard.Decision.PROCEED);
        assertThat(guard1.unknownRecipient(InetAddress.getByName("2001:db8:1:3::1"))).isEqualTo(HarvestGuard.Decision.PROCEED);
        assertThat(guard2.unknownRecipient(InetAddress.getByName("2001:db8:1:2:ffff:ffff:ffff:ffff")))
                .isEqualTo(HarvestGuard.Decision.PROCEED);
        assertThat(guard1.unknownRecipient(InetAddress.getByName("2001:db8:1:2::abcd"))).isInstanceOf(HarvestGuard.Decision.Block.class);

        assertThat(guard2.isBlocked(InetAddress.getByName("2001:db8:1:2:1:2:3:4"))).isTrue();
        assertThat(guard2.isBlocked(InetAddress.getByName("2001:db8:1:3::1"))).isFalse();
        assertThat(guard1.unknownRecipients(InetAddress.getByName("2001:db8:1:3::9"))).isEqualTo(1);
        assertThat(redis.keys()).contains(redis.prefix() + "harvest:block:2001:db8:1:2::/64");
    }
}
