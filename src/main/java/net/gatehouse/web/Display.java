package net.gatehouse.web;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the console's pages write times and ages: UTC, to the second. */
public final class Display {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter LOCAL_INPUT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private Display() {
    }

    /** {@code 2025-05-01 10:00:00}, UTC. */
    public static String time(Instant instant) {
        return TIME.format(instant);
    }

    /** The value of a datetime-local input for the instant, UTC. */
    public static String inputTime(Instant instant) {
        return LOCAL_INPUT.format(instant);
    }

    /** {@code 45s}, {@code 12m}, {@code 3h 20m}, {@code 2d 4h}. */
    public static String age(Duration age) {
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
