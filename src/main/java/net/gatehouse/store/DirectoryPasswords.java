package net.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * The bind passwords of the directories added from the console or the API (SPEC §8), which have no
 * {@code bind_password_file} on every node to read them from. Write-only for administrators: a
 * password is set, replaced or removed, never shown; its audit entries say that it changed, never
 * what it is. Only the directory's own connection reads it ({@link #read}).
 */
public final class DirectoryPasswords {

    /** What an audit entry shows in place of a password that is set. */
    public static final String HIDDEN = "(set, not shown)";

    private final Database database;

    public DirectoryPasswords(Database database) {
        this.database = database;
    }

    /** The password set for the directory, if any. */
    public Optional<String> read(String directory) {
        return database.read("reading the bind password of directory " + directory, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT password FROM directory_password WHERE directory = ?")) {
                select.setString(1, directory);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
                }
            }
        });
    }

    /** Whether a password is set for the directory (for the console's "set" / "not set"). */
    public boolean isSet(String directory) {
        return read(directory).isPresent();
    }

    /** Sets or replaces the directory's password, audited as {@code directory.password} without it. */
    public void set(String directory, String password, Instant at, Actor actor) {
        if (password.isEmpty()) {
            throw new IllegalArgumentException("an empty password: remove it instead");
        }
        database.write("setting the bind password of directory " + directory, connection -> {
            boolean existed = exists(connection, directory);
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO directory_password "
                    + "(directory, password, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (directory) "
                    + "DO UPDATE SET password = excluded.password, updated_at = excluded.updated_at, "
                    + "updated_by = excluded.updated_by")) {
                upsert.setString(1, directory);
                upsert.setString(2, password);
                upsert.setLong(3, at.toEpochMilli());
                upsert.setString(4, actor.name());
                upsert.executeUpdate();
            }
            AuditLog.record(connection, at, actor, "directory.password", directory, existed ? HIDDEN : "",
                    existed ? "(replaced, not shown)" : HIDDEN);
            return null;
        });
    }

    /** Removes the directory's password, if it had one; audited when it had. */
    public void remove(String directory, Instant at, Actor actor) {
        database.write("removing the bind password of directory " + directory, connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM directory_password WHERE directory = ?")) {
                delete.setString(1, directory);
                if (delete.executeUpdate() > 0) {
                    AuditLog.record(connection, at, actor, "directory.password", directory, HIDDEN, "");
                }
            }
            return null;
        });
    }

    private static boolean exists(Connection connection, String directory) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM directory_password WHERE directory = ?")) {
            select.setString(1, directory);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }
}
