package net.gatehouse.web;

import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;
import static io.javalin.http.HandlerType.PUT;

import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.gatehouse.web.DomainsPage.DomainRow;

/**
 * The protected domains on the API: {@code /api/v1/domains}. A domain is
 * {@code {"name", "backends": ["host:port", ...], "verification": "inherit|none|callout|valid_list|directory"}};
 * answers add {@code effective_verification}, {@code source} (file or console: the file's are
 * read-only), {@code catch_all} and {@code valid_list_entries}.
 */
final class DomainsApi {

    private static final String[] FIELDS = {"name", "backends", "backend", "verification", "enforce",
        "unknown_recipient_reply", "when_backend_down"};

    private DomainsApi() {
    }

    static void register(RouteTable table, Console console) {
        table.api(GET, "/api/v1/domains", Access.VIEWER, "Lists the protected domains", (ctx, who) -> {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("global_verification", console.parts().policy().effective().recipientVerification().configName());
            json.put("domains", DomainsPage.rows(console).stream().map(DomainRow::json).toList());
            ctx.json(json);
        });
        table.api(POST, "/api/v1/domains", Access.ADMIN, "Adds a protected domain (name, backends, verification; "
                + "enforce, unknown_recipient_reply, when_backend_down: inherit when left out)", (ctx, who) -> {
            JsonBody body = JsonBody.of(ctx);
            body.allowOnly(FIELDS);
            DomainRow added = DomainsPage.put(console, who, body.requiredText("name"), backends(body),
                    body.text("verification").orElse(null), rollout(body), true);
            ctx.status(HttpStatus.CREATED).json(added.json());
        });
        table.api(GET, "/api/v1/domains/{name}", Access.VIEWER, "A protected domain", (ctx, who) ->
                ctx.json(DomainsPage.find(console, ctx.pathParam("name")).json()));
        table.api(PUT, "/api/v1/domains/{name}", Access.ADMIN, "Adds or replaces a protected domain (the fields of POST "
                + "/api/v1/domains)", (ctx, who) -> {
            JsonBody body = JsonBody.of(ctx);
            body.allowOnly(FIELDS);
            String name = ctx.pathParam("name");
            if (body.text("name").isPresent()
                    && !DomainsPage.normalizeName(body.requiredText("name")).equals(DomainsPage.normalizeName(name))) {
                throw ApiException.badRequest("name in the body (" + Authenticator.printable(body.requiredText("name"))
                        + ") differs from the path; to rename a domain, delete it and add the new name");
            }
            boolean existed = DomainsPage.rows(console).stream()
                    .anyMatch(row -> row.name().equals(DomainsPage.normalizeName(name)));
            DomainRow saved = DomainsPage.put(console, who, name, backends(body),
                    body.text("verification").orElse(null), rollout(body), false);
            ctx.status(existed ? HttpStatus.OK : HttpStatus.CREATED).json(saved.json());
        });
        table.api(DELETE, "/api/v1/domains/{name}", Access.ADMIN, "Deletes a protected domain", (ctx, who) -> {
            console.admin().domains().remove(who.actor(), ctx.pathParam("name"));
            ctx.status(HttpStatus.NO_CONTENT);
        });
    }

    /** {@code enforce} (true, false or "inherit"), {@code unknown_recipient_reply}, {@code when_backend_down}; absent: inherit. */
    private static Map<String, String> rollout(JsonBody body) {
        Map<String, String> given = new LinkedHashMap<>();
        for (String key : DomainsPage.ROLLOUT_KEYS) {
            body.word(key).ifPresent(value -> given.put(key, value));
        }
        return given;
    }

    /** {@code backends} (or {@code backend}, the file's word): a list, or one string of several. */
    private static List<String> backends(JsonBody body) {
        List<String> given = body.strings("backends").or(() -> body.strings("backend"))
                .orElseThrow(() -> ApiException.badRequest("backends is required: a list of host:port"));
        return given.stream().flatMap(text -> DomainsPage.backendList(text).stream()).toList();
    }
}
