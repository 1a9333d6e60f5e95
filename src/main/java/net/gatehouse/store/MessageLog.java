package net.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import net.gatehouse.log.LogEntry;
import net.gatehouse.log.MessageSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The message log: every RCPT decision and every delivery, kept in the store for
 * {@code message_log.retention} and searchable from the console, the API and the CLI.
 *
 * <p>{@link #record} is called on the SMTP path and never waits: it puts the entry in a bounded
 * queue and returns. One writer thread takes entries off the queue and writes them in batches, one
 * transaction per batch (up to {@link Settings#batchSize()} entries, or what arrived within
 * {@link Settings#batchDelay()} of the first), so that a busy gateway costs the store a few commits
 * a second, not one per recipient. While it collects a batch the writer sleeps: the SMTP path
 * wakes it once per batch, not once per entry. When the store cannot keep up or is down, the queue fills and
 * further entries are dropped and counted ({@link #dropped()}, and a warning at most once a
 * minute): the log is a record of the mail flow, and it never slows or stops the mail flow. A batch
 * whose write fails is retried with back-off; entries are lost only when the queue overflows or
 * the log is closed while the store is down.
 *
 * <p>The writer is a platform thread, not a virtual one: SQLite runs in native code, and a virtual
 * thread blocked in a native call (an fsync at commit) holds its carrier thread, one of the few the
 * SMTP sessions run on.
 *
 * <p>The same thread deletes entries older than the retention, every {@link Settings#purgeInterval()}
 * (the first time a minute after start), in small transactions so that it never holds SQLite's
 * write lock for long.
 */
public final class MessageLog implements MessageSink, AutoCloseable {

    /**
     * How the log queues and writes.
     *
     * @param queueCapacity entries waiting to be written; beyond that, new entries are dropped
     * @param batchSize     most entries per transaction
     * @param batchDelay    how long the writer collects entries after the first before it writes
     * @param retention     how long entries are kept
     * @param purgeInterval how often entries older than the retention are deleted
     */
    public record Settings(int queueCapacity, int batchSize, Duration batchDelay, Duration retention,
                           Duration purgeInterval) {

        public Settings {
            if (queueCapacity < 1 || batchSize < 1) {
                throw new IllegalArgumentException("queueCapacity and batchSize must be positive");
            }
            if (batchDelay.isNegative() || !retention.isPositive() || !purgeInterval.isPositive()) {
                throw new IllegalArgumentException("batchDelay must not be negative; retention and purgeInterval must be positive");
            }
        }

        /** The production settings, with the configured retention. */
        public static Settings defaults(Duration retention) {
            return new Settings(100_000, 1000, Duration.ofMillis(200), retention, Duration.ofHours(1));
        }
    }

    private static final Logger log = LoggerFactory.getLogger(MessageLog.class);

    private static final long DROP_WARNING_INTERVAL_MILLIS = Duration.ofMinutes(1).toMillis();
    private static final Duration FIRST_PURGE_DELAY = Duration.ofMinutes(1);
    private static final Duration IDLE_WAKE_UP = Duration.ofSeconds(1);
    private static final Duration FIRST_RETRY_DELAY = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);
    private static final long CLOSE_TIMEOUT_SECONDS = 10;
    private static final Duration ABANDON_WAIT = Duration.ofSeconds(1);
    private static final int PURGE_CHUNK = 10_000;
    static final String COLUMNS = "at, kind, client, helo, sender, recipient, verdict, reason, reply, queue_id";
    private static final long NO_WARNING_YET = Long.MIN_VALUE;

    /** What the queue carries: entries, and requests from {@link #flush} and {@link #close}. */
    private sealed interface Item permits Entry, FlushRequest, Stop {
    }

    private record Entry(LogEntry entry) implements Item {
    }

    private record FlushRequest(CountDownLatch written) implements Item {
    }

    private enum Stop implements Item { INSTANCE }

    private final Database database;
    /** The node name written with every entry (SPEC §6: the log is read per node); '' for none. */
    private final String node;
    private final MessageLogSearch search;
    private final Settings settings;
    private final Clock clock;
    private final BlockingQueue<Item> queue;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final AtomicLong lastDropWarning = new AtomicLong(NO_WARNING_YET);
    /** Counted down when {@link #close} has waited long enough: the writer stops retrying. */
    private final CountDownLatch abandon = new CountDownLatch(1);
    private final Thread writer;
    /** Entries the batch being collected can still take: record() wakes the writer when as many are queued. */
    private volatile int room;
    private volatile boolean closed;

    private MessageLog(Database database, Settings settings, Clock clock, String node) {
        this.database = database;
        this.node = Objects.requireNonNull(node, "node");
        this.search = new MessageLogSearch(database);
        this.settings = settings;
        this.clock = clock;
        this.queue = new LinkedBlockingQueue<>(settings.queueCapacity());
        this.room = settings.batchSize();
        this.writer = Thread.ofPlatform().name("message-log-writer").daemon().unstarted(this::writeUntilStopped);
    }

    /** Starts the writer thread, for entries of no particular node. */
    public static MessageLog start(Database database, Settings settings, Clock clock) {
        return start(database, settings, clock, "");
    }

    /** Starts the writer thread; every entry is written as the node {@code node}'s. */
    public static MessageLog start(Database database, Settings settings, Clock clock, String node) {
        MessageLog messageLog = new MessageLog(database, settings, clock, node);
        messageLog.writer.start();
        return messageLog;
    }

    /**
     * Queues an entry to be written, without waiting.
     *
     * @return false if it was dropped: the queue is full, or the log is closed
     */
    @Override
    public boolean record(LogEntry entry) {
        Objects.requireNonNull(entry, "entry");
        boolean wasClosed = closed;
        if (!wasClosed && queue.offer(new Entry(entry))) {
            if (queue.size() >= room) {
                LockSupport.unpark(writer); // the batch the writer is collecting is full
            }
            return true;
        }
        dropped.increment();
        warnOfDrops(wasClosed ? "the log is closed" : "the store is not keeping up; mail flow is not affected, only its log");
        return false;
    }

    /** Entries dropped since start because the queue was full or the log closed. */
    public long dropped() {
        return dropped.sum();
    }

    /** Entries written to the store since start. */
    public long written() {
        return written.sum();
    }

    /** Transactions that wrote entries since start. */
    public long batches() {
        return batches.sum();
    }

    /** Entries waiting to be written. */
    public int pending() {
        return queue.size();
    }

    /**
     * Waits until every entry recorded before this call is written (or dropped).
     *
     * @return false if that did not happen within {@code timeout}, or the log is closed
     */
    public boolean flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CountDownLatch written = new CountDownLatch(1);
        try {
            if (closed || !queue.offer(new FlushRequest(written), timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return false;
            }
            LockSupport.unpark(writer);
            return written.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Entries matching the query, newest first.
     *
     * @throws StoreException if the store fails
     */
    public List<LogEntry> search(LogQuery query) {
        return search.entries(query).stream().map(LoggedEntry::entry).toList();
    }

    /** As {@link #search}, each entry with the node that wrote it. */
    public List<LoggedEntry> searchWithNodes(LogQuery query) {
        return search.entries(query);
    }

    /** RCPT decisions counted per minute, verdict and reason, for the dashboard's chart. */
    public record MinuteCount(Instant minute, String verdict, String reason, long count) {
    }

    /**
     * RCPT decisions in {@code [from, to)} counted per minute, verdict and reason, oldest first.
     *
     * @throws StoreException if the store fails
     */
    public List<MinuteCount> countsByMinute(Instant from, Instant to) {
        return search.countsByMinute(from, to, "");
    }

    /** As {@link #countsByMinute(Instant, Instant)}, of the node {@code node} only (empty: of every node). */
    public List<MinuteCount> countsByMinute(Instant from, Instant to, String node) {
        return search.countsByMinute(from, to, node);
    }

    /**
     * Deletes entries older than {@code cutoff}, a chunk per transaction.
     *
     * @return how many were deleted
     * @throws StoreException if the store fails (chunks deleted before stay deleted)
     */
    public long purgeOlderThan(Instant cutoff) {
        long cutoffMillis = millis(cutoff);
        long deleted = 0;
        int chunk;
        do {
            chunk = database.write("deleting message log entries older than " + cutoff, connection -> {
                try (PreparedStatement delete = connection.prepareStatement("DELETE FROM message_log WHERE id IN "
                        + "(SELECT id FROM message_log WHERE at < ? ORDER BY id LIMIT " + PURGE_CHUNK + ")")) {
                    delete.setLong(1, cutoffMillis);
                    return delete.executeUpdate();
                }
            });
            deleted += chunk;
        } while (chunk == PURGE_CHUNK);
        return deleted;
    }

    /**
     * Writes what is queued and stops the writer. A store that fails is retried for up to
     * {@value #CLOSE_TIMEOUT_SECONDS} seconds; entries still unwritten then are counted as dropped.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_TIMEOUT_SECONDS);
        try {
            boolean queued = queue.offer(Stop.INSTANCE, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            LockSupport.unpark(writer);
            if (!queued || !writer.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                abandon.countDown();
                // the writer gives up at once unless it is inside a database call, which has its own deadline
                writer.join(ABANDON_WAIT);
            }
        } catch (InterruptedException e) {
            abandon.countDown();
            Thread.currentThread().interrupt();
        }
        int unwritten = (int) queue.stream().filter(Entry.class::isInstance).count();
        if (unwritten > 0) {
            dropped.add(unwritten);
            log.warn("message_log_lost entries={} reason=\"closed before the store accepted them\"", unwritten);
        }
    }

    private void writeUntilStopped() {
        // purges are paced by elapsed time; only the cutoff comes from the clock
        long nextPurge = System.nanoTime() + min(settings.purgeInterval(), FIRST_PURGE_DELAY).toNanos();
        List<Item> items = new ArrayList<>();
        List<LogEntry> batch = new ArrayList<>();
        List<CountDownLatch> flushes = new ArrayList<>();
        boolean stop = false;
        while (!stop) {
            try {
                Item first = queue.poll(Math.min(IDLE_WAKE_UP.toNanos(), Math.max(0, nextPurge - System.nanoTime())),
                        TimeUnit.NANOSECONDS);
                if (first != null) {
                    items.add(first);
                    long deadline = System.nanoTime() + settings.batchDelay().toNanos();
                    while (true) {
                        queue.drainTo(items, settings.batchSize() - batch.size());
                        for (Item item : items) {
                            switch (item) {
                                case Entry entry -> batch.add(entry.entry());
                                case FlushRequest flush -> flushes.add(flush.written());
                                case Stop ignored -> stop = true;
                            }
                        }
                        items.clear();
                        long wait = deadline - System.nanoTime();
                        if (stop || !flushes.isEmpty() || batch.size() >= settings.batchSize() || wait <= 0) {
                            break;
                        }
                        // Sleeps rather than waits on the queue: a waiting taker is woken by every
                        // entry offered to the empty queue, a thread wake-up per RCPT. record()
                        // wakes the writer when the batch is full; flush() and close() when asked.
                        room = settings.batchSize() - batch.size();
                        LockSupport.parkNanos(this, wait);
                        if (Thread.interrupted()) {
                            throw new InterruptedException();
                        }
                    }
                    room = settings.batchSize(); // collecting is over: no early wake-ups while it writes or idles
                    write(batch);
                    batch.clear();
                    flushes.forEach(CountDownLatch::countDown);
                    flushes.clear();
                }
                if (!stop && System.nanoTime() - nextPurge >= 0) {
                    purgeExpired();
                    nextPurge = System.nanoTime() + settings.purgeInterval().toNanos();
                }
            } catch (InterruptedException e) {
                // nobody interrupts this thread but the JVM going away: stop
                stop = true;
            }
        }
    }

    /** Writes a batch, retrying while the store fails, until it succeeds or close gives up. */
    private void write(List<LogEntry> batch) throws InterruptedException {
        if (batch.isEmpty()) {
            return;
        }
        Duration delay = FIRST_RETRY_DELAY;
        boolean failing = false;
        while (true) {
            try {
                database.write("writing " + batch.size() + " message log entries", c -> insert(c, batch, node));
                written.add(batch.size());
                batches.increment();
                if (failing) {
                    log.info("message_log_write_recovered entries={}", batch.size());
                }
                return;
            } catch (StoreException e) {
                if (!failing) {
                    log.warn("message_log_write_failed entries={} retrying=yes error=\"{}\"", batch.size(), e.getMessage());
                    failing = true;
                }
            } catch (RuntimeException e) { // a bug, not the store: retrying would fail the same way
                log.error("message_log_write_failed entries={} retrying=no", batch.size(), e);
                dropped.add(batch.size());
                return;
            }
            if (abandon.await(delay.toNanos(), TimeUnit.NANOSECONDS)) {
                dropped.add(batch.size());
                log.warn("message_log_lost entries={} reason=\"closed while the store was failing\"", batch.size());
                return;
            }
            delay = min(delay.multipliedBy(2), MAX_RETRY_DELAY);
        }
    }

    private static Void insert(Connection connection, List<LogEntry> batch, String node) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO message_log (" + COLUMNS + ", node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (LogEntry entry : batch) {
                insert.setLong(1, entry.at().toEpochMilli());
                insert.setString(2, entry.kind().word());
                insert.setString(3, entry.client());
                insert.setString(4, entry.helo());
                insert.setString(5, entry.sender());
                insert.setString(6, entry.recipient());
                insert.setString(7, entry.verdict());
                insert.setString(8, entry.reason());
                insert.setString(9, entry.reply());
                insert.setString(10, entry.queueId());
                insert.setString(11, node);
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return null;
    }

    private void purgeExpired() {
        Instant cutoff = clock.instant().minus(settings.retention());
        try {
            long deleted = purgeOlderThan(cutoff);
            if (deleted > 0) {
                log.info("message_log_purged entries={} older_than={}", deleted, cutoff);
            }
        } catch (StoreException e) {
            log.warn("message_log_purge_failed retry_in={} error=\"{}\"", settings.purgeInterval(), e.getMessage());
        }
    }

    private void warnOfDrops(String reason) {
        long now = clock.millis();
        long last = lastDropWarning.get();
        if ((last == NO_WARNING_YET || now - last >= DROP_WARNING_INTERVAL_MILLIS)
                && lastDropWarning.compareAndSet(last, now)) {
            log.warn("message_log_dropping dropped_total={} queue_capacity={} reason=\"{}\"", dropped.sum(),
                    settings.queueCapacity(), reason);
        }
    }

    /** Epoch milliseconds, saturated rather than overflowing for instants beyond them. */
    static long millis(Instant instant) {
        try {
            return instant.toEpochMilli();
        } catch (ArithmeticException e) {
            return instant.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
