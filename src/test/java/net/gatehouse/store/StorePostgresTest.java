package net.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL store (clusters), against the server at 127.0.0.1:5432 (DESIGN.md "Tests"), in a
 * database of its own created for the run and dropped after it. With no server there, the tests
 * fail saying so: {@code ./run-tests} starts one when nothing answers on the port.
 */
class StorePostgresTest extends StoreContract {

    private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
    private static final String ADMIN = SERVER + "postgres?user=postgres&connectTimeout=3";

    private static String name;
    private static Database database;

    @BeforeAll
    static void createDatabase() throws SQLException {
        name = "gatehouse_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        try (Connection admin = DriverManager.getConnection(ADMIN); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            name = null;
            throw new IllegalStateException("the PostgreSQL store's tests need a server at 127.0.0.1:5432 that "
                    + "trusts the user postgres (./run-tests starts one; apt-get install postgresql): "
                    + e.getMessage(), e);
        }
        database = Database.open(SERVER + name + "?user=postgres", Path.of("unused"));
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        if (database != null) {
            database.close();
        }
        if (name != null) {
            try (Connection admin = DriverManager.getConnection(ADMIN); Statement statement = admin.createStatement()) {
                statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    @BeforeEach
    void empty() {
        database.write("emptying the test database", connection -> {
            try (Statement statement = connection.createStatement()) {
                return statement.executeUpdate("TRUNCATE valid_recipient, store_revision, message_log, nodes");
            }
        });
    }

    @Override
    Database database() {
        return database;
    }

    @Test
    void runsThePostgresqlMigrations() {
        assertThat(database.dialect()).isEqualTo(Database.Dialect.POSTGRESQL);
        String script = database.read("reading the schema history", connection -> {
            try (Statement statement = connection.createStatement();
                 var rows = statement.executeQuery("SELECT script FROM flyway_schema_history WHERE success")) {
                rows.next();
                return rows.getString(1);
            }
        });
        assertThat(script).isEqualTo("V1__valid_lists_and_message_log.sql");
    }
}
