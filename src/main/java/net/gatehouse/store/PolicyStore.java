package net.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * The console's part of the policy in the store: one YAML document, the body of a {@code policy}
 * section (validation and meaning belong to {@code config.ConfigLoader#parsePolicy}; this class
 * only keeps the text). Every change is compared against the revision it was based on, so that
 * two administrators editing at once cannot overwrite each other without noticing, and is written
 * with its audit entry in one transaction.
 */
public final class PolicyStore {

    /** The {@code store_revision} row of the policy document. */
    static final String REVISION = "policy";

    /**
     * The document as stored.
     *
     * @param revision  0 before the first change
     * @param updatedBy empty before the first change
     */
    public record Stored(String document, long revision, Instant updatedAt, String updatedBy) {
    }

    /** The document changed since the revision a change was based on. */
    public static final class ConcurrentChangeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConcurrentChangeException(long expected, long actual) {
            super("the policy was changed by someone else meanwhile (revision " + actual + ", expected "
                    + expected + "); reload and try again");
        }
    }

    private final Database database;

    public PolicyStore(Database database) {
        this.database = database;
    }

    public Stored read() {
        return database.read("reading the policy", PolicyStore::read);
    }

    /** The revision alone: a single tiny row, cheap enough to poll every second. */
    public long revision() {
        return database.read("reading the revision of the policy", connection -> StoreRevision.read(connection, REVISION));
    }

    /**
     * Replaces the document, if it is still at {@code basedOn}.
     *
     * @param action, target what the change was, for the audit log ({@code settings.change}, {@code example.com})
     * @return the new revision
     * @throws ConcurrentChangeException if the revision is no longer {@code basedOn}; nothing is written
     */
    public long write(String document, long basedOn, Instant at, Actor actor, String action, String target,
                      String oldValue, String newValue) {
        return database.write("changing the policy", connection -> {
            Stored current = read(connection);
            if (current.revision() != basedOn) {
                throw new ConcurrentChangeException(basedOn, current.revision());
            }
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO policy_document "
                    + "(id, document, updated_at, updated_by) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                    + "SET document = excluded.document, updated_at = excluded.updated_at, "
                    + "updated_by = excluded.updated_by")) {
                upsert.setString(1, document);
                upsert.setLong(2, at.toEpochMilli());
                upsert.setString(3, actor.name());
                upsert.executeUpdate();
            }
            StoreRevision.bump(connection, REVISION);
            AuditLog.record(connection, at, actor, action, target, oldValue, newValue);
            return StoreRevision.read(connection, REVISION);
        });
    }

    private static Stored read(Connection connection) throws SQLException {
        long revision = StoreRevision.read(connection, REVISION);
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT document, updated_at, updated_by FROM policy_document WHERE id = 1");
             ResultSet rows = select.executeQuery()) {
            if (!rows.next()) {
                return new Stored("{}\n", revision, Instant.EPOCH, "");
            }
            return new Stored(rows.getString(1), revision, Instant.ofEpochMilli(rows.getLong(2)), rows.getString(3));
        }
    }
}
