package net.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import net.gatehouse.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * SPEC §6: the store's password comes from {@code GATEHOUSE_STORE_PASSWORD} or from the file named
 * by {@code GATEHOUSE_STORE_PASSWORD_FILE}, never from the configuration file, and appears in no
 * log line and no message. Against a PostgreSQL server of the test's own that asks for a password
 * (the machine's trusts every local user).
 */
class StorePasswordIT {

    private static final String SECRET = "s3cret-Horse-Battery";

    @TempDir
    static Path directory;
    static TestPostgres postgres;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.withPassword(SECRET);
    }

    @AfterAll
    static void stop() {
        postgres.close();
    }

    @Test
    void connectsWithThePasswordFromTheEnvironment() {
        try (Database database = Database.open(postgres.jdbcUrl(), directory, Map.of(StorePassword.VARIABLE, SECRET))) {
            assertThat(database.degraded()).isFalse();
            assertThat(database.toString()).isEqualTo("the PostgreSQL store 127.0.0.1:" + postgres.port() + "/gatehouse");
        }
    }

    @Test
    void connectsWithThePasswordFromAFile() throws Exception {
        Path file = directory.resolve("store.secret");
        Files.writeString(file, SECRET + "\n");
        try (Database database = Database.open(postgres.jdbcUrl(), directory,
                Map.of(StorePassword.FILE_VARIABLE, file.toString()))) {
            assertThat(database.dialect()).isEqualTo(Database.Dialect.POSTGRESQL);
        }
    }

    @Test
    void aWrongPasswordFailsWithoutShowingOneAnywhere() {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logged);
        try {
            assertThatThrownBy(() -> Database.open(postgres.jdbcUrl(), directory,
                    Map.of(StorePassword.VARIABLE, "wrong-" + SECRET)))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("password authentication failed")
                    .message().doesNotContain(SECRET);
            // a password in the URL is no better kept, but is never shown either
            assertThatThrownBy(() -> Database.open(postgres.jdbcUrl() + "&password=wrong-" + SECRET, directory, Map.of()))
                    .isInstanceOf(StoreException.class)
                    .message().doesNotContain(SECRET);
        } finally {
            root.detachAppender(logged);
        }
        assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(line -> line.contains(SECRET));
        assertThat(logged.list).allSatisfy(event -> assertThat(event.getThrowableProxy() == null
                || !event.getThrowableProxy().getMessage().contains(SECRET)).isTrue());
    }

    @Test
    void anEmptyPasswordFileIsNamedButNotRead() throws Exception {
        Path file = directory.resolve("empty.secret");
        Files.writeString(file, "\n");
        assertThatThrownBy(() -> Database.open(postgres.jdbcUrl(), directory,
                Map.of(StorePassword.FILE_VARIABLE, file.toString())))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(StorePassword.FILE_VARIABLE).hasMessageContaining("empty");
    }

    @Test
    void theDescriptionNeverShowsTheUrlsParameters() {
        assertThat(Database.describePostgresql("jdbc:postgresql://db.internal:5432/gatehouse?user=gw&password=" + SECRET))
                .isEqualTo("the PostgreSQL store db.internal:5432/gatehouse");
        assertThat(Database.describePostgresql("jdbc:postgresql://db1,db2/gatehouse?password=" + SECRET))
                .isEqualTo("the PostgreSQL store db1,db2/gatehouse");
    }
}
