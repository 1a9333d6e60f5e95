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
 *
 * <p>It shows every node ({@code ?node=} empty, the default) or one ({@code ?node=gw2}). The
 * recipients come from the message log, of every node or of the one; SMTP sessions and the queue
 * from the nodes' heartbeats (summed over the nodes that are up); connections and messages since
 * start only from this node's own metrics, which the page says.
 */
public final class DashboardPage {

    static final Duration PERIOD = Duration.ofHours(6);

    /** A line of the "by reason" table. */
    public record ReasonCount(String verdict, String reason, long count) {
    }

    /**
     * The figures of the page.
     *
     * @param node             the node shown; empty for all of them
     * @param self             this node's name: connections since start and messages accepted are its own
     * @param nodes            every node, for the selector and the sums
     * @param sessions         SMTP sessions open: on the node shown, or on every node that is up
     * @param queued           messages queued: on the node shown, or on every node that is up
     * @param wouldReject      recipients accepted in observe mode that verification would have refused
     *                         ({@code would_reject}); not among {@code accepted} nor {@code refused}
     */
    public record Summary(long accepted, long refused, long temporary, List<ReasonCount> byReason,
                          long connectionsTotal, int connectionsActive, long messagesAccepted,
                          int queueSize, long oldestQueuedSeconds, List<String> catchAllDomains, Duration period,
                          String node, String self, NodesPage.Nodes nodes, long sessions, long queued,
                          long wouldReject) {

        /** Whether the page shows every node. */
        public boolean allNodes() {
            return node.isEmpty();
        }

        /** Whether the page shows this node alone, whose own metrics it has. */
        public boolean selfOnly() {
            return node.equals(self);
        }
    }

    /** The chart's data: minutes (epoch seconds) and, per series, a count per minute. */
    public record Chart(List<Long> minutes, Map<String, List<Long>> series) {
    }

    private DashboardPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/", Access.VIEWER, "The dashboard, of every node or of one (node)", (ctx, who) -> {
            String node = RequestValues.text(ctx, "node");
            Summary summary = summary(console, node);
            View view = View.of("Dashboard", "dashboard", who);
            if (!node.isEmpty() && summary.nodes().nodes().stream().noneMatch(n -> n.name().equals(node))) {
                view = view.withError("No node named " + node + " has a heartbeat in the store: the figures below "
                        + "are its message-log entries only.");
            }
            Console.page(ctx, "dashboard.jte", Map.of("view", view, "summary", summary,
                    "directories", DirectoriesPage.list(console).troubled()));
        });
        table.page(GET, "/dashboard/chart", Access.VIEWER, "The dashboard chart's data (JSON), of every node or of one",
                (ctx, who) -> ctx.json(chart(console, RequestValues.text(ctx, "node"))));
    }

    /** The figures of every node ({@code node} empty) or of the node {@code node}. */
    static Summary summary(Console console, String node) {
        ConsoleParts parts = console.parts();
        Instant now = console.clock().instant();
        List<MinuteCount> counts = parts.messageLog().countsByMinute(now.minus(PERIOD), now.plusSeconds(1), node);
        Map<String, ReasonCount> byReason = new TreeMap<>();
        long accepted = 0;
        long refused = 0;
        long temporary = 0;
        long wouldReject = 0;
        for (MinuteCount count : counts) {
            switch (count.verdict()) {
                case "accept" -> accepted += count.count();
                case "tempfail" -> temporary += count.count();
                case "would_reject" -> wouldReject += count.count();
                default -> refused += count.count();
            }
            String key = count.verdict() + "\u0000" + count.reason();
            ReasonCount before = byReason.get(key);
            byReason.put(key, new ReasonCount(count.verdict(), count.reason(),
                    count.count() + (before == null ? 0 : before.count())));
        }
        NodesPage.Nodes nodes = NodesPage.nodes(console);
        long sessions = 0;
        long queued = 0;
        for (NodesPage.Node shown : node.isEmpty() ? nodes.up() : nodes.nodes()) {
            if (node.isEmpty() || shown.name().equals(node)) {
                sessions += shown.self() ? parts.metrics().connectionsActive() : shown.sessions();
                queued += shown.self() ? parts.delivery().size() : shown.queueSize();
            }
        }
        return new Summary(accepted, refused, temporary, List.copyOf(byReason.values()),
                parts.metrics().connectionsTotal(), parts.metrics().connectionsActive(),
                parts.metrics().messagesAcceptedTotal(), parts.delivery().size(),
                parts.delivery().oldestAgeSeconds(), List.copyOf(parts.callout().catchAllDomains()), PERIOD,
                node, nodes.self(), nodes, sessions, queued, wouldReject);
    }

    /** One series per verdict and reason ("refuse: unknown recipient"), one point per minute of the period. */
    static Chart chart(Console console, String node) {
        Instant now = console.clock().instant();
        Instant start = now.minus(PERIOD).truncatedTo(ChronoUnit.MINUTES);
        int minutes = (int) PERIOD.toMinutes() + 1;
        List<Long> axis = new ArrayList<>(minutes);
        for (int i = 0; i < minutes; i++) {
            axis.add(start.plus(Duration.ofMinutes(i)).getEpochSecond());
        }
        Map<String, long[]> series = new TreeMap<>();
        for (MinuteCount count : console.parts().messageLog().countsByMinute(start, now.plusSeconds(1), node)) {
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
