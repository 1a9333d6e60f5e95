package net.gatehouse.queue;

import java.time.Duration;
import java.time.Instant;
import net.gatehouse.config.DeliveryConfig;

/**
 * When to try a deferred message again: the delay doubles from {@code minBackoff} up to
 * {@code maxBackoff} (Postfix's minimal/maximal_backoff_time), and a message older than
 * {@code maxLifetime} is given up and bounced (RFC 5321 4.5.4.1: at least 4-5 days).
 */
record RetrySchedule(Duration minBackoff, Duration maxBackoff, Duration maxLifetime) {

    static RetrySchedule of(DeliveryConfig config) {
        return new RetrySchedule(config.minBackoff(), config.maxBackoff(), config.maxLifetime());
    }

    /** Delay before the attempt following attempt number {@code attempts} (1 = the first one). */
    Duration delayAfter(int attempts) {
        Duration delay = minBackoff;
        for (int i = 1; i < attempts && delay.compareTo(maxBackoff) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
    }

    boolean expired(Instant received, Instant now) {
        return !received.plus(maxLifetime).isAfter(now);
    }
}
