package net.gatehouse.callout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import net.gatehouse.testing.TestClock;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.callout.CalloutResult.TemporaryFailure;
import net.gatehouse.callout.VerdictCache.Entry;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.smtp.protocol.Reply;
import org.junit.jupiter.api.Test;

class LocalVerdictCacheTest {

    private static final Reply UNKNOWN = Reply.of(550, "5.1.1", "Mailbox unknown");

    private final TestClock clock = new TestClock();
    private final AtomicReference<VerificationCacheConfig> settings = new AtomicReference<>(new VerificationCacheConfig(
            Duration.ofDays(7), Duration.ofHours(1), Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofSeconds(30), 1000));
    private final LocalVerdictCache cache = new LocalVerdictCache(settings::get, clock);

    @Test
    void keepsAnAcceptForThePositiveLifetime() {
        cache.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant()));

        clock.advance(Duration.ofDays(7).minusSeconds(1));
        assertThat(cache.get("alice@example.test")).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(cache.get("alice@example.test")).isEmpty();
    }

    @Test
    void keepsARejectionForTheNegativeLifetime() {
        cache.put("bob@example.test", new Entry(new Rejected(UNKNOWN, "probe"), clock.instant()));

        clock.advance(Duration.ofMinutes(29));
        assertThat(cache.get("bob@example.test")).get().extracting(Entry::verdict).isInstanceOf(Rejected.class);
        clock.advance(Duration.ofMinutes(1));
        assertThat(cache.get("bob@example.test")).isEmpty();
    }

    @Test
    void aShorterLifetimeAppliesToEntriesAlreadyCached() {
        cache.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant()));
        clock.advance(Duration.ofHours(2));

        settings.set(new VerificationCacheConfig(Duration.ofHours(1), Duration.ofMinutes(10), Duration.ofMinutes(30),
                Duration.ofMinutes(5), Duration.ofSeconds(30), 1000));

        assertThat(cache.get("alice@example.test")).isEmpty();
    }

    @Test
    void forgetsAnInvalidatedAddress() {
        cache.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant()));
        cache.invalidate("alice@example.test");

        assertThat(cache.get("alice@example.test")).isEmpty();
    }

    @Test
    void holdsNoMoreThanMaxEntries() {
        settings.set(new VerificationCacheConfig(Duration.ofDays(7), Duration.ofHours(1), Duration.ofMinutes(30),
                Duration.ofMinutes(5), Duration.ofSeconds(30), 10));
        for (int i = 0; i < 1000; i++) {
            cache.put("user" + i + "@example.test", new Entry(new Accepted("probe"), clock.instant()));
        }

        // Caffeine evicts in the background, soon after the writes.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(IntStream.range(0, 1000)
                .filter(i -> cache.get("user" + i + "@example.test").isPresent())
                .count()).isLessThanOrEqualTo(10));
    }

    @Test
    void cachesOnlyDefiniteAnswers() {
        assertThatThrownBy(() -> new Entry(new TemporaryFailure("450 4.2.0 Greylisted", "probe"), clock.instant()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Greylisted");
    }

    @Test
    void flushesADomainButNotItsSubdomainsNorOthers() {
        cache.put("alice@example.test", new Entry(new Accepted("probe"), clock.instant()));
        cache.put("bob@example.test", new Entry(new Rejected(UNKNOWN, "probe"), clock.instant()));
        cache.put("alice@sub.example.test", new Entry(new Accepted("probe"), clock.instant()));
        cache.put("alice@other.test", new Entry(new Accepted("probe"), clock.instant()));

        assertThat(cache.invalidateDomain("example.test")).isEqualTo(2);

        assertThat(cache.get("alice@example.test")).isEmpty();
        assertThat(cache.get("bob@example.test")).isEmpty();
        assertThat(cache.get("alice@sub.example.test")).isPresent();
        assertThat(cache.get("alice@other.test")).isPresent();
        assertThat(cache.invalidateAll()).isEqualTo(2);
        assertThat(cache.get("alice@other.test")).isEmpty();
    }

    @Test
    void keepsTheProbesTimingAndTheBackendsReply() {
        cache.put("alice@example.test", new Entry(new Accepted("probe to backend 1 of 1 (127.0.0.1:25), 7 ms",
                "250 2.1.5 Ok"), clock.instant(), "gw.test", 7));

        assertThat(cache.get("alice@example.test")).hasValueSatisfying(entry -> {
            assertThat(entry.backendReply()).contains("250 2.1.5 Ok");
            assertThat(entry.probeTime()).contains(Duration.ofMillis(7));
            assertThat(entry.source()).isEqualTo("probe to backend 1 of 1 (127.0.0.1:25), 7 ms");
            assertThat(entry.remaining(settings.get(), clock.instant())).isEqualTo(Duration.ofDays(7));
        });
    }
}
