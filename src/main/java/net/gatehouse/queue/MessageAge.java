package net.gatehouse.queue;

import java.time.Duration;

/**
 * How long a message has been in the queue, as administrators read it in the console and on the
 * command line ({@code 3h 20m}): two units at most, the larger first, since at a glance "2d 4h"
 * says what matters and "2d 4h 13m 9s" does not. One formatter for both, so that they agree.
 */
public final class MessageAge {

    private MessageAge() {
    }

    /** {@code 45s}, {@code 12m}, {@code 3h 20m}, {@code 2d 4h}; a negative age (clocks apart) is {@code 0s}. */
    public static String format(Duration age) {
        long seconds = Math.max(0, age.toSeconds());
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m";
        }
        if (seconds < 86_400) {
            return seconds / 3600 + "h " + seconds % 3600 / 60 + "m";
        }
        return seconds / 86_400 + "d " + seconds % 86_400 / 3600 + "h";
    }
}
