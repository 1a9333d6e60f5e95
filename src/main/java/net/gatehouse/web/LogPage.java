package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.gatehouse.log.LogEntry;
import net.gatehouse.store.LogQuery;
import net.gatehouse.store.LoggedEntry;

/**
 * The message log: RCPT decisions and delivery results, searched by sender, recipient, client,
 * verdict and time. Every field but the time and the kind is text a client chose (HELO names,
 * addresses) or a server sent (replies): the page writes it only through JTE's escaping, the API
 * only as JSON strings.
 */
public final class LogPage {

    static final int DEFAULT_LIMIT = 100;
    static final int PAGE_MAX_LIMIT = 1000;

    /** The verdicts offered by the search form: RCPT decisions, then delivery results. */
    public static final List<String> VERDICTS = List.of("accept", "reject", "tempfail", "would_reject", "sent",
            "deferred", "bounced");

    /** The search form as submitted, to show it again; times as a datetime-local field wants them. */
    public record Search(String sender, String recipient, String client, String verdict, String node, String from,
                         String to, int limit) {
    }

    /** One entry as the API gives it, with the node that wrote it ('' for entries older than node names). */
    public record Entry(Instant at, String kind, String client, String helo, String sender, String recipient,
                        String verdict, String reason, String reply, String queueId, String node) {

        static Entry of(LoggedEntry logged) {
            LogEntry entry = logged.entry();
            return new Entry(entry.at(), entry.kind().word(), entry.client(), entry.helo(), entry.sender(),
                    entry.recipient(), entry.verdict(), entry.reason(), entry.reply(), entry.queueId(), logged.node());
        }
    }

    private LogPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/log", Access.VIEWER, "The message log, searched", (ctx, who) -> {
            View view = View.of("Message log", "log", who);
            Search shown = new Search(RequestValues.text(ctx, "sender"), RequestValues.text(ctx, "recipient"),
                    RequestValues.text(ctx, "client"), RequestValues.text(ctx, "verdict"),
                    RequestValues.text(ctx, "node"), RequestValues.text(ctx, "from"), RequestValues.text(ctx, "to"), DEFAULT_LIMIT);
            try {
                LogQuery query = query(ctx, PAGE_MAX_LIMIT);
                Search search = new Search(query.sender(), query.recipient(), query.client(), query.verdict(),
                        query.node(), RequestValues.instant(ctx, "from").map(Display::inputTime).orElse(""),
                        RequestValues.instant(ctx, "to").map(Display::inputTime).orElse(""), query.limit());
                show(ctx, view, search, console.parts().messageLog().searchWithNodes(query));
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, view.withError(e.getMessage()), shown, List.of());
            }
        });
        table.api(GET, "/api/v1/log", Access.VIEWER, "Searches the message log (sender, recipient, client: "
                + "contained text; verdict: accept, reject, tempfail, would_reject, sent, deferred or bounced, exactly; "
                + "node: a node's name, exactly; from, to: ISO-8601 times; limit: 1 to " + LogQuery.MAX_LIMIT + ", default "
                + DEFAULT_LIMIT + "), newest first", (ctx, who) ->
                ctx.json(console.parts().messageLog().searchWithNodes(query(ctx, LogQuery.MAX_LIMIT)).stream()
                        .map(Entry::of).toList()));
    }

    /** The search the request asks for; 400 for a time or limit that cannot be read. */
    static LogQuery query(Context ctx, int maxLimit) {
        LogQuery query = LogQuery.newest(RequestValues.limit(ctx, DEFAULT_LIMIT, maxLimit))
                .sender(RequestValues.text(ctx, "sender"))
                .recipient(RequestValues.text(ctx, "recipient"))
                .client(RequestValues.text(ctx, "client"))
                .verdict(RequestValues.text(ctx, "verdict"))
                .node(RequestValues.text(ctx, "node"));
        Instant from = RequestValues.instant(ctx, "from").orElse(null);
        Instant to = RequestValues.instant(ctx, "to").orElse(null);
        if (from != null) {
            query = query.from(from);
        }
        if (to != null) {
            query = query.to(to);
        }
        if (from != null && to != null && !from.isBefore(to)) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "from must be before to");
        }
        return query;
    }

    private static void show(Context ctx, View view, Search search, List<LoggedEntry> entries) {
        Console.page(ctx, "log.jte", Map.of("view", view, "search", search, "entries", entries,
                "verdicts", VERDICTS));
    }
}
