package net.gatehouse.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own, for what the machine's server at 127.0.0.1:5432 cannot
 * show: the store going away and coming back ({@link #stop()}, {@link #start()} on the same port),
 * and a password ({@link #withPassword}; the machine's server trusts every local user).
 *
 * <p>{@code initdb} into a temporary directory, then {@code pg_ctl start} listening on a free port of
 * 127.0.0.1 only (its socket in the data directory), as {@code scripts/test-prerequisites.sh} starts
 * the run's server: PostgreSQL refuses to run as root, so when the tests run as root it runs as the
 * {@code postgres} user ({@code runuser}). The binaries are the newest under
 * {@code /usr/lib/postgresql/}; without them the test fails saying what to install. The database
 * {@value #DATABASE} is created at the first start; {@link #close()} stops the server and deletes
 * the directory.
 *
 * <pre>{@code
 * try (TestPostgres postgres = TestPostgres.create()) {
 *     String store = postgres.jdbcUrl();   // jdbc:postgresql://127.0.0.1:PORT/gatehouse?user=postgres
 *     postgres.stop();                     // connections fail from now on
 *     postgres.start();                    // again, same port, same data
 * }
 * }</pre>
 */
public final class TestPostgres implements AutoCloseable {

    /** The database the gateway under test uses. */
    public static final String DATABASE = "gatehouse";
    /** The superuser, who owns {@value #DATABASE}. */
    public static final String USER = "postgres";
    private static final Duration PG_CTL_TIMEOUT = Duration.ofSeconds(60);

    private final Path bin;
    private final Path directory;
    private final Path data;
    private final int port;
    private final Optional<String> password;
    private final Optional<String> owner; // the user PostgreSQL runs as, when we are root
    private boolean running;

    private TestPostgres(Path bin, Path directory, int port, Optional<String> password, Optional<String> owner) {
        this.bin = bin;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.port = port;
        this.password = password;
        this.owner = owner;
    }

    /** A new server that trusts every connection (as the machine's), started, with the database {@value #DATABASE}. */
    public static TestPostgres create() {
        return create(Optional.empty());
    }

    /**
     * A new server whose TCP connections must give {@code password} (SCRAM), started, with the
     * database {@value #DATABASE}. The URL of {@link #jdbcUrl()} has no password: the gateway gets
     * it from {@code GATEHOUSE_STORE_PASSWORD}.
     */
    public static TestPostgres withPassword(String password) {
        return create(Optional.of(password));
    }

    private static TestPostgres create(Optional<String> password) {
        Path bin = binaries();
        Optional<String> owner = "root".equals(System.getProperty("user.name")) ? Optional.of("postgres") : Optional.empty();
        TestPostgres postgres;
        try {
            Path directory = Files.createTempDirectory("gatehouse-postgres-");
            postgres = new TestPostgres(bin, directory, LoopbackPorts.free(), password, owner);
            if (owner.isPresent()) {
                ExternalCommand.run(Duration.ofSeconds(10), "chown", owner.get(), directory.toString()).orFail();
            }
            postgres.initdb();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a PostgreSQL data directory", e);
        }
        try {
            postgres.startServer();
            postgres.createDatabase();
        } catch (RuntimeException | Error e) {
            postgres.close();
            throw e;
        }
        return postgres;
    }

    /** The {@code store:} URL of the database {@value #DATABASE}, user {@value #USER}, no password. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE + "?user=" + USER;
    }

    public int port() {
        return port;
    }

    /** Starts the server again after {@link #stop()}, on the same port with the same data, and waits until it answers. */
    public synchronized void start() {
        if (!running) {
            startServer();
        }
    }

    /**
     * Stops the server ({@code pg_ctl stop -m fast}: open connections are closed, new ones refused)
     * and waits until it is down.
     */
    public synchronized void stop() {
        if (running) {
            pgCtl("stop", "-m", "fast", "-w");
            running = false;
        }
    }

    /** Runs SQL as the superuser in {@code database}, through TCP (with the password, if any). */
    public void execute(String database, String sql) {
        Properties properties = new Properties();
        properties.setProperty("user", USER);
        password.ifPresent(p -> properties.setProperty("password", p));
        properties.setProperty("connectTimeout", "5");
        try (Connection connection = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/" + database, properties);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("the test's PostgreSQL on port " + port + " refused: " + sql + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } catch (RuntimeException | Error e) {
            // deleting the directory below is still worth doing
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }

    private void initdb() throws IOException {
        List<String> command = new ArrayList<>(List.of(bin.resolve("initdb").toString(), "-D", data.toString(),
                "-U", USER, "-E", "UTF8", "--auth-local=trust"));
        if (password.isPresent()) {
            Path file = directory.resolve("pwfile");
            Files.writeString(file, password.get() + "\n", StandardCharsets.UTF_8);
            owner.ifPresent(user -> ExternalCommand.run(Duration.ofSeconds(10), "chown", user, file.toString()).orFail());
            command.addAll(List.of("--auth-host=scram-sha-256", "--pwfile=" + file));
        } else {
            command.add("--auth-host=trust");
        }
        ExternalCommand.run(PG_CTL_TIMEOUT, asOwner(command)).orFail();
    }

    private void startServer() {
        pgCtl("start", "-w", "-l", directory.resolve("server.log").toString(), "-o",
                "-c listen_addresses=127.0.0.1 -p " + port + " -k " + data + " -c fsync=off");
        running = true;
    }

    private void createDatabase() {
        execute("postgres", "CREATE DATABASE " + DATABASE);
    }

    private void pgCtl(String... arguments) {
        List<String> command = new ArrayList<>(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString()));
        command.addAll(List.of(arguments));
        ExternalCommand.Result result = ExternalCommand.run(PG_CTL_TIMEOUT, asOwner(command));
        if (result.exitCode() != 0) {
            String log;
            try {
                log = Files.readString(directory.resolve("server.log"));
            } catch (IOException e) {
                log = "(no server.log)";
            }
            throw new AssertionError("pg_ctl " + arguments[0] + " failed on port " + port + ":\n" + result.output()
                    + "\nserver.log:\n" + log);
        }
    }

    private List<String> asOwner(List<String> command) {
        if (owner.isEmpty()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", owner.get(), "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** The newest PostgreSQL's binaries, or an AssertionError naming the package. */
    private static Path binaries() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(version -> version.resolve("bin"))
                    .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
                    .max(Comparator.comparingInt(bin -> Integer.parseInt(bin.getParent().getFileName().toString()
                            .replaceAll("[^0-9].*", "0"))))
                    .orElseThrow(() -> new AssertionError("no PostgreSQL under /usr/lib/postgresql: apt-get install postgresql"));
        } catch (IOException e) {
            throw new AssertionError("no PostgreSQL under /usr/lib/postgresql: apt-get install postgresql", e);
        }
    }
}
