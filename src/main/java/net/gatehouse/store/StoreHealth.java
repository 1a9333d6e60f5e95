package net.gatehouse.store;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the PostgreSQL store can be reached (SPEC §6 "losing PostgreSQL keeps the last policy"):
 * degraded from the first failure to connect, whether a request's, a poller's or the watch's own,
 * until a statement succeeds again. The loss and the recovery are logged once each
 * ({@code store_degraded}, {@code store_recovered}); {@link Database#degraded()} reports it to
 * {@code /readyz}, the {@code gatehouse_store_degraded} gauge and the console, which is read-only
 * meanwhile.
 *
 * <p>The watch runs {@code SELECT 1} every {@link #WATCH_INTERVAL}, so that the loss is noticed
 * without traffic, and the recovery without a restart: the pool makes new connections as soon as
 * the server answers again.
 */
final class StoreHealth {

    static final Duration WATCH_INTERVAL = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(StoreHealth.class);

    private final String description;
    private volatile boolean degraded;
    private long degradedSince;

    StoreHealth(String description) {
        this.description = description;
    }

    boolean degraded() {
        return degraded;
    }

    /** Notes a failure; only a failure to reach the server makes the store degraded. */
    void failed(SQLException e) {
        if (!degraded && unreachable(e)) {
            lost(e);
        }
    }

    /** Notes a statement that succeeded: the server is reachable. */
    void reachable() {
        if (degraded) {
            recovered();
        }
    }

    private synchronized void lost(SQLException e) {
        if (!degraded) {
            degradedSince = System.nanoTime();
            log.warn("store_degraded store=\"{}\" error=\"{}\" note=\"SMTP goes on with the policy and lists last "
                    + "loaded; the console is read-only and the message log is buffered until the store answers "
                    + "again (checked every {} ms)\"", description, rootMessage(e), WATCH_INTERVAL.toMillis());
            degraded = true; // after the log line: whoever sees the state finds the line written
        }
    }

    private synchronized void recovered() {
        if (degraded) {
            log.info("store_recovered store=\"{}\" degraded_for={}ms", description,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - degradedSince));
            degraded = false;
        }
    }

    /** The server's or the network's own words: a failed batch's message repeats its statement and data. */
    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /**
     * A failure to reach the server rather than of the statement: SQLSTATE class 08 (connection
     * exception), 57P01-57P03 (the server shutting down or starting), the pool's timeout.
     */
    static boolean unreachable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P0"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
