package net.gatehouse.queue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit for the fsync of a directory: many sessions renaming their messages into the spool
 * at once share one fsync rather than queueing for one each.
 *
 * <p>{@link #sync()} returns once an fsync has completed that <em>started after the call</em>, so
 * whatever the caller did to the directory before calling (a rename, a delete) is on disk. The
 * first caller to find no fsync running runs one, for itself and for every caller that arrived
 * before it started; callers arriving while it runs wait for it to finish and then run the next,
 * for all of them together. Under load, one fsync serves a whole batch; alone, a call costs one
 * fsync, as before.
 *
 * <p>A failed fsync completes nobody: each caller it would have served runs its own, and gets its
 * own error. A lock and condition rather than {@code synchronized}: virtual threads wait here.
 */
final class GroupSync {

    /** Makes the directory's changes durable. */
    @FunctionalInterface
    interface Syncer {
        void sync() throws IOException;
    }

    private final Syncer syncer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition finished = lock.newCondition();
    private long requested;  // tickets handed out
    private long completed;  // every ticket up to this one is durable
    private boolean running;

    GroupSync(Syncer syncer) {
        this.syncer = syncer;
    }

    /** fsync of a directory, grouped. */
    static GroupSync of(Path directory) {
        return new GroupSync(() -> {
            try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
                channel.force(true);
            }
        });
    }

    /** Calls made so far, answered or still waiting: tests wait for callers to have arrived. */
    long calls() {
        lock.lock();
        try {
            return requested;
        } finally {
            lock.unlock();
        }
    }

    /** Returns when an fsync that started after this call has completed. */
    void sync() throws IOException {
        long covered;
        lock.lock();
        try {
            long ticket = ++requested;
            while (true) {
                if (completed >= ticket) {
                    return;
                }
                if (!running) {
                    running = true;
                    covered = requested; // everyone who asked so far did so before this fsync starts
                    break;
                }
                finished.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        boolean done = false;
        try {
            syncer.sync();
            done = true;
        } finally {
            lock.lock();
            try {
                running = false;
                if (done) {
                    completed = Math.max(completed, covered);
                }
                finished.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
