package net.gatehouse.web;

import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.HttpStatus;
import io.javalin.http.UploadedFile;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.store.ValidRecipientStore.ImportResult;

/**
 * A domain's valid list on the API: {@code /api/v1/domains/{name}/recipients}. Search and count;
 * add ({@code {"addresses": [...]}}); delete one entry; import a list file (the body as
 * {@code text/plain}, or a multipart upload in the field {@code file}; {@code ?replace=true} makes
 * the list exactly the file's entries). Changes are audited and in force on return.
 */
final class RecipientsApi {

    private RecipientsApi() {
    }

    static void register(RouteTable table, Console console) {
        table.api(GET, "/api/v1/domains/{name}/recipients", Access.VIEWER,
                "Counts and searches a domain's valid list (?q=text&limit=n)", (ctx, who) -> {
                    String domain = RecipientsPage.listDomain(ctx.pathParam("name"));
                    int limit = limit(ctx.queryParam("limit"));
                    String query = ctx.queryParam("q") == null ? "" : ctx.queryParam("q");
                    ValidRecipientStore store = console.parts().validRecipients();
                    List<String> entries = store.search(domain, query, limit);
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("domain", domain);
                    json.put("count", store.count(domain));
                    json.put("query", query);
                    json.put("limit", limit);
                    json.put("entries", entries);
                    json.put("truncated", entries.size() >= limit);
                    ctx.json(json);
                });
        table.api(POST, "/api/v1/domains/{name}/recipients", Access.ADMIN,
                "Adds entries to a domain's valid list", (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly("addresses");
                    List<String> addresses = body.strings("addresses")
                            .orElseThrow(() -> ApiException.badRequest("addresses is required: a list of addresses"));
                    String domain = RecipientsPage.listDomain(ctx.pathParam("name"));
                    int added = console.admin().validLists().add(who.actor(), domain, addresses);
                    ctx.json(Map.of("domain", domain, "given", addresses.size(), "added", added,
                            "count", console.parts().validRecipients().count(domain)));
                });
        table.api(DELETE, "/api/v1/domains/{name}/recipients/{address}", Access.ADMIN,
                "Deletes an entry from a domain's valid list", (ctx, who) -> {
                    String domain = ctx.pathParam("name");
                    String address = ctx.pathParam("address");
                    if (console.admin().validLists().remove(who.actor(), domain, List.of(address)) == 0) {
                        throw RecipientsPage.notListed(domain, address);
                    }
                    ctx.status(HttpStatus.NO_CONTENT);
                });
        table.api(POST, "/api/v1/domains/{name}/recipients/import", Access.ADMIN,
                "Imports a list file into a domain's valid list (text/plain or multipart; ?replace=true)",
                (ctx, who) -> {
                    boolean replace = replace(ctx.queryParam("replace"));
                    String domain = RecipientsPage.listDomain(ctx.pathParam("name"));
                    ImportResult result;
                    if (ctx.isMultipartFormData()) {
                        UploadedFile file = ctx.uploadedFile("file");
                        if (file == null) {
                            throw ApiException.badRequest("the multipart request has no field named file");
                        }
                        try (InputStream in = file.content()) {
                            result = RecipientsPage.importFile(console, who, domain, in, replace, file.filename());
                        }
                    } else {
                        try (InputStream in = ctx.bodyInputStream()) {
                            result = RecipientsPage.importFile(console, who, domain, in, replace, "");
                        }
                    }
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("domain", domain);
                    json.put("entries", result.entries());
                    json.put("before", result.before());
                    json.put("after", result.after());
                    json.put("added", result.replaced() ? 0 : result.added());
                    json.put("replaced", result.replaced());
                    ctx.json(json);
                });
    }

    private static int limit(String text) {
        if (text == null || text.isBlank()) {
            return RecipientsPage.DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text.strip());
            if (limit >= 1 && limit <= ValidRecipientStore.MAX_SEARCH_RESULTS) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw ApiException.badRequest("limit must be a number from 1 to " + ValidRecipientStore.MAX_SEARCH_RESULTS);
    }

    private static boolean replace(String text) {
        if (text == null || text.isBlank()) {
            return false;
        }
        return switch (text.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.badRequest("replace must be true or false");
        };
    }
}
