package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;

import java.util.Map;
import net.gatehouse.store.AuditLog;

/** The audit log: every change, newest first, with who made it and the value before and after. */
public final class AuditPage {

    static final int DEFAULT_LIMIT = 200;

    private AuditPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/audit", Access.VIEWER, "The audit log", (ctx, who) -> {
            View view = View.of("Audit log", "audit", who);
            int limit;
            try {
                limit = RequestValues.limit(ctx, DEFAULT_LIMIT, AuditLog.MAX_ENTRIES);
            } catch (ApiException e) {
                ctx.status(e.status());
                view = view.withError(e.getMessage());
                limit = DEFAULT_LIMIT;
            }
            Console.page(ctx, "audit.jte", Map.of("view", view, "entries", console.audit().recent(limit),
                    "limit", limit));
        });
        table.api(GET, "/api/v1/audit", Access.VIEWER, "The audit log, newest first (limit: 1 to "
                + AuditLog.MAX_ENTRIES + ", default " + DEFAULT_LIMIT + ")", (ctx, who) ->
                ctx.json(console.audit().recent(RequestValues.limit(ctx, DEFAULT_LIMIT, AuditLog.MAX_ENTRIES))));
    }
}
