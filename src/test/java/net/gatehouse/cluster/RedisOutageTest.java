package net.gatehouse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import net.gatehouse.callout.CalloutResult;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.LocalVerdictCache;
import net.gatehouse.callout.RedisVerdictCache;
import net.gatehouse.callout.SharedVerdictCache;
import net.gatehouse.config.CalloutConfig;
import net.gatehouse.config.DnsConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.policy.LocalHarvestCounters;
import net.gatehouse.policy.RedisHarvestCounters;
import net.gatehouse.policy.SharedHarvestCounters;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

/**
 * SPEC §6, "losing Redis degrades to per-node caching": a node whose Redis (a {@code redis-server}
 * of the test's own) is killed or hangs goes on verifying and counting on its own at once, with no
 * refusal and no RCPT held past the callout budget; it says so once, in its log, its gauge and
 * {@code /readyz}; and it returns to the shared state by itself when Redis is back.
 */
class RedisOutageTest {

    /** The back-ends are IP literals: the resolver is never asked (port 9 is discard, nothing answers). */
    private static final MxResolver IP_BACKENDS_ONLY = new MxResolver(
            new DnsConfig(List.of(new ListenAddress("127.0.0.1", 9)), Duration.ofMillis(200)));

    private static final Duration BUDGET = Duration.ofSeconds(2);
    /** What an outage may add to one operation: a timeout, and a retry on a fresh connection. */
    private static final Duration MOST_AN_OUTAGE_COSTS = Duration.ofMillis(1000);
    private static final VerificationCacheConfig SETTINGS = new VerificationCacheConfig(Duration.ofDays(7),
            Duration.ofHours(1), Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofSeconds(30), 1000);
    private static final String DOMAIN = "example.test";

    private final TestRedis redis = TestRedis.ownServer();
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final RedisLink link = redis.link(metrics.registry());
    private final SharedVerdictCache verdicts = new SharedVerdictCache(
            new RedisVerdictCache(link, () -> SETTINGS, Clock.systemUTC()), new LocalVerdictCache(() -> SETTINGS, Clock.systemUTC()));
    private final SharedHarvestCounters counters = new SharedHarvestCounters(new RedisHarvestCounters(link),
            new LocalHarvestCounters(Clock.systemUTC()));
    private final TestBackend backend = TestBackend.start().onlyAccept("alice@example.test", "bob@example.test");
    private final CalloutVerifier verifier = new CalloutVerifier(
            new CalloutConfig("", BUDGET, Duration.ofSeconds(1), 2, 100, Duration.ofSeconds(30), Duration.ofHours(6)),
            "gatehouse.test", IP_BACKENDS_ONLY, () -> SETTINGS, verdicts, metrics.registry(), Clock.systemUTC());
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    private final Logger logger = (Logger) LoggerFactory.getLogger(RedisLink.class);
    private final Level level = logger.getLevel();

    {
        metrics.cacheDegraded(link::degraded);
        log.start();
        logger.addAppender(log);
        logger.setLevel(Level.INFO);   // whatever level other tests in this JVM left the root at
    }

    @AfterEach
    void stop() {
        logger.detachAppender(log);
        logger.setLevel(level);
        verifier.close();
        backend.close();
        redis.close();
    }

    @Test
    void aKilledRedisLeavesTheNodeVerifyingAndCountingOnItsOwnThenItReturns() throws Exception {
        assertThat(verifier.verify(domain(), mailbox("alice"))).isInstanceOf(Accepted.class);
        assertThat(counters.record("192.0.2.1", Duration.ofMinutes(10), 100)).isEqualTo(1);
        assertThat(gauge()).isEqualTo(0.0);

        redis.kill();

        // Known before the outage: from the node's own copy, without a probe.
        CalloutResult cached = timed(() -> verifier.verify(domain(), mailbox("alice")));
        assertThat(cached).isInstanceOf(Accepted.class);
        assertThat(cached.how()).startsWith("cache hit");
        // New: probed by this node alone, answered within the budget, and a refusal stays a refusal.
        assertThat(timed(() -> verifier.verify(domain(), mailbox("bob")))).isInstanceOf(Accepted.class);
        assertThat(timed(() -> verifier.verify(domain(), mailbox("carol")))).isInstanceOf(Rejected.class);
        assertThat(timed(() -> counters.record("192.0.2.1", Duration.ofMinutes(10), 100))).isEqualTo(2);
        assertThat(timed(() -> counters.block("192.0.2.9", Duration.ofHours(1)))).isAfter(Instant.now());
        assertThat(timed(() -> counters.blockedUntil("192.0.2.9"))).isPresent();
        for (int i = 0; i < 20; i++) {
            timed(() -> verifier.verify(domain(), mailbox("alice")));
        }
        assertThat(link.degraded()).isTrue();
        assertThat(gauge()).isEqualTo(1.0);
        assertThat(messages("cache_degraded")).hasSize(1);

        redis.start();   // empty: a Redis without persistence lost what it held

        await().atMost(Duration.ofSeconds(5)).until(() -> !link.degraded());
        assertThat(gauge()).isEqualTo(0.0);
        assertThat(messages("cache_recovered")).hasSize(1);
        assertThat(verifier.verify(domain(), mailbox("dave"))).isInstanceOf(Rejected.class);
        try (Jedis jedis = redis.admin()) {
            assertThat(jedis.exists(redis.prefix() + "verdict:dave@example.test")).isTrue();
        }
        assertThat(counters.record("192.0.2.1", Duration.ofMinutes(10), 100)).isEqualTo(1);   // shared again
        assertThat(counters.blockedUntil("192.0.2.9")).isPresent();   // this node's own block outlives the outage
    }

    @Test
    void aHungRedisCostsEachOperationAtMostItsTimeouts() throws Exception {
        assertThat(verifier.verify(domain(), mailbox("alice"))).isInstanceOf(Accepted.class);

        redis.freeze();
        try {
            long started = System.nanoTime();
            assertThat(timed(() -> verifier.verify(domain(), mailbox("alice")))).isInstanceOf(Accepted.class);
            assertThat(timed(() -> verifier.verify(domain(), mailbox("bob")))).isInstanceOf(Accepted.class);
            assertThat(timed(() -> counters.record("192.0.2.1", Duration.ofMinutes(10), 100))).isEqualTo(1);
            assertThat(link.degraded()).isTrue();
            // The circuit is open: the next operations do not wait for Redis at all.
            long open = System.nanoTime();
            for (int i = 0; i < 50; i++) {
                counters.count("192.0.2.1", Duration.ofMinutes(10));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - open)).isLessThan(Duration.ofMillis(500));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(BUDGET.multipliedBy(2));
        } finally {
            redis.resume();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !link.degraded());
        assertThat(messages("cache_degraded")).hasSize(1);
    }

    @Test
    void aNodeStartedWhileRedisIsDownStartsDegradedAndJoinsWhenItComes() {
        redis.kill();
        RedisLink late = redis.link();

        await().atMost(Duration.ofSeconds(2)).until(late::degraded);
        redis.start();

        await().atMost(Duration.ofSeconds(5)).until(() -> !late.degraded());
    }

    private double gauge() {
        return metrics.registry().get("gatehouse.cache.degraded").gauge().value();
    }

    private List<String> messages(String event) {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).filter(message -> message.startsWith(event)).toList();
    }

    private static <T> T timed(Callable<T> call) throws Exception {
        long started = System.nanoTime();
        T result = call.call();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(MOST_AN_OUTAGE_COSTS);
        return result;
    }

    private ProtectedDomain domain() {
        return new ProtectedDomain(DOMAIN, List.of(new ListenAddress("127.0.0.1", backend.port())), Verification.CALLOUT,
                ValidRecipients.EMPTY);
    }

    private static MailboxAddress mailbox(String localPart) {
        return MailboxAddress.of(localPart, DOMAIN);
    }
}
