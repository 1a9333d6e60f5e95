package net.gatehouse.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * The messages waiting for their next delivery attempt, in order of due time, read from the
 * injected clock. A message is in it at most once; one taken out (to be attempted, or claimed by
 * an administrator's action) is not attempted until it is put back. Thread-safe.
 */
final class Schedule {

    /** A message's place in the schedule. Identity, not equality: a claim takes out this entry. */
    static final class Entry implements Delayed {
        private final QueueId id;
        private final int attempts;
        private final Instant due;
        private final SpooledMessage fresh;
        private final Clock clock;

        private Entry(QueueId id, int attempts, Instant due, SpooledMessage fresh, Clock clock) {
            this.id = id;
            this.attempts = attempts;
            this.due = due;
            this.fresh = fresh;
            this.clock = clock;
        }

        QueueId id() {
            return id;
        }

        /** Attempts finished so far. */
        int attempts() {
            return attempts;
        }

        Instant due() {
            return due;
        }

        /** The message as just committed, for its first attempt; null for retries. */
        SpooledMessage fresh() {
            return fresh;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(Duration.between(clock.instant(), due));
        }

        @Override
        public int compareTo(Delayed other) {
            return due.compareTo(((Entry) other).due);
        }
    }

    private final Clock clock;
    private final DelayQueue<Entry> queue = new DelayQueue<>();

    Schedule(Clock clock) {
        this.clock = clock;
    }

    /** An entry, not yet in the schedule: {@link #add} puts it in; a message on hold keeps it aside. */
    Entry entry(QueueId id, int attempts, Instant due, SpooledMessage fresh) {
        return new Entry(id, attempts, due, fresh, clock);
    }

    /** An entry due now. */
    Entry dueNow(QueueId id, int attempts, SpooledMessage fresh) {
        return entry(id, attempts, clock.instant(), fresh);
    }

    void add(Entry entry) {
        queue.add(entry);
    }

    /** The next entry that is due, taken out; waits up to the timeout for one. */
    Entry next(long timeout, TimeUnit unit) throws InterruptedException {
        return queue.poll(timeout, unit);
    }

    /**
     * Takes the message's entry out, so that no attempt can start until it is put back: empty
     * when it is not in the schedule (being attempted, held, or not in the queue). A concurrent
     * {@link #allDueNow()} replaces entries, hence the few tries.
     */
    Optional<Entry> claim(QueueId id) {
        for (int tries = 0; tries < 3; tries++) {
            boolean seen = false;
            for (Entry entry : queue) {
                if (entry.id.equals(id)) {
                    seen = true;
                    if (queue.remove(entry)) {
                        return Optional.of(entry);
                    }
                }
            }
            if (!seen) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The message's entry, left in place: O(schedule). */
    Optional<Entry> find(QueueId id) {
        Entry found = null;
        for (Entry entry : queue) {
            if (entry.id.equals(id)) {
                found = entry;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Every entry by message, left in place: O(schedule). */
    Map<QueueId, Entry> entries() {
        Map<QueueId, Entry> entries = new HashMap<>();
        for (Entry entry : queue) {
            entries.put(entry.id, entry);
        }
        return entries;
    }

    /** Makes every entry due now (the {@code queue flush} command). */
    void allDueNow() {
        for (Entry entry : new ArrayList<>(queue)) {
            if (queue.remove(entry)) {
                queue.add(dueNow(entry.id, entry.attempts, entry.fresh));
            }
        }
    }
}
