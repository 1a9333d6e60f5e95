package net.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The {@code nodes} table (SPEC §6): each node's last heartbeat, with what it reported then. The
 * embedded store holds the one node that uses it; a PostgreSQL store holds every node of the
 * cluster. A node is {@linkplain Node#stale stale} once it has missed {@value #STALE_AFTER_BEATS}
 * of its own heartbeats; a node silent for {@link #FORGET_AFTER} is removed from the table by the
 * next heartbeat of any node, so that machines taken out of a cluster leave the list by themselves.
 */
public final class NodeTable {

    /** Heartbeats a node may miss before it is listed as stale. */
    public static final int STALE_AFTER_BEATS = 3;
    /** How long a silent node stays listed (as stale). */
    public static final Duration FORGET_AFTER = Duration.ofDays(7);

    /**
     * One node as its last heartbeat described it.
     *
     * @param interval  how often the node writes its heartbeat
     * @param sessions  SMTP sessions open on the node
     * @param queueSize messages in the node's queue (its own spool)
     * @param degraded  what runs degraded on the node ({@code cache: degraded}); empty when nothing
     */
    public record Node(String name, String version, Instant startedAt, Instant heartbeatAt, Duration interval,
                       long sessions, long queueSize, List<String> degraded) {

        public Node {
            degraded = List.copyOf(degraded);
        }

        /** Whether the node has missed {@value #STALE_AFTER_BEATS} heartbeats at {@code now}. */
        public boolean stale(Instant now) {
            return heartbeatAt.plus(interval.multipliedBy(STALE_AFTER_BEATS)).isBefore(now);
        }

        /** Whole seconds since the last heartbeat at {@code now} (0 for a clock a little behind the writer's). */
        public long ageSeconds(Instant now) {
            return Math.max(0, Duration.between(heartbeatAt, now).toSeconds());
        }
    }

    private static final String COLUMNS = "name, version, started_at, heartbeat_at, interval_ms, sessions, queue_size, degraded";

    private final Database database;

    public NodeTable(Database database) {
        this.database = database;
    }

    /**
     * Writes the node's heartbeat, replacing its row, and removes nodes silent for {@link #FORGET_AFTER}.
     *
     * @return the row that was there before, if the node name had one: a row with another start time
     *         and a fresh heartbeat means a second node runs under the same name
     * @throws StoreException if the store fails
     */
    public Optional<Node> beat(Node node) {
        return database.write("writing the heartbeat of node " + node.name(), connection -> {
            Optional<Node> before = find(connection, node.name());
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO nodes (" + COLUMNS + ") "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, "
                    + "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
                    + "interval_ms = excluded.interval_ms, sessions = excluded.sessions, "
                    + "queue_size = excluded.queue_size, degraded = excluded.degraded")) {
                upsert.setString(1, node.name());
                upsert.setString(2, node.version());
                upsert.setLong(3, MessageLog.millis(node.startedAt()));
                upsert.setLong(4, MessageLog.millis(node.heartbeatAt()));
                upsert.setLong(5, node.interval().toMillis());
                upsert.setLong(6, node.sessions());
                upsert.setLong(7, node.queueSize());
                upsert.setString(8, String.join("\n", node.degraded()));
                upsert.executeUpdate();
            }
            try (PreparedStatement forget = connection.prepareStatement("DELETE FROM nodes WHERE heartbeat_at < ?")) {
                forget.setLong(1, MessageLog.millis(node.heartbeatAt().minus(FORGET_AFTER)));
                forget.executeUpdate();
            }
            return before;
        });
    }

    /**
     * Every node, by name.
     *
     * @throws StoreException if the store fails
     */
    public List<Node> all() {
        return database.read("listing the nodes", connection -> {
            List<Node> nodes = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM nodes ORDER BY name");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    nodes.add(node(rows));
                }
            }
            return List.copyOf(nodes);
        });
    }

    private static Optional<Node> find(Connection connection, String name) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM nodes WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(node(rows)) : Optional.empty();
            }
        }
    }

    private static Node node(ResultSet rows) throws SQLException {
        String degraded = rows.getString(8);
        return new Node(rows.getString(1), rows.getString(2), Instant.ofEpochMilli(rows.getLong(3)),
                Instant.ofEpochMilli(rows.getLong(4)), Duration.ofMillis(rows.getLong(5)), rows.getLong(6),
                rows.getLong(7), degraded.isEmpty() ? List.of() : Arrays.asList(degraded.split("\n")));
    }
}
