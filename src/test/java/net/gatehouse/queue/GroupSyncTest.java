package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class GroupSyncTest {

    @Test
    void aLoneCallerRunsItsOwnSync() throws IOException {
        AtomicInteger syncs = new AtomicInteger();
        GroupSync group = new GroupSync(syncs::incrementAndGet);

        group.sync();
        group.sync();

        assertThat(syncs).hasValue(2);
    }

    @Test
    void callersArrivingDuringASyncShareTheNextOne() throws Exception {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        AtomicInteger syncs = new AtomicInteger();
        GroupSync group = new GroupSync(() -> {
            if (syncs.incrementAndGet() == 1) {
                firstStarted.countDown();
                await(releaseFirst);
            }
        });
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> first = threads.submit(() -> sync(group));
            assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<?>> waiting = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                waiting.add(threads.submit(() -> sync(group)));
            }
            // all 20 have asked while the first sync runs, so none of them can have been answered yet
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.calls() == 21);
            assertThat(waiting).noneMatch(Future::isDone); // the running sync started before they asked

            releaseFirst.countDown();
            first.get(10, TimeUnit.SECONDS);
            for (Future<?> call : waiting) {
                call.get(10, TimeUnit.SECONDS);
            }
        }
        assertThat(syncs.get()).as("one for the first caller, one for the 20 that came during it").isEqualTo(2);
    }

    @Test
    void everyCallReturnsOnlyAfterASyncThatStartedAfterIt() throws Exception {
        AtomicLong started = new AtomicLong();   // how many syncs have started
        AtomicLong finished = new AtomicLong();  // how many have finished
        GroupSync group = new GroupSync(() -> {
            started.incrementAndGet();
            Thread.onSpinWait();
            finished.incrementAndGet();
        });
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(threads.submit(() -> {
                    long startedBefore = started.get();
                    group.sync();
                    return finished.get() > startedBefore; // a sync begun after the call has finished
                }));
            }
            for (Future<Boolean> call : calls) {
                assertThat(call.get(10, TimeUnit.SECONDS)).isTrue();
            }
        }
        assertThat(started.get()).isLessThanOrEqualTo(200);
    }

    @Test
    void aFailedSyncCompletesNobodyAndEachCallerGetsItsOwnAnswer() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        GroupSync group = new GroupSync(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IOException("disk full");
            }
        });

        assertThatIOException().isThrownBy(group::sync).withMessage("disk full");
        group.sync(); // the next caller runs its own, which works

        assertThat(calls).hasValue(2);
    }

    private static void sync(GroupSync group) {
        try {
            group.sync();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
