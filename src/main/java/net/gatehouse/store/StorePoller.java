package net.gatehouse.store;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread that checks the store for changes every interval: how each node (and the CLI's changes
 * on the embedded store) reaches every other. A failed check leaves what was loaded last in force
 * (SPEC §6: losing the database keeps the last policy), is logged once, and is tried again at the
 * next interval; the recovery is logged too.
 *
 * <p>A platform thread, not a virtual one: SQLite runs in native code, and a virtual thread blocked
 * in it holds its carrier, one of the few the SMTP sessions run on.
 */
public final class StorePoller implements AutoCloseable {

    /** One check: reads the store's revision and loads what changed. */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    private static final Logger log = LoggerFactory.getLogger(StorePoller.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    private final String keeping;
    private final Duration interval;
    private final Check check;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;
    private boolean failing; // the poller thread's own

    private StorePoller(String name, String keeping, Duration interval, Check check) {
        this.name = name;
        this.keeping = keeping;
        this.interval = interval;
        this.check = check;
        this.thread = Thread.ofPlatform().name(name + "-poller").daemon().unstarted(this::pollUntilClosed);
    }

    /**
     * Starts checking every {@code interval}.
     *
     * @param name    names the thread and the log events: {@code <name>_refresh_failed}, {@code _recovered}
     * @param keeping what stays in force while checks fail, for the log ("the lists last loaded")
     */
    public static StorePoller start(String name, String keeping, Duration interval, Check check) {
        StorePoller poller = new StorePoller(name, keeping, interval, check);
        poller.thread.start();
        return poller;
    }

    private void pollUntilClosed() {
        try {
            while (!closed.await(interval.toNanos(), TimeUnit.NANOSECONDS)) {
                try {
                    check.run();
                    if (failing) {
                        log.info("{}_refresh_recovered", name);
                        failing = false;
                    }
                } catch (Exception e) {
                    if (!failing) {
                        log.warn("{}_refresh_failed keeping=\"{}\" retry_every={} error=\"{}\"", name, keeping, interval,
                                e.getMessage());
                        failing = true;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // only the JVM going away interrupts this thread
        }
    }

    /** Stops checking, waiting a few seconds for a check in progress. */
    @Override
    public void close() {
        closed.countDown();
        try {
            thread.join(CLOSE_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
