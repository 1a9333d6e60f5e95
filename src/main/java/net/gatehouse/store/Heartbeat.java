package net.gatehouse.store;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's heartbeat (SPEC §6): writes the node's row in the {@link NodeTable} at once and then
 * every interval, with what {@code status} reports at that moment. A write that fails (the store
 * is down) disturbs nothing else: it is logged once, tried again at the next beat, and the
 * recovery is logged too. A second node writing under the same name is logged once as well.
 *
 * <p>A platform thread, not a virtual one: SQLite runs in native code, and a virtual thread blocked
 * in it holds its carrier, one of the few the SMTP sessions run on (as {@link StorePoller}).
 */
public final class Heartbeat implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final NodeTable table;
    private final Supplier<NodeTable.Node> status;
    private final Duration interval;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;
    private boolean failing; // the heartbeat thread's own
    private boolean sharedNameReported; // the heartbeat thread's own
    private boolean written; // the heartbeat thread's own: a beat of this node is in the table

    private Heartbeat(NodeTable table, Supplier<NodeTable.Node> status, Duration interval) {
        this.table = table;
        this.status = status;
        this.interval = interval;
        this.thread = Thread.ofPlatform().name("node-heartbeat").daemon().unstarted(this::beatUntilClosed);
    }

    /**
     * Starts beating: the first heartbeat now, then one every {@code interval}.
     *
     * @param status this node as it is now; called once per beat, on the heartbeat's thread
     */
    public static Heartbeat start(NodeTable table, Supplier<NodeTable.Node> status, Duration interval) {
        if (!interval.isPositive()) {
            throw new IllegalArgumentException("the heartbeat interval must be positive, got " + interval);
        }
        Heartbeat heartbeat = new Heartbeat(table, status, interval);
        heartbeat.thread.start();
        return heartbeat;
    }

    private void beatUntilClosed() {
        try {
            do {
                beat();
            } while (!closed.await(interval.toNanos(), TimeUnit.NANOSECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // only the JVM going away interrupts this thread
        }
    }

    private void beat() {
        NodeTable.Node node = null;
        try {
            node = status.get();
            Optional<NodeTable.Node> before = table.beat(node);
            if (failing) {
                log.info("node_heartbeat_recovered node={}", node.name());
                failing = false;
            }
            // after our own first beat, the row is ours unless another node writes it too (the row
            // found at the first beat may be this node's previous run)
            if (written && !sharedNameReported && before.isPresent()
                    && before.get().startedAt().toEpochMilli() != node.startedAt().toEpochMilli()) { // stored in ms
                log.warn("node_name_shared node={} other_started_at={} note=\"another gateway writes its heartbeat "
                        + "under this name: give each node its own (node: in the configuration)\"", node.name(),
                        before.get().startedAt());
                sharedNameReported = true;
            }
            written = true;
        } catch (RuntimeException e) {
            if (!failing) {
                log.warn("node_heartbeat_failed node={} retry_every={} error=\"{}\"",
                        node == null ? "" : node.name(), interval, e.getMessage());
                failing = true;
            }
        }
    }

    /** Stops beating, waiting a few seconds for a write in progress. The node's row stays, and turns stale. */
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
