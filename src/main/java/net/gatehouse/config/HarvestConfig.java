package net.gatehouse.config;

import java.time.Duration;

/**
 * Directory-harvest protection (SPEC §3): per client IP, unknown recipients counted over a
 * sliding {@code window}; from {@code tarpitAfter} on, each further reply is delayed by
 * {@code tarpitDelay}; at {@code blockAfter} the client gets 421 4.7.0 and is refused for
 * {@code blockFor}. Zero for {@code blockAfter} turns the guard off.
 */
public record HarvestConfig(
        Duration window,
        int tarpitAfter,
        Duration tarpitDelay,
        int blockAfter,
        Duration blockFor) {
}
