package net.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The saved directory snapshots (schema 5), on the embedded store and on PostgreSQL (a database of its own). */
class DirectorySnapshotStoreTest {

    private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
    private static final String ADMIN = SERVER + "postgres?user=postgres&connectTimeout=3";

    @TempDir
    Path dataDir;

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "postgresql"})
    void keepsTheLastSnapshotOfEachDirectory(String dialect) throws Exception {
        String name = "gatehouse_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        if (dialect.equals("postgresql")) {
            try (Connection admin = DriverManager.getConnection(ADMIN); Statement statement = admin.createStatement()) {
                statement.execute("CREATE DATABASE " + name);
            }
        }
        try (Database database = Database.open(dialect.equals("embedded") ? Database.EMBEDDED
                : SERVER + name + "?user=postgres", dataDir)) {
            DirectorySnapshotStore store = new DirectorySnapshotStore(database);
            assertThat(store.load("corp")).isEmpty();
            assertThat(store.revision("corp")).isZero();

            List<String> addresses = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                addresses.add("user" + i + "@corp.example");
            }
            Instant first = Instant.parse("2026-12-06T10:00:00Z");
            store.save("corp", first, 9_000, addresses);
            store.save("emea", first, 1, List.of("erin@xn--bcher-kva.example"));
            Instant second = first.plusSeconds(600);
            store.save("corp", second, 8_000, addresses.subList(0, 5_000));

            DirectorySnapshotStore.Snapshot corp = store.load("corp").orElseThrow();
            assertThat(corp.takenAt()).isEqualTo(second);
            assertThat(corp.entries()).isEqualTo(8_000);
            assertThat(corp.addresses()).hasSize(5_000).startsWith("user0@corp.example");
            assertThat(store.takenAt("corp")).contains(second);
            assertThat(store.revision("corp")).isEqualTo(2);
            assertThat(store.load("emea").orElseThrow().addresses()).containsExactly("erin@xn--bcher-kva.example");
        } finally {
            if (dialect.equals("postgresql")) {
                try (Connection admin = DriverManager.getConnection(ADMIN); Statement statement = admin.createStatement()) {
                    statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                }
            }
        }
    }
}
