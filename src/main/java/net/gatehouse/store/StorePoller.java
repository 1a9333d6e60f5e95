package net.gatehouse.store;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread that checks the store for changes every interval: how each node (and the CLI's changes
 * on the embedded store) reaches every other. A failed check leaves what was loaded last in force
 * (SPEC §6: losing the database keeps the last policy), is logged once, and is tried again at the
 * next interval; the recovery is logged too.
 *
 * <p>{@link #wake()} runs the check now rather than at the end of the interval: a change
 * notification from another node (SPEC §6, {@code cluster.RedisChanges}) calls it, so that the
 * interval is only the fallback for a notification that was lost.
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
    /** A permit per {@link #wake()} or {@link #close()}: the thread waits for one at most an interval. */
    private final Semaphore wakes = new Semaphore(0);
    private volatile boolean closed;
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
            while (true) {
                wakes.tryAcquire(interval.toNanos(), TimeUnit.NANOSECONDS);
                wakes.drainPermits(); // wakes that came during the wait or the last check: one check serves them all
                if (closed) {
                    return;
                }
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

    /**
     * Runs the check as soon as the thread is free, rather than at the end of the interval; never
     * blocks. Several wakes during one check cause one more check, not several.
     */
    public void wake() {
        wakes.release();
    }

    /** Stops checking, waiting a few seconds for a check in progress. */
    @Override
    public void close() {
        closed = true;
        wakes.release();
        try {
            thread.join(CLOSE_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
