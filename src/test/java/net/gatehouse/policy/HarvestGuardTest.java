package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import net.gatehouse.config.HarvestConfig;
import net.gatehouse.policy.HarvestGuard.Decision;
import net.gatehouse.testing.TestClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SPEC §3's directory harvest protection: count, tarpit, block, forget. */
class HarvestGuardTest {

    /** The defaults: window 10m, tarpit_after 10, tarpit_delay 2s, block_after 30, block_for 30m. */
    private static final HarvestConfig DEFAULTS = TestPolicies.HARVEST;

    private final TestClock clock = new TestClock();
    private final AtomicReference<HarvestConfig> settings = new AtomicReference<>(DEFAULTS);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final HarvestGuard guard = new HarvestGuard(settings::get, new LocalHarvestCounters(clock), meters);

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private List<Decision> unknown(InetAddress client, int times) {
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            decisions.add(guard.unknownRecipient(client));
        }
        return decisions;
    }

    @Test
    void proceedsUpToTarpitAfter() throws Exception {
        assertThat(unknown(ip("192.0.2.1"), 10)).containsOnly(Decision.PROCEED);
        assertThat(guard.unknownRecipients(ip("192.0.2.1"))).isEqualTo(10);
        assertThat(meters.counter("gatehouse.harvest.tarpits").count()).isZero();
    }

    @Test
    void tarpitsPastTarpitAfterWithADelayGrowingByTarpitDelayUpToThirtySeconds() throws Exception {
        InetAddress client = ip("192.0.2.1");
        unknown(client, 10);
        List<Decision> decisions = unknown(client, 19);
        assertThat(decisions).extracting(d -> ((Decision.Tarpit) d).delay().toSeconds())
                .containsExactly(2L, 4L, 6L, 8L, 10L, 12L, 14L, 16L, 18L, 20L, 22L, 24L, 26L, 28L, 30L, 30L, 30L, 30L, 30L);
        assertThat(meters.counter("gatehouse.harvest.tarpits").count()).isEqualTo(19);
    }

    @Test
    void sparesTheBackendFromTheFirstTarpittedRecipientOnUntilTheWindowForgetsThem() throws Exception {
        InetAddress client = ip("192.0.2.1");
        unknown(client, 10);
        assertThat(guard.sparesBackend(client)).isFalse();
        assertThat(guard.unknownRecipient(client)).isInstanceOf(Decision.Tarpit.class);
        assertThat(guard.sparesBackend(client)).isTrue();
        assertThat(guard.sparesBackend(ip("192.0.2.2"))).isFalse();

        clock.advance(DEFAULTS.window());
        assertThat(guard.sparesBackend(client)).isFalse();
    }

    @Test
    void sparesTheBackendPastTarpitAfterEvenWithoutATarpitDelayButNotWhenTheGuardIsOff() throws Exception {
        InetAddress client = ip("192.0.2.1");
        settings.set(new HarvestConfig(Duration.ofMinutes(10), 2, Duration.ZERO, 30, Duration.ofMinutes(30)));
        unknown(client, 3);
        assertThat(guard.sparesBackend(client)).isTrue();

        settings.set(new HarvestConfig(Duration.ofMinutes(10), 2, Duration.ofSeconds(2), 0, Duration.ofMinutes(30)));
        assertThat(guard.sparesBackend(client)).isFalse();
    }

    @Test
    void tarpitDelayLongerThanTheCapIsKept() {
        HarvestConfig slow = new HarvestConfig(Duration.ofMinutes(10), 0, Duration.ofSeconds(45), 30, Duration.ofMinutes(30));
        assertThat(HarvestGuard.tarpitDelay(slow, 1)).isEqualTo(Duration.ofSeconds(45));
        assertThat(HarvestGuard.tarpitDelay(slow, 29)).isEqualTo(Duration.ofSeconds(45));
        HarvestConfig huge = new HarvestConfig(Duration.ofDays(1), 0, Duration.ofDays(365_000_000), Integer.MAX_VALUE,
                Duration.ofMinutes(30));
        assertThat(HarvestGuard.tarpitDelay(huge, Integer.MAX_VALUE - 1)).isEqualTo(Duration.ofDays(365_000_000));
    }

    @Test
    void zeroTarpitDelayNeverTarpits() throws Exception {
        settings.set(new HarvestConfig(Duration.ofMinutes(10), 0, Duration.ZERO, 30, Duration.ofMinutes(30)));
        assertThat(unknown(ip("192.0.2.1"), 29)).containsOnly(Decision.PROCEED);
    }

    @Test
    void blocksAtBlockAfterAndRefusesAtConnectForBlockFor() throws Exception {
        InetAddress client = ip("192.0.2.1");
        unknown(client, 29);
        assertThat(guard.isBlocked(client)).isFalse();

        Instant until = clock.instant().plus(Duration.ofMinutes(30));
        assertThat(guard.unknownRecipient(client)).isEqualTo(new Decision.Block(until));
        assertThat(guard.isBlocked(client)).isTrue();
        assertThat(guard.blockedUntil(client)).contains(until);
        assertThat(meters.counter("gatehouse.harvest.blocks").count()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(30).minusMillis(1));
        assertThat(guard.isBlocked(client)).isTrue();
        clock.advance(Duration.ofMillis(1));
        assertThat(guard.isBlocked(client)).isFalse();
        assertThat(guard.blockedUntil(client)).isEmpty();
        assertThat(guard.unknownRecipients(client)).as("the window (10m) is shorter than the block").isZero();
        assertThat(guard.unknownRecipient(client)).isEqualTo(Decision.PROCEED);
    }

    @Test
    void anotherSessionOfABlockedClientExtendsTheBlock() throws Exception {
        InetAddress client = ip("192.0.2.1");
        unknown(client, 30);
        clock.advance(Duration.ofMinutes(1));
        assertThat(guard.unknownRecipient(client))
                .isEqualTo(new Decision.Block(clock.instant().plus(Duration.ofMinutes(30))));
        clock.advance(Duration.ofMinutes(30).minusMillis(1));
        assertThat(guard.isBlocked(client)).isTrue();
    }

    @Test
    void eventsOlderThanTheWindowNoLongerCount() throws Exception {
        InetAddress client = ip("192.0.2.1");
        unknown(client, 10);
        clock.advance(Duration.ofMinutes(9));
        // A fixed 10-minute bucket would start over here; the sliding window still sees the first ten.
        assertThat(unknown(client, 10)).allMatch(d -> d instanceof Decision.Tarpit);
        assertThat(guard.unknownRecipients(client)).isEqualTo(20);

        clock.advance(Duration.ofMinutes(1).minusMillis(1));
        assertThat(guard.unknownRecipients(client)).isEqualTo(20);
        clock.advance(Duration.ofMillis(1));
        assertThat(guard.unknownRecipients(client)).as("the first ten are 10 minutes old").isEqualTo(10);
        assertThat(guard.unknownRecipient(client)).as("eleventh within the window").isInstanceOf(Decision.Tarpit.class);

        clock.advance(Duration.ofMinutes(10));
        assertThat(guard.unknownRecipients(client)).isZero();
        assertThat(guard.unknownRecipient(client)).isEqualTo(Decision.PROCEED);
    }

    @Test
    void oneClientsHarvestingDoesNotAffectAnother() throws Exception {
        unknown(ip("192.0.2.1"), 30);
        assertThat(guard.isBlocked(ip("192.0.2.1"))).isTrue();
        assertThat(guard.isBlocked(ip("192.0.2.2"))).isFalse();
        assertThat(guard.unknownRecipients(ip("192.0.2.2"))).isZero();
        assertThat(guard.unknownRecipient(ip("192.0.2.2"))).isEqualTo(Decision.PROCEED);
    }

    @Test
    void ipv6ClientsInOneSlash64ShareACounterAndOtherSlash64sDoNot() throws Exception {
        unknown(ip("2001:db8:1:2::1"), 15);
        unknown(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), 15);
        assertThat(guard.isBlocked(ip("2001:db8:1:2:abcd::99"))).isTrue();
        assertThat(guard.isBlocked(ip("2001:db8:1:3::1"))).isFalse();
        assertThat(guard.unknownRecipients(ip("2001:db8:1:3::1"))).isZero();
    }

    @Test
    void ipv4MappedIpv6CountsAsTheIpv4Client() throws Exception {
        unknown(ip("::ffff:192.0.2.7"), 20);
        unknown(ip("192.0.2.7"), 10);
        assertThat(guard.isBlocked(ip("192.0.2.7"))).isTrue();
    }

    @ParameterizedTest
    @CsvSource({
            "192.0.2.1,                      192.0.2.1",
            "::ffff:198.51.100.200,          198.51.100.200",
            "2001:db8:1:2:3:4:5:6,           2001:db8:1:2::/64",
            "2001:db8::1,                    2001:db8:0:0::/64",
            "fe80::1%1,                      fe80:0:0:0::/64",
            "::1,                            0:0:0:0::/64"})
    void clientKeyIsTheIpv4AddressOrTheIpv6Slash64(String address, String key) throws Exception {
        assertThat(HarvestGuard.clientKey(ip(address))).isEqualTo(key);
    }

    @Test
    void blockAfterZeroTurnsTheGuardOff() throws Exception {
        InetAddress client = ip("192.0.2.1");
        unknown(client, 30);
        assertThat(guard.isBlocked(client)).isTrue();

        settings.set(new HarvestConfig(Duration.ofMinutes(10), 0, Duration.ofSeconds(2), 0, Duration.ofMinutes(30)));
        assertThat(guard.isBlocked(client)).as("a block in force is lifted").isFalse();
        assertThat(unknown(ip("192.0.2.9"), 1000)).containsOnly(Decision.PROCEED);
        assertThat(guard.unknownRecipients(ip("192.0.2.9"))).isZero();
        assertThat(meters.counter("gatehouse.harvest.tarpits").count()).as("only the 19 before").isEqualTo(19);
    }

    @Test
    void concurrentSessionsOfOneClientAreCountedExactly() throws Exception {
        settings.set(new HarvestConfig(Duration.ofMinutes(10), 100_000, Duration.ofSeconds(2), 100_000,
                Duration.ofMinutes(30)));
        InetAddress client = ip("192.0.2.1");
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> sessions = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
            for (int t = 0; t < 8; t++) {
                sessions.add(threads.submit(() -> {
                    start.await();
                    unknown(client, 1000);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> session : sessions) {
                session.get();
            }
        }
        assertThat(guard.unknownRecipients(client)).isEqualTo(8000);
    }
}
