package net.gatehouse.callout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.callout.CalloutResult.TemporaryFailure;
import net.gatehouse.callout.VerdictCache.Entry;
import net.gatehouse.callout.VerdictCache.ProbeClaim;
import net.gatehouse.config.CalloutConfig;
import net.gatehouse.config.DnsConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestClock;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The verdict cache in the development machine's Redis (127.0.0.1:6379), under a key prefix of
 * this run's, as two nodes of a cluster see it: two {@link RedisVerdictCache}s on two links.
 */
class RedisVerdictCacheTest {

    /** The back-ends are IP literals: the resolver is never asked (port 9 is discard, nothing answers). */
    private static final MxResolver IP_BACKENDS_ONLY = new MxResolver(
            new DnsConfig(List.of(new ListenAddress("127.0.0.1", 9)), Duration.ofMillis(200)));

    private static final Reply UNKNOWN = new Reply(550, "5.1.1", List.of("Mailbox unknown", "see https://example.test/"));
    private static final Duration BUDGET = Duration.ofSeconds(3);
    private static final String DOMAIN = "example.test";

    private final TestRedis redis = TestRedis.shared();
    private final TestClock clock = new TestClock();
    private final AtomicReference<VerificationCacheConfig> settings = new AtomicReference<>(new VerificationCacheConfig(
            Duration.ofDays(7), Duration.ofHours(1), Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofSeconds(30), 1000));
    private final RedisVerdictCache node1 = new RedisVerdictCache(redis.link(), settings::get, clock);
    private final RedisVerdictCache node2 = new RedisVerdictCache(redis.link(), settings::get, clock);
    private final List<TestBackend> backends = new ArrayList<>();
    private final List<CalloutVerifier> verifiers = new ArrayList<>();

    @AfterEach
    void stop() {
        verifiers.forEach(CalloutVerifier::close);
        backends.forEach(TestBackend::close);
        redis.close();
    }

    // --- lifetimes

    @Test
    void keepsAnAcceptForThePositiveLifetimeAndLetsRedisExpireIt() {
        node1.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant()));

        assertThat(pttl("alice@example.test")).isBetween(Duration.ofDays(7).minusSeconds(5).toMillis(), Duration.ofDays(7).toMillis());
        clock.advance(Duration.ofDays(7).minusSeconds(1));
        assertThat(node2.get("alice@example.test")).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(node2.get("alice@example.test")).isEmpty();
    }

    @Test
    void keepsARejectionForTheNegativeLifetimeWithTheBackendsReply() {
        node1.put("bob@example.test", new Entry(new Rejected(UNKNOWN, "probe to backend 1 of 1"), clock.instant()));

        assertThat(pttl("bob@example.test")).isBetween(Duration.ofMinutes(30).minusSeconds(5).toMillis(), Duration.ofMinutes(30).toMillis());
        assertThat(node2.get("bob@example.test")).hasValueSatisfying(entry -> {
            assertThat(entry.verdict()).isEqualTo(new Rejected(UNKNOWN, "probe to backend 1 of 1"));
            assertThat(entry.written()).isEqualTo(clock.instant());
        });
        clock.advance(Duration.ofMinutes(30));
        assertThat(node2.get("bob@example.test")).isEmpty();
    }

    @Test
    void aShorterLifetimeAppliesToEntriesAlreadyCached() {
        node1.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant()));
        clock.advance(Duration.ofDays(2));
        settings.set(new VerificationCacheConfig(Duration.ofDays(1), Duration.ofHours(1), Duration.ofMinutes(30),
                Duration.ofMinutes(5), Duration.ofSeconds(30), 1000));

        assertThat(node2.get("alice@example.test")).isEmpty();
    }

    @Test
    void writesNothingPastItsLifetime() {
        node1.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant().minus(Duration.ofDays(8))));

        assertThat(redis.keys()).isEmpty();
    }

    @Test
    void anInvalidatedEntryIsGoneForEveryNode() {
        node1.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant()));
        node2.invalidate("alice@example.test");

        assertThat(node1.get("alice@example.test")).isEmpty();
    }

    // --- the cache tools (SPEC §9)

    @Test
    void keepsTheProbesNodeTimingAndTheBackendsReplyAsReceived() {
        node1.put("alice@example.test", new Entry(new Accepted("probe to backend 1 of 1 (127.0.0.1:25), 12 ms",
                "250 2.1.5 Ok"), clock.instant(), "mx1.example.test", 12));

        assertThat(node2.get("alice@example.test")).hasValueSatisfying(entry -> {
            assertThat(entry.source()).isEqualTo("probe to backend 1 of 1 (127.0.0.1:25), 12 ms");
            assertThat(entry.backendReply()).contains("250 2.1.5 Ok");
            assertThat(entry.node()).isEqualTo("mx1.example.test");
            assertThat(entry.probeTime()).contains(Duration.ofMillis(12));
        });
    }

    @Test
    void readsTheEntriesOfTheVersionBeforeTheCacheTools() {
        // the hash as written before node, ms and reply existed: a cluster upgraded node by node keeps it
        try (Jedis admin = redis.admin()) {
            admin.hset(redis.prefix() + "verdict:bob@example.test", java.util.Map.of("written",
                    String.valueOf(clock.instant().toEpochMilli()), "how", "probe to backend 1 of 1", "verdict", "rejected",
                    "code", "550", "enhanced", "5.1.1", "text", "<bob@example.test>: Recipient address rejected"));
            admin.hset(redis.prefix() + "verdict:alice@example.test", java.util.Map.of("written",
                    String.valueOf(clock.instant().toEpochMilli()), "how", "probe", "verdict", "accepted"));
        }

        assertThat(node1.get("bob@example.test")).hasValueSatisfying(entry -> {
            assertThat(entry.backendReply()).contains("550 5.1.1 <bob@example.test>: Recipient address rejected");
            assertThat(entry.probeTime()).isEmpty();
            assertThat(entry.node()).isEmpty();
        });
        assertThat(node1.get("alice@example.test")).hasValueSatisfying(entry -> {
            assertThat(entry.verdict()).isInstanceOf(Accepted.class);
            assertThat(entry.backendReply()).isEmpty();
        });
    }

    @Test
    void flushesADomainWithScanLeavingOtherDomainsAndSubdomains() {
        for (int i = 0; i < 1200; i++) {   // more than one SCAN step
            node1.put("user" + i + "@example.test", new Entry(new Accepted("probe"), clock.instant()));
        }
        node1.put("alice@sub.example.test", new Entry(new Accepted("probe"), clock.instant()));
        node1.put("alice@other.test", new Entry(new Accepted("probe"), clock.instant()));

        assertThat(node2.invalidateDomain("example.test")).isEqualTo(1200);

        assertThat(node1.get("user7@example.test")).isEmpty();
        assertThat(node1.get("alice@sub.example.test")).isPresent();
        assertThat(node1.get("alice@other.test")).isPresent();
        assertThat(redis.keys()).hasSize(2);
    }

    @Test
    void flushesEverythingUnderItsPrefixOnly() {
        node1.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant()));
        node1.put("bob@other.test", new Entry(new Rejected(UNKNOWN, "probe"), clock.instant()));
        String foreign = redis.prefix() + "-another-cluster:verdict:carol@example.test";
        try (Jedis admin = redis.admin()) {
            admin.set(foreign, "kept");
        }

        assertThat(node2.invalidateAll()).isEqualTo(2);

        assertThat(node1.get("alice@example.test")).isEmpty();
        assertThat(node1.get("bob@other.test")).isEmpty();
        try (Jedis admin = redis.admin()) {
            assertThat(admin.get(foreign)).isEqualTo("kept");
            admin.del(foreign);
        }
    }

    @Test
    void aStaleEntryIsRefreshedByOneNodeAndTheOtherTakesItsAnswer() {
        TestBackend backend = backend().onlyAccept("alice@example.test").delay(Duration.ofMillis(300));
        Entry old = new Entry(new Accepted("probe"), clock.instant());
        node1.put("alice@example.test", old);
        clock.advance(Duration.ofHours(2));   // past positive_refresh
        CalloutVerifier first = verifier(node1);
        CalloutVerifier second = verifier(node2);

        assertThat(first.verify(domain(backend), alice()).how()).contains("refreshing it in the background");
        assertThat(second.verify(domain(backend), alice()).how()).contains("refreshing it in the background");
        clock.advance(Duration.ofSeconds(1));   // before the probe ends: its answer is newer than the stale entry

        await().atMost(Duration.ofSeconds(10)).until(() -> !first.isBusy() && !second.isBusy());
        assertThat(rcptsFor(backend, "alice@example.test")).isEqualTo(1);
        assertThat(node2.get("alice@example.test")).hasValueSatisfying(entry ->
                assertThat(entry.written()).isAfter(old.written()));
    }

    // --- single flight across nodes

    @Test
    void oneNewAddressVerifiedOnTwoNodesAtOnceIsProbedOnce() throws Exception {
        TestBackend backend = backend().onlyAccept("alice@example.test").delay(Duration.ofMillis(300));
        CalloutVerifier first = verifier(node1);
        CalloutVerifier second = verifier(node2);

        List<CalloutResult> results = concurrently(10, i -> (i % 2 == 0 ? first : second).verify(domain(backend), alice()));

        assertThat(results).allSatisfy(result -> assertThat(result).isInstanceOf(Accepted.class));
        assertThat(results).anySatisfy(result -> assertThat(result.how()).contains("probe by another node"));
        assertThat(rcptsFor(backend, "alice@example.test")).isEqualTo(1);
    }

    @Test
    void aRejectionIsSharedWithTheWaitingNodeWithoutASecondProbe() throws Exception {
        TestBackend backend = backend().onlyAccept("alice@example.test").delay(Duration.ofMillis(300));
        CalloutVerifier first = verifier(node1);
        CalloutVerifier second = verifier(node2);
        MailboxAddress carol = MailboxAddress.of("carol", DOMAIN);

        List<CalloutResult> results = concurrently(2, i -> (i == 0 ? first : second).verify(domain(backend), carol));

        assertThat(results).allSatisfy(result -> assertThat(result).isInstanceOf(Rejected.class));
        assertThat(rcptsFor(backend, "carol@example.test")).isEqualTo(1);
    }

    @Test
    void theWaitingNodeGetsTheProbingNodesTemporaryFailureAndHoldsItDown() throws Exception {
        TestBackend backend = backend().onlyAccept("alice@example.test").tempFailRecipient("dave@example.test").delay(Duration.ofMillis(300));
        CalloutVerifier first = verifier(node1);
        CalloutVerifier second = verifier(node2);
        MailboxAddress dave = MailboxAddress.of("dave", DOMAIN);

        List<CalloutResult> results = concurrently(2, i -> (i == 0 ? first : second).verify(domain(backend), dave));
        assertThat(results).allSatisfy(result -> assertThat(result).isInstanceOf(TemporaryFailure.class));
        assertThat(second.verify(domain(backend), dave).how()).contains("held down");
        assertThat(first.verify(domain(backend), dave).how()).contains("held down");

        assertThat(rcptsFor(backend, "dave@example.test")).isEqualTo(1);
    }

    @Test
    void aNodeWaitingPastItsBudgetGetsATemporaryFailureNeverARefusal() {
        TestBackend backend = backend().onlyAccept("alice@example.test");
        Optional<Instant> none = Optional.empty();
        assertThat(node1.claimProbe("alice@example.test", none, BUDGET)).isEqualTo(ProbeClaim.GRANTED);   // and never released
        CalloutVerifier second = verifier(node2, Duration.ofMillis(500));

        long started = System.nanoTime();
        CalloutResult result = second.verify(domain(backend), alice());

        assertThat(result).isInstanceOf(TemporaryFailure.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1500));
        assertThat(rcptsFor(backend, "alice@example.test")).isZero();
    }

    @Test
    void aClaimLeftByANodeThatDiedExpiresAndIsTakenOver() {
        TestBackend backend = backend().onlyAccept("alice@example.test");
        node1.claimProbe("alice@example.test", Optional.empty(), Duration.ofMillis(1));   // expires in about 1 s

        ProbeClaim claim = node2.claimProbe("alice@example.test", Optional.empty(), Duration.ofSeconds(5));

        assertThat(claim).isEqualTo(ProbeClaim.GRANTED);
        assertThat(backend.commands()).isEmpty();
    }

    @Test
    void aClaimIsAnsweredByAnEntryWrittenMeanwhile() {
        node1.put("alice@example.test", new Entry(new Accepted("probe on node 1"), clock.instant()));

        ProbeClaim claim = node2.claimProbe("alice@example.test", Optional.empty(), BUDGET);

        assertThat(claim).isEqualTo(new ProbeClaim.AnsweredElsewhere(new Accepted("probe on node 1")));
    }

    @Test
    void leavesOnlyExpiringKeys() throws Exception {
        TestBackend backend = backend().onlyAccept("alice@example.test");
        verifier(node1).verify(domain(backend), alice());
        verifier(node2).verify(domain(backend), MailboxAddress.of("erin", DOMAIN));

        try (Jedis jedis = redis.admin()) {
            assertThat(redis.keys()).isNotEmpty().allSatisfy(key -> assertThat(jedis.pttl(key)).isPositive());
        }
    }

    // --- fixtures

    private long pttl(String address) {
        try (Jedis jedis = redis.admin()) {
            return jedis.pttl(redis.prefix() + "verdict:" + address);
        }
    }

    private CalloutVerifier verifier(VerdictCache cache) {
        return verifier(cache, BUDGET);
    }

    private CalloutVerifier verifier(VerdictCache cache, Duration budget) {
        CalloutConfig config = new CalloutConfig("", budget, Duration.ofSeconds(1), 2, 100, Duration.ofSeconds(30),
                Duration.ofHours(6));
        CalloutVerifier verifier = new CalloutVerifier(config, "gatehouse.test", IP_BACKENDS_ONLY, settings::get, cache,
                new SimpleMeterRegistry(), clock);
        verifiers.add(verifier);
        return verifier;
    }

    private TestBackend backend() {
        TestBackend backend = TestBackend.start();
        backends.add(backend);
        return backend;
    }

    private static MailboxAddress alice() {
        return MailboxAddress.of("alice", DOMAIN);
    }

    private static ProtectedDomain domain(TestBackend backend) {
        return new ProtectedDomain(DOMAIN, List.of(new ListenAddress("127.0.0.1", backend.port())), Verification.CALLOUT,
                ValidRecipients.EMPTY);
    }

    private static long rcptsFor(TestBackend backend, String address) {
        return backend.commands().stream().filter(command -> command.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }

    interface Call {
        CalloutResult run(int index) throws Exception;
    }

    private static List<CalloutResult> concurrently(int count, Call call) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<CalloutResult>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit((Callable<CalloutResult>) () -> call.run(index)));
            }
            List<CalloutResult> results = new ArrayList<>();
            for (Future<CalloutResult> future : futures) {
                results.add(future.get());
            }
            return results;
        }
    }
}
