package net.gatehouse.web;

import io.javalin.http.Context;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Reading what a request carries in its query (limits, times) or form, refused with a 400 and a
 * message that names the parameter when it cannot be read. JSON bodies: {@link JsonBody}.
 */
final class RequestValues {

    private RequestValues() {
    }

    /** A query parameter, stripped; empty when absent. */
    static String text(Context ctx, String name) {
        String value = ctx.queryParam(name);
        return value == null ? "" : value.strip();
    }

    /** The {@code limit} parameter: {@code fallback} when absent, else a whole number from 1 to {@code max}. */
    static int limit(Context ctx, int fallback, int max) {
        String value = text(ctx, "limit");
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= max) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("limit must be a whole number from 1 to " + max + ", got \"" + value + "\"");
    }

    /**
     * A time parameter: ISO-8601 with an offset ({@code 2025-05-01T10:00:00Z}), or without one as a
     * browser's datetime-local field sends it ({@code 2025-05-01T10:00}, taken as UTC), or a date
     * (its start, UTC); empty when absent.
     */
    static Optional<Instant> instant(Context ctx, String name) {
        String value = text(ctx, name);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(parseInstant(name, value));
    }

    static Instant parseInstant(String name, String value) {
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeException notWithOffset) {
            try {
                return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
            } catch (DateTimeException notLocal) {
                try {
                    return LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC);
                } catch (DateTimeException notADate) {
                    throw ApiException.badRequest(name + " must be an ISO-8601 time such as 2025-05-01T10:00:00Z "
                            + "(without an offset: UTC), got \"" + value + "\"");
                }
            }
        }
    }

    /** A form field, or "" when absent. */
    static String form(Context ctx, String name) {
        String value = ctx.formParam(name);
        return value == null ? "" : value;
    }
}
