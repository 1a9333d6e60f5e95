package net.gatehouse.config;

import java.time.Duration;

/**
 * Lifetimes of callout results (SPEC §3). An entry older than its refresh age is still used, and
 * refreshed in the background, so that a hot address never waits for a probe; one older than its
 * lifetime is probed again while the client waits. Temporary failures are not cached: they only
 * hold further probes of the same address off for {@code tempfailHold}.
 */
public record VerificationCacheConfig(
        Duration positiveTtl,
        Duration positiveRefresh,
        Duration negativeTtl,
        Duration negativeRefresh,
        Duration tempfailHold,
        int maxEntries) {
}
