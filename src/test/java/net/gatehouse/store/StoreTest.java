package net.gatehouse.store;

import net.gatehouse.testing.TestActor;
import java.time.Instant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store: a SQLite file in data_dir, and everything {@link StoreContract} asks of a store. */
class StoreTest extends StoreContract {

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

    @Override
    Database database() {
        return database;
    }

    private static String pragma(Connection connection, String name) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("PRAGMA " + name)) {
            rows.next();
            return rows.getString(1);
        }
    }

    @Test
    void isAWriteAheadLoggedFileInDataDirSyncedAtEveryCommit() {
        assertThat(database.dialect()).isEqualTo(Database.Dialect.SQLITE);
        assertThat(dataDir.resolve("gatehouse.db")).isRegularFile();
        for (boolean write : new boolean[] {false, true}) {
            Database.Work<List<String>> pragmas = connection -> List.of(pragma(connection, "journal_mode"),
                    pragma(connection, "synchronous"), pragma(connection, "busy_timeout"), pragma(connection, "foreign_keys"));
            List<String> values = write ? database.write("reading pragmas", pragmas) : database.read("reading pragmas", pragmas);
            assertThat(values).containsExactly("wal", "2", "30000", "1"); // synchronous 2 = FULL
        }
    }

    @Test
    void migrationsApplyOnceAndReopeningChangesNothing() {
        store().add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        database.close();
        database = Database.open(Database.EMBEDDED, dataDir);
        String history = database.read("reading the schema history", connection -> {
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT version, success FROM flyway_schema_history "
                         + "WHERE version IS NOT NULL ORDER BY installed_rank")) {
                StringBuilder applied = new StringBuilder();
                while (rows.next()) {
                    applied.append(rows.getString(1)).append(' ').append(rows.getBoolean(2)).append(';');
                }
                return applied.toString();
            }
        });
        assertThat(history).isEqualTo("1 true;2 true;3 true;4 true;5 true;6 true;");
        assertThat(store().count("example.com")).isEqualTo(1);
    }

    @Test
    void readsCannotWrite() {
        assertThatThrownBy(() -> database.read("writing where one must not", connection -> {
            try (Statement statement = connection.createStatement()) {
                return statement.executeUpdate("INSERT INTO store_revision (name, revision) VALUES ('x', 1)");
            }
        })).isInstanceOf(StoreException.class).hasMessageContaining("writing where one must not in the embedded store");
    }

    @Test
    void aWriteThatFailsIsRolledBackWhole() {
        assertThatThrownBy(() -> database.write("a failing change", connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("INSERT INTO valid_recipient (domain, entry) VALUES ('example.com', 'a@example.com')");
                throw new IllegalStateException("changed my mind");
            }
        })).isInstanceOf(IllegalStateException.class);
        assertThat(store().count("example.com")).isZero();
        store().add("example.com", List.of("b@example.com"), TestActor.TEST, Instant.now()); // the write connection is usable again
        assertThat(store().count("example.com")).isEqualTo(1);
    }

    @Test
    void aWriteWaitsForAnotherProcessesWriteInsteadOfFailing() throws Exception {
        // another process (a CLI import) holding SQLite's write lock
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("gatehouse.db"))) {
            try (Statement statement = other.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");
                statement.executeUpdate("INSERT INTO valid_recipient (domain, entry) VALUES ('example.com', 'other@example.com')");
            }
            CompletableFuture<Integer> ours = CompletableFuture.supplyAsync(
                    () -> store().add("example.com", List.of("ours@example.com"), TestActor.TEST, Instant.now()));
            Thread.sleep(300); // time for our write to fail or finish, which it must not while the lock is held
            assertThat(ours).isNotDone();
            assertThat(store().count("example.com")).isZero(); // readers are not blocked by the writer
            try (Statement statement = other.createStatement()) {
                statement.execute("COMMIT");
            }
            assertThat(ours.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(export(store(), "example.com")).containsExactly("other@example.com", "ours@example.com");
    }

    @Test
    void createsDataDirWhenMissing() {
        Path nested = dataDir.resolve("a/b");
        try (Database other = Database.open(Database.EMBEDDED, nested)) {
            assertThat(other.dialect()).isEqualTo(Database.Dialect.SQLITE);
        }
        assertThat(Files.exists(nested.resolve("gatehouse.db"))).isTrue();
    }

    @Test
    void refusesAStoreThatIsNeitherEmbeddedNorPostgresql() {
        assertThatThrownBy(() -> Database.open("jdbc:mysql://user:secret@db/gatehouse", dataDir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("secret");
    }
}
