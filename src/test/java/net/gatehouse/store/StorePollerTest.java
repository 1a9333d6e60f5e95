package net.gatehouse.store;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link StorePoller#wake()}: the check runs now rather than at the end of the interval. */
class StorePollerTest {

    private static final Duration AN_HOUR = Duration.ofHours(1);

    @Test
    void aWakeRunsTheCheckWithoutWaitingForTheInterval() {
        AtomicInteger checks = new AtomicInteger();
        try (StorePoller poller = StorePoller.start("test", "nothing", AN_HOUR, checks::incrementAndGet)) {
            poller.wake();
            await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 1);
            poller.wake();
            await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 2);
        }
    }

    @Test
    void aFailedCheckLeavesThePollerRunning() {
        AtomicInteger checks = new AtomicInteger();
        try (StorePoller poller = StorePoller.start("test", "nothing", AN_HOUR, () -> {
            if (checks.incrementAndGet() == 1) {
                throw new StoreException("the store is away", null);
            }
        })) {
            poller.wake();
            await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 1);
            poller.wake();
            await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 2);
        }
    }
}
