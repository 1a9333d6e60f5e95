package net.gatehouse.queue;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * At most {@code destination_concurrency} deliveries at once to one destination (a protected
 * domain's back-ends, or another domain's mail exchangers), as Postfix's
 * {@code default_destination_concurrency_limit}.
 *
 * <p>A destination has an entry only while a delivery to it runs or waits, so the map holds at
 * most as many entries as there are deliveries in flight ({@code delivery.concurrency}), however
 * many destinations the queue has seen.
 */
final class DestinationConcurrency {

    /** A delivery's place among its destination's: give it back by closing it. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /** The permits of one destination, and how many deliveries hold or wait for one. */
    private static final class Limit {
        final Semaphore permits;
        /** Changed only inside the map's compute functions, which run one at a time per key. */
        int users;

        Limit(int permits) {
            this.permits = new Semaphore(permits);
        }
    }

    private final int perDestination;
    private final Map<String, Limit> destinations = new ConcurrentHashMap<>();

    DestinationConcurrency(int perDestination) {
        this.perDestination = perDestination;
    }

    /** Waits until fewer than the limit of deliveries to {@code destination} are running. */
    Slot acquire(String destination) throws InterruptedException {
        Limit limit = destinations.compute(destination, (key, existing) -> {
            Limit entry = existing != null ? existing : new Limit(perDestination);
            entry.users++;
            return entry;
        });
        try {
            limit.permits.acquire();
        } catch (InterruptedException e) {
            leave(destination);
            throw e;
        }
        return () -> {
            limit.permits.release();
            leave(destination);
        };
    }

    /** Destinations with a delivery running or waiting. */
    int size() {
        return destinations.size();
    }

    private void leave(String destination) {
        destinations.computeIfPresent(destination, (key, limit) -> --limit.users == 0 ? null : limit);
    }
}
