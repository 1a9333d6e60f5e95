package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueueIdTest {

    @Test
    void idsAreUniqueAndSortByTime() {
        Set<QueueId> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(ids.add(QueueId.next(1_700_000_000_000L))).isTrue();
        }
        assertThat(QueueId.next(1_700_000_000_000L)).isLessThan(QueueId.next(1_700_000_001_000L));
    }

    @Test
    void remembersWhenItWasMade() {
        assertThat(QueueId.next(1_763_900_000_123L).acceptedAt()).isEqualTo(Instant.ofEpochMilli(1_763_900_000_123L));
    }

    @Test
    void validatesSyntax() {
        assertThat(QueueId.isValid(QueueId.next(System.currentTimeMillis()).value())).isTrue();
        assertThat(QueueId.isValid("../../etc/passwd")).isFalse();
        assertThat(QueueId.isValid("0123456789ABI")).isFalse();
    }

    @Test
    void retryDelaysDoubleUpToTheMaximumAndMessagesExpire() {
        RetrySchedule schedule = new RetrySchedule(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(5));
        assertThat(schedule.delayAfter(1)).isEqualTo(Duration.ofMinutes(5));
        assertThat(schedule.delayAfter(2)).isEqualTo(Duration.ofMinutes(10));
        assertThat(schedule.delayAfter(4)).isEqualTo(Duration.ofMinutes(40));
        assertThat(schedule.delayAfter(5)).isEqualTo(Duration.ofHours(1));
        assertThat(schedule.delayAfter(50)).isEqualTo(Duration.ofHours(1));
        Instant received = Instant.parse("2026-11-01T00:00:00Z");
        assertThat(schedule.expired(received, received.plus(Duration.ofDays(4)))).isFalse();
        assertThat(schedule.expired(received, received.plus(Duration.ofDays(5)))).isTrue();
    }
}
