package net.gatehouse.queue;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Spool files of finished messages, kept to be overwritten by new ones.
 *
 * <p>Creating a file and deleting it again for every message is the most expensive thing the
 * spool asks of the file system under load: on ext4, allocating an inode scans the inode table
 * for one not freed too recently, and a create or unlink holds the directory's lock. Overwriting a
 * file that already exists costs neither. So a finished message's file is renamed to a spare name
 * rather than deleted, and the next message is written into it.
 *
 * <p>A spare is handed out again only after {@link #minimumAge} has passed since it was given back:
 * whoever opened the file under its old name just before (the console showing the message, the
 * {@code queue} command) has long finished reading before new content arrives in it. First in,
 * first out; at most {@link #capacity} spares, beyond which the caller deletes the file as before.
 */
final class SpareFiles {

    private record Spare(Path file, long returnedAt) {
    }

    private final int capacity;
    private final long minimumAge;
    private final LongSupplier nanoTime;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Spare> spares = new ArrayDeque<>();

    /**
     * @param capacity   most spares kept
     * @param minimumAge nanoseconds between giving a file back and handing it out again
     * @param nanoTime   the clock ({@link System#nanoTime} but in tests)
     */
    SpareFiles(int capacity, long minimumAge, LongSupplier nanoTime) {
        if (capacity < 0 || minimumAge < 0) {
            throw new IllegalArgumentException("capacity and minimumAge must not be negative");
        }
        this.capacity = capacity;
        this.minimumAge = minimumAge;
        this.nanoTime = nanoTime;
    }

    /** The oldest spare, if one was given back at least {@code minimumAge} ago. */
    Optional<Path> take() {
        lock.lock();
        try {
            Spare oldest = spares.peekFirst();
            if (oldest == null || nanoTime.getAsLong() - oldest.returnedAt() < minimumAge) {
                return Optional.empty();
            }
            spares.removeFirst();
            return Optional.of(oldest.file());
        } finally {
            lock.unlock();
        }
    }

    /** Keeps a file for reuse; false when there are {@code capacity} spares already. */
    boolean giveBack(Path file) {
        return add(new Spare(file, nanoTime.getAsLong()));
    }

    /** Keeps a file found at start-up, free for reuse at once; false when full. */
    boolean adopt(Path file) {
        return add(new Spare(file, nanoTime.getAsLong() - minimumAge));
    }

    /** Whether another spare would be kept. */
    boolean hasRoom() {
        return size() < capacity;
    }

    /** Spares kept. */
    int size() {
        lock.lock();
        try {
            return spares.size();
        } finally {
            lock.unlock();
        }
    }

    private boolean add(Spare spare) {
        lock.lock();
        try {
            if (spares.size() >= capacity) {
                return false;
            }
            spares.addLast(spare);
            return true;
        } finally {
            lock.unlock();
        }
    }
}
