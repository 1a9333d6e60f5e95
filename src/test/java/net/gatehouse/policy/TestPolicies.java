package net.gatehouse.policy;

import java.time.Duration;
import net.gatehouse.config.HarvestConfig;
import net.gatehouse.config.VerificationCacheConfig;

/** Settings for policies built directly in unit tests. */
final class TestPolicies {

    static final VerificationCacheConfig CACHE = new VerificationCacheConfig(Duration.ofDays(7), Duration.ofHours(1),
            Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofSeconds(30), 10_000);
    static final HarvestConfig HARVEST = new HarvestConfig(Duration.ofMinutes(10), 10, Duration.ofSeconds(2), 30,
            Duration.ofMinutes(30));

    private TestPolicies() {
    }
}
