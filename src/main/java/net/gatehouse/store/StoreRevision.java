package net.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code store_revision} rows: one counter per kind of data, bumped in the transaction of every
 * change, so that every node (and every process on the embedded store) notices a change by polling
 * a tiny row instead of re-reading the data. Counters only grow; rows are never deleted.
 */
final class StoreRevision {

    // One statement for both dialects: SQLite (3.24+) and PostgreSQL share the upsert syntax.
    private static final String BUMP = "INSERT INTO store_revision (name, revision) VALUES (?, 1) "
            + "ON CONFLICT (name) DO UPDATE SET revision = store_revision.revision + 1";

    private StoreRevision() {
    }

    static void bump(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(BUMP)) {
            statement.setString(1, name);
            statement.executeUpdate();
        }
    }

    /** The revision of one row; 0 if it was never bumped. */
    static long read(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT revision FROM store_revision WHERE name = ?")) {
            statement.setString(1, name);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getLong(1) : 0;
            }
        }
    }

    /** The revisions of the rows named {@code prefix + suffix}, by suffix. */
    static Map<String, Long> readAll(Connection connection, String prefix) throws SQLException {
        Map<String, Long> revisions = new HashMap<>();
        // a range rather than LIKE: the prefix needs no escaping and the primary key index serves it
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT name, revision FROM store_revision WHERE name >= ? AND name < ?")) {
            statement.setString(1, prefix);
            statement.setString(2, prefix.substring(0, prefix.length() - 1)
                    + (char) (prefix.charAt(prefix.length() - 1) + 1));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    revisions.put(rows.getString(1).substring(prefix.length()), rows.getLong(2));
                }
            }
        }
        return revisions;
    }
}
