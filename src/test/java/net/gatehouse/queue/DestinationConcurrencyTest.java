package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DestinationConcurrencyTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final DestinationConcurrency concurrency = new DestinationConcurrency(2);

    @Test
    void aDeliveryBeyondTheLimitWaitsForAnotherToFinish() throws Exception {
        DestinationConcurrency.Slot one = concurrency.acquire("backend:example.test");
        DestinationConcurrency.Slot two = concurrency.acquire("backend:example.test");
        DestinationConcurrency.Slot elsewhere = concurrency.acquire("mx:elsewhere.test"); // another destination: no wait
        CompletableFuture<DestinationConcurrency.Slot> third = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                third.complete(concurrency.acquire("backend:example.test"));
            } catch (InterruptedException e) {
                third.completeExceptionally(e);
            }
        });
        await().atMost(WAIT).until(() -> waiter.getState() == Thread.State.WAITING); // parked for a slot
        assertThat(third).isNotDone();

        one.close();

        await().atMost(WAIT).until(third::isDone);
        third.get().close();
        two.close();
        elsewhere.close();
    }

    @Test
    void keepsAnEntryOnlyWhileADeliveryRunsOrWaits() throws Exception {
        for (int i = 0; i < 1000; i++) {
            concurrency.acquire("mx:domain" + i + ".test").close();
        }
        DestinationConcurrency.Slot running = concurrency.acquire("mx:busy.test");

        assertThat(concurrency.size()).isEqualTo(1);
        running.close();
        assertThat(concurrency.size()).isZero();
    }

    @Test
    void aWaiterInterruptedLeavesNoEntryBehind() throws Exception {
        DestinationConcurrency.Slot one = concurrency.acquire("backend:example.test");
        DestinationConcurrency.Slot two = concurrency.acquire("backend:example.test");
        CompletableFuture<Throwable> interrupted = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                concurrency.acquire("backend:example.test").close();
                interrupted.complete(null);
            } catch (InterruptedException e) {
                interrupted.complete(e);
            }
        });
        await().atMost(WAIT).until(() -> waiter.getState() == Thread.State.WAITING);

        waiter.interrupt();

        assertThat(interrupted.get()).isInstanceOf(InterruptedException.class);
        one.close();
        two.close();
        assertThat(concurrency.size()).isZero();
    }
}
