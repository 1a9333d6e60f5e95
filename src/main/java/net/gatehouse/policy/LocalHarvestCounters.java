package net.gatehouse.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@link HarvestCounters} in this process: thread-safe and bounded, for a single node (and as the
 * fallback of the Redis implementation).
 *
 * <p>The window is exact: each client keeps the timestamps (milliseconds) of its newest events in a
 * small ring, oldest first, and an event counts while it is younger than the window. The ring never
 * holds more than the caller's {@code limit} (the block threshold) and grows only as a client earns
 * it, so the usual client, with one mistyped address, costs four slots. A two-bucket estimate would
 * cost less for a large threshold but lets events count for up to twice the window, and a harvester
 * can time its bursts against the bucket edges.
 *
 * <p>Bounds: a client's entry expires when its newest event leaves the window (whatever the window
 * is at that moment, since the administrator may change it), a block when it ends. At most about
 * {@code maxClients} clients are held: each weighs one unit per {@value #SLOTS_PER_UNIT} timestamps
 * (at least one), so memory stays near {@code maxClients} × (entry overhead + 256 bytes) whatever
 * {@code block_after} is. Past the bound, Caffeine's admission policy decides which clients are
 * forgotten: an attacker with more addresses than the bound can make some of them be forgotten
 * early, which only lets those start counting again. Blocks are bounded by {@code maxClients} too.
 *
 * <p>Time comes from the injected {@link Clock}, for the windows and for Caffeine's expiry alike.
 */
public final class LocalHarvestCounters implements HarvestCounters {

    /** Enough for a busy gateway's harvesters and typo-makers over one window, at well under 100 MB. */
    public static final int DEFAULT_MAX_CLIENTS = 100_000;

    static final int SLOTS_PER_UNIT = 32;
    private static final int INITIAL_SLOTS = 4;

    private final Clock clock;
    private final Cache<String, Events> events;
    private final Cache<String, Instant> blocks;

    public LocalHarvestCounters(Clock clock) {
        this(clock, DEFAULT_MAX_CLIENTS);
    }

    public LocalHarvestCounters(Clock clock, int maxClients) {
        if (maxClients < 1) {
            throw new IllegalArgumentException("maxClients must be at least 1, not " + maxClients);
        }
        this.clock = clock;
        // Epoch nanoseconds at millisecond resolution: the same time base as the windows, so expiry
        // and counting never disagree, and a test clock moves both.
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        // Eviction runs on the calling thread (it is short): no shared pool's work, and cleanUp() is exact in tests.
        this.events = Caffeine.newBuilder()
                .ticker(ticker)
                .executor(Runnable::run)
                .maximumWeight(maxClients)
                .weigher((String key, Events value) -> Math.max(1, value.times.length / SLOTS_PER_UNIT))
                .expireAfter(Expiry.writing((String key, Events value) -> value.lifetime(clock.millis())))
                .build();
        this.blocks = Caffeine.newBuilder()
                .ticker(ticker)
                .executor(Runnable::run)
                .maximumSize(maxClients)
                .expireAfter(Expiry.writing((String key, Instant until) ->
                        Duration.ofMillis(Math.max(0, until.toEpochMilli() - clock.millis()))))
                .build();
    }

    @Override
    public int record(String clientKey, Duration window, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, not " + limit + " (client " + clientKey + ")");
        }
        long now = clock.millis();
        long windowMillis = window.toMillis();
        int[] count = new int[1];
        // compute holds the key's lock: the events of one client are counted one at a time, exactly.
        events.asMap().compute(clientKey, (key, current) -> {
            Events updated = (current == null ? new Events(Math.min(INITIAL_SLOTS, limit)) : current)
                    .expire(now, windowMillis)
                    .withRoomFor(limit);
            updated.add(now, windowMillis);
            count[0] = updated.size;
            return updated;
        });
        return count[0];
    }

    @Override
    public int count(String clientKey, Duration window) {
        long now = clock.millis();
        int[] count = new int[1];
        events.asMap().computeIfPresent(clientKey, (key, current) -> {
            count[0] = current.expire(now, window.toMillis()).size;
            return current.size == 0 ? null : current;
        });
        return count[0];
    }

    @Override
    public Instant block(String clientKey, Duration blockFor) {
        Instant until = Instant.ofEpochMilli(clock.millis()).plus(blockFor);
        return blocks.asMap().merge(clientKey, until, (old, proposed) -> old.isAfter(proposed) ? old : proposed);
    }

    @Override
    public Optional<Instant> blockedUntil(String clientKey) {
        Instant until = blocks.getIfPresent(clientKey);
        // Caffeine drops an ended block lazily: the clock decides, not the cache's maintenance.
        return until != null && clock.millis() < until.toEpochMilli() ? Optional.of(until) : Optional.empty();
    }

    /** The clients with events held, after pending evictions (for tests of the bound). */
    long clients() {
        events.cleanUp();
        return events.estimatedSize();
    }

    /**
     * One client's event timestamps, oldest first, in a ring. Touched only inside the map's
     * {@code compute} for its key, which is the lock; replaced by a new instance when its capacity
     * changes, so that Caffeine weighs it again.
     */
    static final class Events {
        final long[] times;
        int head;
        int size;
        long windowMillis;

        Events(int capacity) {
            times = new long[capacity];
        }

        Events expire(long now, long windowMillis) {
            while (size > 0 && now - times[head] >= windowMillis) {
                head = (head + 1) % times.length;
                size--;
            }
            return this;
        }

        /** This ring, or a copy with the newest events, sized so that one more fits within {@code limit}. */
        Events withRoomFor(int limit) {
            int capacity = times.length;
            if (capacity > limit) {
                capacity = limit;
            } else if (size == capacity && capacity < limit) {
                capacity = (int) Math.min(limit, 2L * capacity);
            }
            if (capacity == times.length) {
                return this;
            }
            Events copy = new Events(capacity);
            int keep = Math.min(size, capacity);
            for (int i = 0; i < keep; i++) {
                copy.times[i] = times[(head + size - keep + i) % times.length];
            }
            copy.size = keep;
            copy.windowMillis = windowMillis;
            return copy;
        }

        /** Adds an event, dropping the oldest when full: the newest {@code limit} decide. */
        void add(long now, long windowMillis) {
            // A clock stepped back must not unsort the ring, or expire would stop at a young event.
            long at = size == 0 ? now : Math.max(now, times[(head + size - 1) % times.length]);
            if (size == times.length) {
                head = (head + 1) % times.length;
                size--;
            }
            times[(head + size) % times.length] = at;
            size++;
            this.windowMillis = windowMillis;
        }

        /** How long the entry is worth keeping: until its newest event leaves the window. */
        Duration lifetime(long now) {
            if (size == 0) {
                return Duration.ZERO;
            }
            long newest = times[(head + size - 1) % times.length];
            return Duration.ofMillis(Math.max(0, newest + windowMillis - now));
        }
    }
}
