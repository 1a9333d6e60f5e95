package net.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A node's heartbeat on the embedded store: it beats, survives a store that fails, and says so once. */
class HeartbeatTest {

    private static final Duration INTERVAL = Duration.ofMillis(50);
    /** Finer than the table's milliseconds, as the system clock gives it. */
    private static final Instant STARTED = Instant.parse("2026-11-02T09:00:00.123456789Z");

    @TempDir
    Path dataDir;
    private Database database;
    private NodeTable nodes;
    private final Logger logger = (Logger) LoggerFactory.getLogger(Heartbeat.class);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private Level level;

    @BeforeEach
    void open() {
        database = Database.open(Database.EMBEDDED, dataDir);
        nodes = new NodeTable(database);
        events.start();
        logger.addAppender(events);
        // at INFO whatever an earlier test in this JVM left (the command line's tests set WARN)
        level = logger.getLevel();
        logger.setLevel(Level.INFO);
    }

    @AfterEach
    void close() {
        logger.detachAppender(events);
        logger.setLevel(level);
        database.close();
    }

    /** The node {@code name} as it is at each beat: the beat's number as its session count. */
    private static java.util.function.Supplier<NodeTable.Node> status(String name, Instant startedAt, AtomicInteger beats) {
        return () -> {
            int beat = beats.incrementAndGet();
            return new NodeTable.Node(name, "test", startedAt, STARTED.plusSeconds(beat), INTERVAL, beat, 0,
                    List.of("cache: degraded"));
        };
    }

    private List<String> logged(String event) {
        return events.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith(event)).toList();
    }

    @Test
    void writesTheNodesRowAgainAtEveryBeat() {
        AtomicInteger beats = new AtomicInteger();
        try (Heartbeat heartbeat = Heartbeat.start(nodes, status("gw1", STARTED, beats), INTERVAL)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> nodes.all().stream().anyMatch(n -> n.sessions() >= 3));
        }
        NodeTable.Node row = nodes.all().getFirst();
        assertThat(row.name()).isEqualTo("gw1");
        assertThat(row.startedAt()).isEqualTo(STARTED.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(row.heartbeatAt()).isEqualTo(STARTED.plusSeconds(row.sessions()).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(row.degraded()).containsExactly("cache: degraded");
        assertThat(nodes.all()).hasSize(1);
        assertThat(logged("node_name_shared")).isEmpty(); // its own row, read back in milliseconds
    }

    @Test
    void aFailedWriteIsLoggedOnceAndTriedAgainAtTheNextBeatUntilTheStoreIsBack() {
        execute("ALTER TABLE nodes RENAME TO nodes_away"); // every heartbeat write fails from now on
        AtomicInteger beats = new AtomicInteger();
        try (Heartbeat heartbeat = Heartbeat.start(nodes, status("gw1", STARTED, beats), INTERVAL)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> beats.get() >= 5);
            assertThat(logged("node_heartbeat_failed")).hasSize(1).first().asString().contains("node=gw1", "nodes");

            execute("ALTER TABLE nodes_away RENAME TO nodes");
            await().atMost(Duration.ofSeconds(20)).until(() -> !nodes.all().isEmpty());
            await().atMost(Duration.ofSeconds(20)).until(() -> logged("node_heartbeat_recovered").size() == 1);
        }
        assertThat(logged("node_heartbeat_failed")).hasSize(1);
    }

    @Test
    void aSecondNodeWritingUnderTheSameNameIsReportedOnceEach() {
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        try (Heartbeat one = Heartbeat.start(nodes, status("gw1", STARTED, first), INTERVAL);
             Heartbeat other = Heartbeat.start(nodes, status("gw1", STARTED.plusSeconds(1), second), INTERVAL)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> first.get() >= 10 && second.get() >= 10);
        }
        assertThat(logged("node_name_shared")).isNotEmpty().hasSizeLessThanOrEqualTo(2)
                .allSatisfy(line -> assertThat(line).contains("node=gw1", "give each node its own"));
    }

    @Test
    void aNodeRestartedUnderItsNameIsNotTakenForASecondNode() {
        AtomicInteger before = new AtomicInteger();
        try (Heartbeat previousRun = Heartbeat.start(nodes, status("gw1", STARTED, before), INTERVAL)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> !nodes.all().isEmpty());
        }
        AtomicInteger after = new AtomicInteger();
        try (Heartbeat restarted = Heartbeat.start(nodes, status("gw1", STARTED.plusSeconds(60), after), INTERVAL)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> after.get() >= 3);
        }
        assertThat(logged("node_name_shared")).isEmpty();
    }

    private void execute(String sql) {
        database.write(sql, connection -> {
            try (Statement statement = connection.createStatement()) {
                return statement.executeUpdate(sql);
            }
        });
    }
}
