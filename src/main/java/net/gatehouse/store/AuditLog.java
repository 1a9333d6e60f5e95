package net.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit log: every change made from the console, the API or the CLI, with who made it, when,
 * and the value before and after. A change and its audit entry are written in one transaction
 * ({@link #record}), so there is never a change without its entry, nor an entry for a change that
 * was rolled back.
 */
public final class AuditLog {

    /** Entries returned by one {@link #recent} call at most. */
    public static final int MAX_ENTRIES = 1000;

    /**
     * One change.
     *
     * @param actor    the user name (console, API), the operating-system user (command line; {@code cli}
     *                 in entries older than the door), or {@code system} (the gateway itself)
     * @param door     console, api, cli or gateway ({@link Actor.Door#word}); empty in old entries
     * @param action   what was done, such as {@code domain.add} or {@code settings.change}
     * @param target   what it was done to: a domain, an address, a user name
     * @param oldValue the value before, as text (YAML for policy parts); empty if there was none
     * @param newValue the value after; empty if there is none any more
     */
    public record Entry(long id, Instant at, String actor, String door, String action, String target, String oldValue,
                        String newValue) {
    }

    private final Database database;

    public AuditLog(Database database) {
        this.database = database;
    }

    /** Writes an entry inside the caller's write transaction. */
    static void record(Connection connection, Instant at, Actor actor, String action, String target,
                       String oldValue, String newValue) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_log "
                + "(at, actor, door, action, target, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            insert.setLong(1, at.toEpochMilli());
            insert.setString(2, actor.name());
            insert.setString(3, actor.door().word());
            insert.setString(4, action);
            insert.setString(5, target);
            insert.setString(6, oldValue);
            insert.setString(7, newValue);
            insert.executeUpdate();
        }
    }

    /**
     * Records a change that has no store data of its own (a queue operation): it cannot share a
     * transaction with the change, so the caller records it right after the change succeeded.
     */
    public void record(Instant at, Actor actor, String action, String target, String oldValue, String newValue) {
        database.write("writing the audit log",
                connection -> {
                    record(connection, at, actor, action, target, oldValue, newValue);
                    return null;
                });
    }

    /** The newest entries first, at most {@code limit} (capped at {@link #MAX_ENTRIES}). */
    public List<Entry> recent(int limit) {
        int capped = Math.max(1, Math.min(limit, MAX_ENTRIES));
        return database.read("reading the audit log", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT id, at, actor, door, action, target, "
                    + "old_value, new_value FROM audit_log ORDER BY id DESC LIMIT ?")) {
                select.setInt(1, capped);
                try (ResultSet rows = select.executeQuery()) {
                    List<Entry> entries = new ArrayList<>();
                    while (rows.next()) {
                        entries.add(new Entry(rows.getLong(1), Instant.ofEpochMilli(rows.getLong(2)),
                                rows.getString(3), rows.getString(4), rows.getString(5), rows.getString(6),
                                rows.getString(7), rows.getString(8)));
                    }
                    return List.copyOf(entries);
                }
            }
        });
    }
}
