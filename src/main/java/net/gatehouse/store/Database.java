package net.gatehouse.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The store (DESIGN.md "storage"): valid lists, the message log and, later, the policy and users.
 * Either embedded, a SQLite file {@value #FILE_NAME} in {@code data_dir}, or a PostgreSQL database
 * shared by the nodes of a cluster. {@link #open} brings the schema up to date with the migrations
 * of the dialect ({@code db/migration/sqlite} or {@code db/migration/postgresql}: one folder per
 * dialect, the same schema in each).
 *
 * <p>All access goes through {@link #read} and {@link #write}, which choose the connection and own
 * the transaction. That is how SQLite's one-writer rule is kept: SQLite lets any number of readers
 * work beside one writer (WAL), and a second writer either waits or, if it started its transaction
 * as a reader, fails with {@code SQLITE_BUSY} however long it waited. So the embedded store has
 * two pools: one connection for writes, whose transactions start with {@code BEGIN IMMEDIATE}
 * (they take the write lock at once, waiting up to the busy timeout for another process such as a
 * CLI import), and a few read-only connections that never wait for it. Writers in this process
 * queue for the one write connection instead of contending inside SQLite. PostgreSQL has one pool
 * for both.
 *
 * <p>Durability: the SQLite file runs in WAL mode with {@code synchronous=FULL}, so a transaction
 * whose commit returned is on disk (the WAL is fsynced at every commit).
 *
 * <p>PostgreSQL may be unreachable for a while: {@link #degraded()} says so ({@link StoreHealth}),
 * a connection is awaited at most {@value #POSTGRESQL_CONNECT_TIMEOUT_SECONDS} seconds, so that a
 * console request fails fast rather than hangs, and the pool reconnects by itself when the server
 * is back. The password comes from the environment ({@link StorePassword}), and the store's
 * description (in logs and messages) names its host and database only, never the URL's parameters.
 */
public final class Database implements AutoCloseable {

    /** The SQL dialect of the store, for the few statements that differ. */
    public enum Dialect { SQLITE, POSTGRESQL }

    /** Work done with a connection inside a transaction that {@link Database} owns. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** The value of the {@code store} setting for the SQLite file in {@code data_dir}. */
    public static final String EMBEDDED = "embedded";
    /** The embedded database's file in {@code data_dir}. */
    public static final String FILE_NAME = "gatehouse.db";

    private static final String POSTGRESQL_URL_PREFIX = "jdbc:postgresql:";
    /** How long a SQLite writer waits for another process's write transaction (a CLI import). */
    private static final Duration BUSY_TIMEOUT = Duration.ofSeconds(30);
    private static final int SQLITE_READERS = 4;
    private static final int POSTGRESQL_CONNECTIONS = 10;
    // Deadlines on every network wait (DESIGN.md): seconds, as the PostgreSQL driver takes them.
    // socketTimeout is the last resort against a database that stopped answering; it must allow
    // the longest legitimate statement (replacing a list of a million addresses).
    private static final int POSTGRESQL_CONNECT_TIMEOUT_SECONDS = 3;
    private static final int POSTGRESQL_SOCKET_TIMEOUT_SECONDS = 300;

    private final Dialect dialect;
    private final String description;
    private final HikariDataSource writer;
    private final HikariDataSource reader;
    private final Optional<StoreHealth> health;
    private final Optional<Thread> watch;
    private volatile boolean closed;

    private Database(Dialect dialect, String description, HikariDataSource writer, HikariDataSource reader) {
        this.dialect = dialect;
        this.description = description;
        this.writer = writer;
        this.reader = reader;
        // an embedded file is not reached over a network: it cannot become unreachable
        this.health = dialect == Dialect.POSTGRESQL ? Optional.of(new StoreHealth(description)) : Optional.empty();
        this.watch = health.map(h -> Thread.ofPlatform().name("store-watch").daemon().start(this::watch));
    }

    /**
     * Opens the store and applies the migrations it has not had yet.
     *
     * @param store   {@value #EMBEDDED}, or a PostgreSQL JDBC URL ({@code jdbc:postgresql://host/db})
     * @param dataDir where the embedded database lives; created if missing
     * @throws StoreException if the database cannot be opened or migrated
     */
    public static Database open(String store, Path dataDir) {
        return open(store, dataDir, System.getenv());
    }

    /**
     * As {@link #open(String, Path)}, with PostgreSQL's password from {@code environment}
     * ({@link StorePassword}).
     */
    public static Database open(String store, Path dataDir, Map<String, String> environment) {
        if (store.equals(EMBEDDED)) {
            return openSqlite(dataDir.resolve(FILE_NAME));
        }
        if (store.startsWith(POSTGRESQL_URL_PREFIX)) {
            return openPostgresql(store, StorePassword.from(environment));
        }
        // never repeat the value: it may be a URL with a password
        throw new IllegalArgumentException("store must be " + EMBEDDED + " or a PostgreSQL JDBC URL (jdbc:postgresql://...)");
    }

    private static Database openSqlite(Path file) {
        String description = "the embedded store " + file;
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new StoreException("cannot create the directory of " + description + ": " + e.getMessage(), e);
        }
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        SQLiteDataSource direct = new SQLiteDataSource(sqliteConfig());
        direct.setUrl(url);
        migrate(direct, "sqlite", description);

        HikariConfig writes = sqlitePool("gatehouse-store-write", direct, 1);
        // a writer in this process waits for the write connection while another finishes, plus
        // SQLite's own wait for a writer in another process
        writes.setConnectionTimeout(BUSY_TIMEOUT.multipliedBy(2).toMillis());
        HikariConfig reads = sqlitePool("gatehouse-store-read", direct, SQLITE_READERS);
        reads.setConnectionInitSql("PRAGMA query_only = ON");
        HikariDataSource writer = pool(writes, description);
        try {
            return new Database(Dialect.SQLITE, description, writer, pool(reads, description));
        } catch (StoreException e) {
            writer.close();
            throw e;
        }
    }

    private static SQLiteConfig sqliteConfig() {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
        config.enforceForeignKeys(true);
        // after a large import the WAL file is truncated back to this size at the next checkpoint
        config.setJournalSizeLimit(64 << 20);
        return config;
    }

    private static HikariConfig sqlitePool(String name, DataSource direct, int size) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setDataSource(direct);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setMaxLifetime(0); // a file has no server that drops idle connections
        return config;
    }

    private static Database openPostgresql(String url, Optional<String> password) {
        String description = describePostgresql(url);
        HikariConfig config = new HikariConfig();
        config.setPoolName("gatehouse-store");
        config.setJdbcUrl(url);
        password.ifPresent(config::setPassword);
        config.setMaximumPoolSize(POSTGRESQL_CONNECTIONS);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(Duration.ofSeconds(POSTGRESQL_CONNECT_TIMEOUT_SECONDS).toMillis());
        // driver properties; the same keys in the URL win, so an administrator can change them
        config.addDataSourceProperty("connectTimeout", POSTGRESQL_CONNECT_TIMEOUT_SECONDS);
        config.addDataSourceProperty("socketTimeout", POSTGRESQL_SOCKET_TIMEOUT_SECONDS);
        config.addDataSourceProperty("reWriteBatchedInserts", true); // batches become multi-row INSERTs
        config.addDataSourceProperty("ApplicationName", "gatehouse");
        HikariDataSource pool = pool(config, description);
        try {
            migrate(pool, "postgresql", description);
        } catch (StoreException e) {
            pool.close();
            throw e;
        }
        return new Database(Dialect.POSTGRESQL, description, pool, pool);
    }

    /**
     * "the PostgreSQL store host:port/database": the URL without its parameters, which may hold a
     * password ({@code ?password=}), and without anything unexpected before the host.
     */
    static String describePostgresql(String url) {
        String rest = url.substring(POSTGRESQL_URL_PREFIX.length());
        int query = rest.indexOf('?');
        String location = (query < 0 ? rest : rest.substring(0, query)).replaceFirst("^//", "");
        int at = location.lastIndexOf('@');
        if (at >= 0) {
            location = location.substring(at + 1);
        }
        return location.isEmpty() ? "the PostgreSQL store" : "the PostgreSQL store " + location;
    }

    private static HikariDataSource pool(HikariConfig config, String description) {
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) { // Hikari's PoolInitializationException carries the SQLException
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new StoreException("cannot connect to " + description + ": " + cause.getMessage(), e);
        }
    }

    private static void migrate(DataSource dataSource, String folder, String description) {
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .locations("classpath:db/migration/" + folder)
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new StoreException("cannot bring " + description + " up to date (schema migration): "
                    + e.getMessage(), e);
        }
    }

    public Dialect dialect() {
        return dialect;
    }

    /**
     * Whether the PostgreSQL store cannot be reached now (never for the embedded store): what was
     * loaded last stays in force, and changes are refused until it answers again. Never blocks.
     */
    public boolean degraded() {
        return health.map(StoreHealth::degraded).orElse(false);
    }

    /**
     * Runs read-only work in one transaction that sees a single snapshot of the store, and returns
     * its result. Result sets may be streamed: on PostgreSQL the transaction lets a positive fetch
     * size fetch rows in chunks rather than all at once.
     *
     * @param what what is being done, for the message of a {@link StoreException}
     * @throws StoreException if the database fails; exceptions of the work itself pass unchanged
     */
    public <T> T read(String what, Work<T> work) {
        refuseWhileDegraded(what);
        try (Connection connection = reader.getConnection()) {
            health.ifPresent(StoreHealth::reachable);
            return switch (dialect) {
                case SQLITE -> inSqliteTransaction(connection, "BEGIN", work);
                case POSTGRESQL -> {
                    connection.setReadOnly(true);
                    connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                    yield inJdbcTransaction(connection, work);
                }
            };
        } catch (SQLException e) {
            throw failure(what, e);
        }
    }

    /**
     * Runs work in one write transaction: committed if it returns, rolled back if it throws. On
     * the embedded store, write transactions run one at a time.
     *
     * @param what what is being done, for the message of a {@link StoreException}
     * @throws StoreException if the database fails; exceptions of the work itself pass unchanged
     *                        (after the rollback)
     */
    public <T> T write(String what, Work<T> work) {
        refuseWhileDegraded(what);
        try (Connection connection = writer.getConnection()) {
            health.ifPresent(StoreHealth::reachable);
            return switch (dialect) {
                // IMMEDIATE: take the write lock now, waiting for it under the busy timeout, rather
                // than start as a reader and fail with SQLITE_BUSY when the first write needs it
                case SQLITE -> inSqliteTransaction(connection, "BEGIN IMMEDIATE", work);
                case POSTGRESQL -> inJdbcTransaction(connection, work);
            };
        } catch (SQLException e) {
            throw failure(what, e);
        }
    }

    // The xerial driver is left in auto-commit mode and the transaction is spelled out in SQL: its
    // own setAutoCommit(false) begins a new transaction right after every commit, which on the
    // write connection would hold the write lock while the connection sits idle in the pool.
    private static <T> T inSqliteTransaction(Connection connection, String begin, Work<T> work) throws SQLException {
        execute(connection, begin);
        try {
            T result = work.run(connection);
            execute(connection, "COMMIT");
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            try {
                execute(connection, "ROLLBACK");
            } catch (SQLException rollbackFailed) {
                e.addSuppressed(rollbackFailed); // SQLite may have rolled back already
            }
            throw e;
        }
    }

    private static <T> T inJdbcTransaction(Connection connection, Work<T> work) throws SQLException {
        connection.setAutoCommit(false);
        try {
            T result = work.run(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            try {
                connection.rollback();
            } catch (SQLException rollbackFailed) {
                e.addSuppressed(rollbackFailed);
            }
            throw e;
        }
        // the pool restores auto-commit, read-only and isolation when the connection is returned
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /**
     * While the server cannot be reached, work fails at once rather than after the pool's wait: the
     * watch finds out when it is back.
     */
    private void refuseWhileDegraded(String what) {
        if (degraded()) {
            throw new StoreException(what + " in " + description + ": it cannot be reached (checked every "
                    + StoreHealth.WATCH_INTERVAL.toSeconds() + " s)", null);
        }
    }

    private StoreException failure(String what, SQLException e) {
        health.ifPresent(h -> h.failed(e));
        return new StoreException(what + " in " + description + ": " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return description;
    }

    /** Runs {@code SELECT 1} every {@link StoreHealth#WATCH_INTERVAL}, failing within a few seconds. */
    private void watch() {
        StoreHealth state = health.orElseThrow();
        Executor direct = Runnable::run;
        while (!closed) {
            try {
                Thread.sleep(StoreHealth.WATCH_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            try (Connection connection = writer.getConnection()) {
                // a frozen server accepts and never answers: a network timeout, not a query timeout,
                // which PostgreSQL would have to answer (the pool restores it on return)
                connection.setNetworkTimeout(direct, (int) Duration.ofSeconds(POSTGRESQL_CONNECT_TIMEOUT_SECONDS).toMillis());
                execute(connection, "SELECT 1");
                state.reachable();
            } catch (SQLException e) {
                if (!closed) {
                    state.failed(e);
                }
            }
        }
    }

    /** Closes the connections; work in progress on other threads fails with a {@link StoreException}. */
    @Override
    public void close() {
        closed = true;
        watch.ifPresent(Thread::interrupt);
        if (reader != writer) {
            reader.close();
        }
        writer.close();
    }
}
