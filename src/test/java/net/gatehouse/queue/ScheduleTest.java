package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import net.gatehouse.testing.TestClock;
import org.junit.jupiter.api.Test;

/** Due times come from the injected clock: no test here waits for time to pass. */
class ScheduleTest {

    private final TestClock clock = new TestClock();
    private final Schedule schedule = new Schedule(clock);
    private final QueueId first = QueueId.next(clock.millis());
    private final QueueId second = QueueId.next(clock.millis() + 1);

    @Test
    void anEntryIsDueWhenTheClockSaysSo() throws Exception {
        schedule.add(schedule.entry(first, 1, clock.instant().plus(Duration.ofMinutes(5)), null));

        assertThat(schedule.next(0, TimeUnit.SECONDS)).isNull();
        clock.advance(Duration.ofMinutes(4));
        assertThat(schedule.next(0, TimeUnit.SECONDS)).isNull();
        clock.advance(Duration.ofMinutes(1));

        Schedule.Entry due = schedule.next(0, TimeUnit.SECONDS);
        assertThat(due.id()).isEqualTo(first);
        assertThat(due.attempts()).isEqualTo(1);
        assertThat(schedule.next(0, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void entriesComeOutInOrderOfDueTime() throws Exception {
        schedule.add(schedule.entry(first, 2, clock.instant().plus(Duration.ofMinutes(10)), null));
        schedule.add(schedule.entry(second, 1, clock.instant().plus(Duration.ofMinutes(5)), null));
        clock.advance(Duration.ofHours(1));

        assertThat(schedule.next(0, TimeUnit.SECONDS).id()).isEqualTo(second);
        assertThat(schedule.next(0, TimeUnit.SECONDS).id()).isEqualTo(first);
    }

    @Test
    void aClaimedEntryIsNeverDueUntilItIsPutBack() throws Exception {
        schedule.add(schedule.dueNow(first, 0, null));

        Schedule.Entry claimed = schedule.claim(first).orElseThrow();

        assertThat(schedule.claim(first)).isEmpty();
        assertThat(schedule.find(first)).isEmpty();
        assertThat(schedule.next(0, TimeUnit.SECONDS)).isNull();
        schedule.add(claimed);
        assertThat(schedule.next(0, TimeUnit.SECONDS)).isSameAs(claimed);
    }

    @Test
    void findAndEntriesLeaveEntriesInPlace() throws Exception {
        schedule.add(schedule.dueNow(first, 0, null));
        schedule.add(schedule.entry(second, 3, clock.instant().plus(Duration.ofMinutes(5)), null));

        assertThat(schedule.find(second).orElseThrow().due()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
        assertThat(schedule.entries()).containsOnlyKeys(first, second);
        assertThat(schedule.next(0, TimeUnit.SECONDS).id()).isEqualTo(first);
    }

    @Test
    void allDueNowMakesEveryEntryDueKeepingItsAttempts() throws Exception {
        schedule.add(schedule.entry(first, 4, clock.instant().plus(Duration.ofHours(1)), null));

        schedule.allDueNow();

        Schedule.Entry due = schedule.next(0, TimeUnit.SECONDS);
        assertThat(due.id()).isEqualTo(first);
        assertThat(due.attempts()).isEqualTo(4);
    }
}
