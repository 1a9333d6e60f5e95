package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.gatehouse.store.MessageLog.MinuteCount;

/**
 * The dashboard: what the gateway did in the last hours (from the message log, so that it covers
 * every node of a cluster) and since this node started (from its metrics), the queue, and a chart
 * of accepted and refused recipients per minute by reason.
 */
public final class DashboardPage {

    static final Duration PERIOD = Duration.ofHours(6);

    /** A line of the "by reason" table. */
    public record ReasonCount(String verdict, String reason, long count) {
    }

    /** The figures of the page. */
    public record Summary(long accepted, long refused, long temporary, List<ReasonCount> byReason,
                          long connectionsTotal, int connectionsActive, long messagesAccepted,
                          int queueSize, long oldestQueuedSeconds, List<String> catchAllDomains, Duration period) {
    }

    /** The chart's data: minutes (epoch seconds) and, per series, a count per minute. */
    public record Chart(List<Long> minutes, Map<String, List<Long>> series) {
    }

    private DashboardPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/", Access.VIEWER, "The dashboard", (ctx, who) ->
                Console.page(ctx, "dashboard.jte", Map.of("view", View.of("Dashboard", "dashboard", who),
                        "summary", summary(console))));
        table.page(GET, "/dashboard/chart", Access.VIEWER, "The dashboard chart's data (JSON)", (ctx, who) ->
                ctx.json(chart(console)));
    }

    static Summary summary(Console console) {
        ConsoleParts parts = console.parts();
        Instant now = console.clock().instant();
        List<MinuteCount> counts = parts.messageLog().countsByMinute(now.minus(PERIOD), now.plusSeconds(1));
        Map<String, ReasonCount> byReason = new TreeMap<>();
        long accepted = 0;
        long refused = 0;
        long temporary = 0;
        for (MinuteCount count : counts) {
            switch (count.verdict()) {
                case "accept" -> accepted += count.count();
                case "tempfail" -> temporary += count.count();
                default -> refused += count.count();
            }
            String key = count.verdict() + "\u0000" + count.reason();
            ReasonCount before = byReason.get(key);
            byReason.put(key, new ReasonCount(count.verdict(), count.reason(),
                    count.count() + (before == null ? 0 : before.count())));
        }
        return new Summary(accepted, refused, temporary, List.copyOf(byReason.values()),
                parts.metrics().connectionsTotal(), parts.metrics().connectionsActive(),
                parts.metrics().messagesAcceptedTotal(), parts.delivery().size(),
                parts.delivery().oldestAgeSeconds(), List.copyOf(parts.callout().catchAllDomains()), PERIOD);
    }

    /** One series per verdict and reason ("refuse: unknown recipient"), one point per minute of the period. */
    static Chart chart(Console console) {
        Instant now = console.clock().instant();
        Instant start = now.minus(PERIOD).truncatedTo(ChronoUnit.MINUTES);
        int minutes = (int) PERIOD.toMinutes() + 1;
        List<Long> axis = new ArrayList<>(minutes);
        for (int i = 0; i < minutes; i++) {
            axis.add(start.plus(Duration.ofMinutes(i)).getEpochSecond());
        }
        Map<String, long[]> series = new TreeMap<>();
        for (MinuteCount count : console.parts().messageLog().countsByMinute(start, now.plusSeconds(1))) {
            int index = (int) Duration.between(start, count.minute()).toMinutes();
            if (index >= 0 && index < minutes) {
                String name = count.verdict() + (count.reason().isEmpty() ? "" : ": " + count.reason());
                series.computeIfAbsent(name, k -> new long[minutes])[index] += count.count();
            }
        }
        Map<String, List<Long>> lists = new TreeMap<>();
        series.forEach((name, values) -> lists.put(name, java.util.Arrays.stream(values).boxed().toList()));
        return new Chart(axis, lists);
    }
}
