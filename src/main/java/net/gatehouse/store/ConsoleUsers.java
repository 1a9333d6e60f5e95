package net.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The console's users, their sessions and their API tokens, in the store so that every node of a
 * cluster knows them. Secrets are never stored: passwords as slow salted hashes made by the caller,
 * session and token values as SHA-256 hashes (they are long random strings, so a fast hash suffices).
 * Changes to users and tokens are written with their audit entries; sessions are not audited
 * (logins are logged instead).
 */
public final class ConsoleUsers {

    /** A user; {@code role} is {@code admin} or {@code viewer}. */
    public record User(String name, String role, String passwordHash, Instant createdAt) {
    }

    public record Session(String idHash, String userName, String csrf, Instant createdAt, Instant expiresAt) {
    }

    public record Token(String id, String userName, String label, Instant createdAt, Instant lastUsedAt) {
    }

    /** How stale {@code last_used_at} may get before an API call writes it again. */
    private static final Duration TOUCH_INTERVAL = Duration.ofMinutes(1);

    private static final String ADMIN = "admin";

    private final Database database;

    public ConsoleUsers(Database database) {
        this.database = database;
    }

    // ---- users

    public List<User> users() {
        return database.read("reading the console users", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT name, role, password_hash, created_at FROM console_user ORDER BY name");
                 ResultSet rows = select.executeQuery()) {
                List<User> users = new ArrayList<>();
                while (rows.next()) {
                    users.add(user(rows));
                }
                return List.copyOf(users);
            }
        });
    }

    public Optional<User> user(String name) {
        return database.read("reading a console user", connection -> user(connection, name));
    }

    /** Adds a user; false if the name is taken. */
    public boolean add(String name, String role, String passwordHash, Instant at, Actor actor) {
        return database.write("adding a console user", connection -> {
            if (user(connection, name).isPresent()) {
                return false;
            }
            insertUser(connection, name, role, passwordHash, at, actor);
            return true;
        });
    }

    /** Adds the first user if there is no user at all; false if there is one already. */
    public boolean addFirst(String name, String role, String passwordHash, Instant at, Actor actor) {
        return database.write("adding the first console user", connection -> {
            try (PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM console_user");
                 ResultSet rows = count.executeQuery()) {
                rows.next();
                if (rows.getLong(1) > 0) {
                    return false;
                }
            }
            insertUser(connection, name, role, passwordHash, at, actor);
            return true;
        });
    }

    /** Sets a user's password and ends their sessions; false if there is no such user. */
    public boolean setPassword(String name, String passwordHash, Instant at, Actor actor) {
        return database.write("changing a password", connection -> {
            int changed;
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE console_user SET password_hash = ? WHERE name = ?")) {
                update.setString(1, passwordHash);
                update.setString(2, name);
                changed = update.executeUpdate();
            }
            if (changed == 0) {
                return false;
            }
            deleteSessionsOf(connection, name);
            AuditLog.record(connection, at, actor, "user.password", name, "", "(password changed)");
            return true;
        });
    }

    /** What became of a change to a user. */
    public enum Change {
        DONE,
        NO_SUCH_USER,
        /** Refused: it would leave no administrator. */
        LAST_ADMIN
    }

    /** A user name: letters, digits and {@code . _ @ + -}, 1 to 64, starting with a letter or digit. */
    public static boolean validName(String name) {
        return NAME.matcher(name).matches();
    }

    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");

    /** Changes a user's role, unless that would make the last administrator a viewer. */
    public Change setRole(String name, String role, Instant at, Actor actor) {
        return database.write("changing a role", connection -> {
            Optional<User> before = user(connection, name);
            if (before.isEmpty()) {
                return Change.NO_SUCH_USER;
            }
            if (!role.equals(ADMIN) && isLastAdmin(connection, before.get())) {
                return Change.LAST_ADMIN;
            }
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE console_user SET role = ? WHERE name = ?")) {
                update.setString(1, role);
                update.setString(2, name);
                update.executeUpdate();
            }
            AuditLog.record(connection, at, actor, "user.role", name, "role: " + before.get().role(), "role: " + role);
            return Change.DONE;
        });
    }

    /** Removes a user with their sessions and tokens, unless they are the last administrator. */
    public Change remove(String name, Instant at, Actor actor) {
        return database.write("removing a console user", connection -> {
            Optional<User> before = user(connection, name);
            if (before.isEmpty()) {
                return Change.NO_SUCH_USER;
            }
            if (isLastAdmin(connection, before.get())) {
                return Change.LAST_ADMIN;
            }
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM console_user WHERE name = ?")) {
                delete.setString(1, name);
                delete.executeUpdate();
            }
            deleteSessionsOf(connection, name);
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM api_token WHERE user_name = ?")) {
                delete.setString(1, name);
                delete.executeUpdate();
            }
            AuditLog.record(connection, at, actor, "user.remove", name, "role: " + before.get().role(), "");
            return Change.DONE;
        });
    }

    /**
     * Whether {@code user} is the only administrator. Inside the write transaction, with the
     * administrators' rows locked on PostgreSQL (SQLite's write transaction excludes other writers
     * already), so that two nodes demoting the last two administrators at once cannot both succeed.
     */
    private boolean isLastAdmin(Connection connection, User user) throws SQLException {
        if (!user.role().equals(ADMIN)) {
            return false;
        }
        String lock = database.dialect() == Database.Dialect.POSTGRESQL ? " FOR UPDATE" : "";
        int admins = 0;
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT name FROM console_user WHERE role = 'admin'" + lock);
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                admins++;
            }
        }
        return admins <= 1;
    }

    // ---- sessions

    public void createSession(Session session) {
        database.write("starting a console session", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO console_session "
                    + "(id_hash, user_name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")) {
                insert.setString(1, session.idHash());
                insert.setString(2, session.userName());
                insert.setString(3, session.csrf());
                insert.setLong(4, session.createdAt().toEpochMilli());
                insert.setLong(5, session.expiresAt().toEpochMilli());
                insert.executeUpdate();
            }
            return null;
        });
    }

    /** The session with that hash if it has not expired at {@code now}. */
    public Optional<Session> session(String idHash, Instant now) {
        return database.read("reading a console session", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT id_hash, user_name, csrf, "
                    + "created_at, expires_at FROM console_session WHERE id_hash = ? AND expires_at > ?")) {
                select.setString(1, idHash);
                select.setLong(2, now.toEpochMilli());
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new Session(rows.getString(1), rows.getString(2), rows.getString(3),
                            Instant.ofEpochMilli(rows.getLong(4)), Instant.ofEpochMilli(rows.getLong(5))));
                }
            }
        });
    }

    public void deleteSession(String idHash) {
        database.write("ending a console session", connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM console_session WHERE id_hash = ?")) {
                delete.setString(1, idHash);
                delete.executeUpdate();
            }
            return null;
        });
    }

    /** Deletes sessions that expired before {@code now}; returns how many. */
    public int purgeExpiredSessions(Instant now) {
        return database.write("purging expired console sessions", connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM console_session WHERE expires_at <= ?")) {
                delete.setLong(1, now.toEpochMilli());
                return delete.executeUpdate();
            }
        });
    }

    // ---- API tokens

    public void createToken(Token token, String tokenHash, Actor actor) {
        database.write("creating an API token", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO api_token "
                    + "(id, user_name, label, token_hash, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, token.id());
                insert.setString(2, token.userName());
                insert.setString(3, token.label());
                insert.setString(4, tokenHash);
                insert.setLong(5, token.createdAt().toEpochMilli());
                insert.setLong(6, token.lastUsedAt().toEpochMilli());
                insert.executeUpdate();
            }
            AuditLog.record(connection, token.createdAt(), actor, "token.create", token.id(), "",
                    "user: " + token.userName() + ", label: " + token.label());
            return null;
        });
    }

    public List<Token> tokens() {
        return database.read("reading the API tokens", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT id, user_name, label, created_at, "
                    + "last_used_at FROM api_token ORDER BY created_at, id");
                 ResultSet rows = select.executeQuery()) {
                List<Token> tokens = new ArrayList<>();
                while (rows.next()) {
                    tokens.add(token(rows));
                }
                return List.copyOf(tokens);
            }
        });
    }

    /** The token with that hash, noting its use (at most once a {@link #TOUCH_INTERVAL}). */
    public Optional<Token> useToken(String tokenHash, Instant now) {
        Optional<Token> token = database.read("reading an API token", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT id, user_name, label, created_at, "
                    + "last_used_at FROM api_token WHERE token_hash = ?")) {
                select.setString(1, tokenHash);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(token(rows)) : Optional.<Token>empty();
                }
            }
        });
        if (token.isPresent() && token.get().lastUsedAt().plus(TOUCH_INTERVAL).isBefore(now)) {
            database.write("noting the use of an API token", connection -> {
                try (PreparedStatement update = connection.prepareStatement(
                        "UPDATE api_token SET last_used_at = ? WHERE id = ?")) {
                    update.setLong(1, now.toEpochMilli());
                    update.setString(2, token.get().id());
                    return update.executeUpdate();
                }
            });
        }
        return token;
    }

    /** Revokes a token; false if there is no such token. */
    public boolean revokeToken(String id, Instant at, Actor actor) {
        return database.write("revoking an API token", connection -> {
            int deleted;
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM api_token WHERE id = ?")) {
                delete.setString(1, id);
                deleted = delete.executeUpdate();
            }
            if (deleted > 0) {
                AuditLog.record(connection, at, actor, "token.revoke", id, "", "");
            }
            return deleted > 0;
        });
    }

    private static Optional<User> user(Connection connection, String name) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT name, role, password_hash, created_at FROM console_user WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(user(rows)) : Optional.empty();
            }
        }
    }

    private static void insertUser(Connection connection, String name, String role, String passwordHash, Instant at,
                                   Actor actor) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO console_user (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, name);
            insert.setString(2, role);
            insert.setString(3, passwordHash);
            insert.setLong(4, at.toEpochMilli());
            insert.executeUpdate();
        }
        AuditLog.record(connection, at, actor, "user.add", name, "", "role: " + role);
    }

    private static User user(ResultSet rows) throws SQLException {
        return new User(rows.getString(1), rows.getString(2), rows.getString(3), Instant.ofEpochMilli(rows.getLong(4)));
    }

    private static Token token(ResultSet rows) throws SQLException {
        return new Token(rows.getString(1), rows.getString(2), rows.getString(3),
                Instant.ofEpochMilli(rows.getLong(4)), Instant.ofEpochMilli(rows.getLong(5)));
    }

    private static void deleteSessionsOf(Connection connection, String name) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM console_session WHERE user_name = ?")) {
            delete.setString(1, name);
            delete.executeUpdate();
        }
    }
}
