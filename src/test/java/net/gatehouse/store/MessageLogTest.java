package net.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.gatehouse.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import net.gatehouse.log.LogEntry;

/** The message log's queue and writer: batched, never blocking the caller, bounded, with retention. */
class MessageLogTest {

    private static final Instant NOW = StoreContract.NOW;

    @TempDir
    Path dataDir;

    private Database database;

    @BeforeEach
    void open() {
        database = Database.open(Database.EMBEDDED, dataDir);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private static LogEntry entry(Instant at, String recipient) {
        return StoreContract.rcpt(at, "192.0.2.1", "<sender@example.org>", recipient, "reject", "not_in_valid_list");
    }

    private static int count(MessageLog log) {
        return log.search(LogQuery.newest(LogQuery.MAX_LIMIT)).size();
    }

    @Test
    void writesEntriesInBatchesNotOneTransactionEach() {
        MessageLog.Settings settings = new MessageLog.Settings(100_000, 1000, Duration.ofMillis(200), Duration.ofDays(30),
                Duration.ofHours(1));
        try (MessageLog log = MessageLog.start(database, settings, Clock.systemUTC())) {
            for (int i = 0; i < 2500; i++) {
                assertThat(log.record(entry(NOW.plusMillis(i), "<user" + i + "@example.com>"))).isTrue();
            }
            assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(log.written()).isEqualTo(2500);
            assertThat(log.batches()).isBetween(3L, 10L); // at most 1000 a batch, and not one each
            assertThat(count(log)).isEqualTo(2500);
            assertThat(log.search(LogQuery.newest(1))).extracting(LogEntry::recipient).containsExactly("<user2499@example.com>");
        }
    }

    @Test
    void aFullQueueDropsEntriesInsteadOfBlockingTheCaller() throws Exception {
        MessageLog.Settings settings = new MessageLog.Settings(10, 100, Duration.ZERO, Duration.ofDays(30), Duration.ofHours(1));
        // another process holds SQLite's write lock, so the writer cannot write and the queue fills
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(Database.FILE_NAME));
             MessageLog log = MessageLog.start(database, settings, Clock.systemUTC())) {
            try (Statement statement = other.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");
            }
            AtomicInteger accepted = new AtomicInteger();
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                for (int i = 0; i < 1000; i++) {
                    if (log.record(entry(NOW, "<user" + i + "@example.com>"))) {
                        accepted.incrementAndGet();
                    }
                }
            });
            // the writer holds at most one batch (100) while it waits for the lock, the queue 10
            assertThat(accepted.get()).isLessThanOrEqualTo(110);
            assertThat(log.dropped()).isEqualTo(1000 - accepted.get());

            try (Statement statement = other.createStatement()) {
                statement.execute("ROLLBACK");
            }
            assertThat(log.flush(Duration.ofSeconds(40))).isTrue();
            assertThat(count(log)).isEqualTo(accepted.get());
        }
    }

    @Test
    void warnsOfDropsAtMostOnceAMinute() {
        Logger logger = (Logger) LoggerFactory.getLogger(MessageLog.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        TestClock clock = new TestClock(NOW);
        MessageLog log = MessageLog.start(database, MessageLog.Settings.defaults(Duration.ofDays(1)), clock);
        log.close(); // a closed log drops everything recorded: drops without waiting for a full queue
        try {
            for (int i = 0; i < 100; i++) {
                log.record(entry(NOW, "<a@example.com>"));
            }
            clock.advance(Duration.ofSeconds(59));
            log.record(entry(NOW, "<a@example.com>"));
            clock.advance(Duration.ofSeconds(1));
            log.record(entry(NOW, "<a@example.com>"));
            assertThat(log.dropped()).isEqualTo(102);
        } finally {
            logger.detachAppender(events);
        }
        assertThat(events.list).filteredOn(e -> e.getFormattedMessage().startsWith("message_log_dropping"))
                .extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly(
                        "message_log_dropping dropped_total=1 queue_capacity=100000 reason=\"the log is closed\"",
                        "message_log_dropping dropped_total=102 queue_capacity=100000 reason=\"the log is closed\"");
    }

    @Test
    void theRetentionTaskDeletesEntriesOlderThanTheRetention() {
        MessageLog.Settings settings = new MessageLog.Settings(1000, 100, Duration.ZERO, Duration.ofDays(30),
                Duration.ofMillis(100));
        TestClock clock = new TestClock(NOW);
        try (MessageLog log = MessageLog.start(database, settings, clock)) {
            log.record(entry(NOW.minus(31, ChronoUnit.DAYS), "<old@example.com>"));
            log.record(entry(NOW.minus(29, ChronoUnit.DAYS), "<recent@example.com>"));
            assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(log.search(LogQuery.newest(10)))
                    .extracting(LogEntry::recipient).containsExactly("<recent@example.com>"));

            clock.advance(Duration.ofDays(2));
            await().atMost(Duration.ofSeconds(10)).until(() -> count(log) == 0);
        }
    }

    @Test
    void aFullBatchOrAFlushIsWrittenWithoutWaitingOutTheBatchDelay() {
        MessageLog.Settings settings = new MessageLog.Settings(100_000, 100, Duration.ofMinutes(10), Duration.ofDays(30),
                Duration.ofHours(1));
        try (MessageLog log = MessageLog.start(database, settings, Clock.systemUTC())) {
            log.record(entry(NOW, "<first@example.com>"));
            // the writer has taken the first entry and sleeps while it collects the rest
            await().atMost(Duration.ofSeconds(10)).until(() -> log.pending() == 0);
            for (int i = 1; i < 100; i++) {
                log.record(entry(NOW.plusMillis(i), "<user" + i + "@example.com>"));
            }
            // the hundredth entry of the batch wakes it
            await().atMost(Duration.ofSeconds(10)).until(() -> log.written() == 100);
            log.record(entry(NOW, "<one-more@example.com>"));
            // and so does a flush: true means written within 10 s, not after the 10-minute delay
            assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(log.written()).isEqualTo(101);
            assertThat(log.batches()).isEqualTo(2);
        }
    }

    @Test
    void closeWritesWhatIsStillQueued() {
        MessageLog.Settings settings = new MessageLog.Settings(1000, 1000, Duration.ofSeconds(5), Duration.ofDays(30),
                Duration.ofHours(1));
        MessageLog log = MessageLog.start(database, settings, Clock.systemUTC());
        for (int i = 0; i < 500; i++) {
            log.record(entry(NOW, "<user" + i + "@example.com>"));
        }
        log.close();
        assertThat(log.dropped()).isZero();
        assertThat(log.record(entry(NOW, "<late@example.com>"))).isFalse();
        try (MessageLog reopened = MessageLog.start(database, settings, Clock.systemUTC())) {
            assertThat(count(reopened)).isEqualTo(500);
        }
    }

    @Test
    void aStoreThatFailsIsRetriedUntilItRecovers() throws Exception {
        MessageLog.Settings settings = new MessageLog.Settings(1000, 100, Duration.ZERO, Duration.ofDays(30), Duration.ofHours(1));
        try (MessageLog log = MessageLog.start(database, settings, Clock.systemUTC())) {
            // a table the writer cannot write to until it is put back, as a full disk or a lost server would
            database.write("hiding the table", connection -> {
                try (Statement statement = connection.createStatement()) {
                    return statement.executeUpdate("ALTER TABLE message_log RENAME TO message_log_away");
                }
            });
            log.record(entry(NOW, "<a@example.com>"));
            assertThat(log.flush(Duration.ofMillis(500))).isFalse();
            database.write("restoring the table", connection -> {
                try (Statement statement = connection.createStatement()) {
                    return statement.executeUpdate("ALTER TABLE message_log_away RENAME TO message_log");
                }
            });
            assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(count(log)).isEqualTo(1);
            assertThat(log.dropped()).isZero();
        }
    }
}
