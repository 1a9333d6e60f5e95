package net.gatehouse.web;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the console's pages write times: UTC, to the second. Ages are {@link net.gatehouse.queue.MessageAge}'s. */
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
}
