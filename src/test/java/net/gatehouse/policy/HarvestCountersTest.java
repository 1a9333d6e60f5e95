package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.stream.IntStream;
import net.gatehouse.testing.TestClock;
import org.junit.jupiter.api.Test;

/** The in-process counters: exact sliding windows, and bounded whatever clients do. */
class HarvestCountersTest {

    private static final Duration WINDOW = Duration.ofMinutes(10);

    private final TestClock clock = new TestClock();
    private final LocalHarvestCounters counters = new LocalHarvestCounters(clock);

    @Test
    void countsUpToTheLimitAndNoFurther() {
        assertThat(IntStream.range(0, 6).map(i -> counters.record("192.0.2.1", WINDOW, 3)))
                .containsExactly(1, 2, 3, 3, 3, 3);
    }

    @Test
    void aLowerLimitKeepsTheNewestEvents() {
        for (int i = 0; i < 10; i++) {
            counters.record("192.0.2.1", WINDOW, 10);
            clock.advance(Duration.ofMinutes(1));
        }
        assertThat(counters.record("192.0.2.1", WINDOW, 5)).isEqualTo(5);
        clock.advance(Duration.ofMinutes(6));
        assertThat(counters.count("192.0.2.1", WINDOW)).as("events at 6 to 10 minutes are gone").isEqualTo(4);
    }

    @Test
    void countingWithAShorterWindowDropsOlderEventsForGood() {
        counters.record("192.0.2.1", WINDOW, 30);
        clock.advance(Duration.ofMinutes(5));
        assertThat(counters.count("192.0.2.1", Duration.ofMinutes(4))).isZero();
        assertThat(counters.count("192.0.2.1", WINDOW)).as("a shortened window is not undone by lengthening it again").isZero();
    }

    @Test
    void aClientIsForgottenWhenItsNewestEventLeavesTheWindow() {
        counters.record("192.0.2.1", WINDOW, 30);
        clock.advance(Duration.ofMinutes(9));
        counters.record("192.0.2.1", WINDOW, 30);
        clock.advance(Duration.ofMinutes(9));
        assertThat(counters.clients()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(1));
        assertThat(counters.clients()).isZero();
    }

    @Test
    void aClockSteppedBackDoesNotLoseOrResurrectEvents() {
        counters.record("192.0.2.1", WINDOW, 30);
        clock.advance(Duration.ofMinutes(-5));
        assertThat(counters.record("192.0.2.1", WINDOW, 30)).isEqualTo(2);
        clock.advance(Duration.ofMinutes(15));
        assertThat(counters.count("192.0.2.1", WINDOW)).isZero();
    }

    @Test
    void staysBoundedUnderManyDistinctClients() {
        for (int i = 0; i < 200_000; i++) {
            counters.record("10." + (i >> 16) + "." + (i >> 8 & 0xff) + "." + (i & 0xff), WINDOW, 30);
        }
        assertThat(counters.clients()).isLessThanOrEqualTo(LocalHarvestCounters.DEFAULT_MAX_CLIENTS);
    }

    @Test
    void aClientWithManyEventsWeighsForThem() {
        LocalHarvestCounters small = new LocalHarvestCounters(clock, 100);
        for (int i = 0; i < 100; i++) {
            small.record("10.0.0." + i, WINDOW, 30);
        }
        for (int i = 0; i < 64 * LocalHarvestCounters.SLOTS_PER_UNIT; i++) {
            small.record("192.0.2.1", WINDOW, 100_000);
        }
        assertThat(small.clients()).as("one ring of 2048 slots weighs as 64 clients").isLessThanOrEqualTo(100 - 64 + 1);
    }

    @Test
    void aBlockEndsOnTimeAndALaterBlockWins() {
        Instant until = counters.block("192.0.2.1", Duration.ofMinutes(30));
        assertThat(until).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));
        clock.advance(Duration.ofMinutes(10));
        assertThat(counters.block("192.0.2.1", Duration.ofMinutes(5))).as("a shorter block keeps the longer").isEqualTo(until);
        assertThat(counters.blockedUntil("192.0.2.1")).contains(until);
        assertThat(counters.blockedUntil("192.0.2.2")).isEmpty();
        clock.advance(Duration.ofMinutes(20));
        assertThat(counters.blockedUntil("192.0.2.1")).isEmpty();
    }
}
