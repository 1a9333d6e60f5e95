package net.gatehouse.web;

import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;
import static io.javalin.http.HandlerType.PUT;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.gatehouse.directory.Directories;

/**
 * The LDAP directories through the API (SPEC §8): {@code /api/v1/directories}, the same answers as
 * {@link DirectoriesPage}'s, and their schemas for the OpenAPI document.
 */
final class DirectoriesApi {

    private DirectoriesApi() {
    }

    static void register(RouteTable table, Console console) {
        table.api(GET, "/api/v1/directories", Access.VIEWER, "The LDAP directories (policy.directories), each with "
                + "its state (ok, stale, unavailable), servers, snapshot, last attempt and last error",
                (ctx, who) -> ctx.json(DirectoriesPage.list(console)));
        table.api(GET, "/api/v1/directories/{name}", Access.VIEWER, "One LDAP directory's state",
                (ctx, who) -> ctx.json(DirectoriesPage.state(console, ctx.pathParam("name"))));
        table.api(POST, "/api/v1/directories", Access.ADMIN, "Adds a directory to the console's policy: its keys as "
                + "the file names them (name, servers, base_dn, ...; left out: the default), and bind_password, "
                + "which is kept in the store and never shown; audited, in force on every node within seconds",
                (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly(fields());
                    String name = console.admin().directorySettings().put(who.actor(), keys(body),
                            body.text("bind_password"), false, true);
                    ctx.status(HttpStatus.CREATED).json(DirectoriesPage.state(console, name));
                });
        table.api(PUT, "/api/v1/directories/{name}", Access.ADMIN, "Replaces the settings of a directory of the "
                + "console's policy (a key left out takes its default); bind_password replaces the password, "
                + "remove_bind_password removes it, neither keeps it; audited", (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly(fields());
                    String name = ctx.pathParam("name");
                    if (body.text("name").isPresent() && !body.requiredText("name").equals(name)) {
                        throw ApiException.badRequest("name in the body (" + Authenticator.printable(
                                body.requiredText("name")) + ") differs from the path; to rename a directory, "
                                + "add the new one and remove the old");
                    }
                    Map<String, Object> keys = keys(body);
                    keys.put("name", name);
                    console.admin().directorySettings().put(who.actor(), keys, body.text("bind_password"),
                            body.bool("remove_bind_password").orElse(false), false);
                    ctx.json(DirectoriesPage.state(console, name));
                });
        table.api(DELETE, "/api/v1/directories/{name}", Access.ADMIN, "Removes a directory of the console's policy, "
                + "with its password and snapshot (refused while a domain uses it); audited", (ctx, who) -> {
                    console.admin().directorySettings().remove(who.actor(), ctx.pathParam("name"));
                    ctx.status(HttpStatus.NO_CONTENT);
                });
        table.api(POST, "/api/v1/directories/{name}/sync", Access.ADMIN, "Syncs a directory now and answers with "
                + "the result (ok, failed, or refused by the shrink guard; {\"force\": true} or ?force=true takes "
                + "the snapshot anyway); audited", (ctx, who) -> {
                    String name = ctx.pathParam("name");
                    Directories.SyncResult result = console.admin().directories().sync(who.actor(), name, force(ctx));
                    ctx.json(new DirectoriesPage.SyncAnswer(name, result.result(), result.message(), result.entries(),
                            result.addresses(), DirectoriesPage.state(console, name)));
                });
        table.api(POST, "/api/v1/directories/{name}/test", Access.VIEWER, "Reads the directory now and shows which "
                + "entry and attribute give an address, and whether the snapshot in force has it "
                + "(?address= or {\"address\"})", (ctx, who) -> ctx.json(DirectoriesPage.test(console,
                        ctx.pathParam("name"), address(ctx))));
    }

    /** The fields a directory's body may have: its keys, and the password's two. */
    private static String[] fields() {
        List<String> fields = new java.util.ArrayList<>(DirectorySettingsPage.KEYS);
        fields.add("bind_password");
        fields.add("remove_bind_password");
        return fields.toArray(String[]::new);
    }

    /** The directory's keys from the body: lists as lists (or one string), flags as booleans, the rest as text. */
    private static Map<String, Object> keys(JsonBody body) {
        return DirectorySettingsPage.keys(key -> switch (key) {
            case "servers", "attributes" -> body.strings(key).map(items -> String.join("\n", items));
            case "start_tls", "exclude_disabled" -> body.bool(key).map(String::valueOf);
            default -> body.scalar(key);
        });
    }

    private static boolean force(Context ctx) {
        String query = ctx.queryParam("force");
        if (query != null) {
            return switch (query) {
                case "true", "yes", "1" -> true;
                case "false", "no", "0", "" -> false;
                default -> throw ApiException.badRequest("force must be true or false, got \"" + query + "\"");
            };
        }
        if (ctx.body().isBlank()) {
            return false;
        }
        JsonBody body = JsonBody.of(ctx);
        body.allowOnly("force");
        return body.bool("force").orElse(false);
    }

    private static String address(Context ctx) {
        String query = ctx.queryParam("address");
        if (query != null) {
            return query.strip();
        }
        if (ctx.body().isBlank()) {
            return "";
        }
        JsonBody body = JsonBody.of(ctx);
        body.allowOnly("address");
        return body.text("address").map(String::strip).orElse("");
    }

    /** The schemas of the answers, by name, for {@link OpenApi}. */
    static Map<String, Object> schemas() {
        Map<String, Object> schemas = new LinkedHashMap<>();
        schemas.put("Directories", object(Map.of("directories",
                Map.of("type", "array", "items", ref("Directory")))));
        Map<String, Object> directory = new LinkedHashMap<>();
        directory.put("name", Map.of("type", "string"));
        directory.put("state", Map.of("type", "string", "enum", List.of("ok", "stale", "unavailable"),
                "description", "stale: the last sync failed, the last good snapshot is in force; unavailable: "
                        + "no snapshot yet, its domains get 451 4.4.3"));
        directory.put("servers", Map.of("type", "array", "items", Map.of("type", "string")));
        directory.put("snapshotTakenAt", nullableTime("when the snapshot in force was read; null: none yet"));
        directory.put("snapshotAgeSeconds", Map.of("type", List.of("integer", "null")));
        directory.put("entries", Map.of("type", "integer", "description", "entries the snapshot was read from"));
        directory.put("addresses", Map.of("type", "integer", "description", "distinct addresses in the snapshot"));
        directory.put("lastAttempt", nullableTime("the end of the last sync attempt"));
        directory.put("lastSuccess", nullableTime("the last sync that gave a snapshot"));
        directory.put("lastError", Map.of("type", "string", "description", "why the last attempt failed; empty if it succeeded"));
        directory.put("failingSince", nullableTime("the first failed attempt of the current streak; null when not failing"));
        directory.put("source", Map.of("type", "string", "enum", List.of("file", "console"),
                "description", "file: declared in the configuration file, read-only here; console: added in the "
                        + "console or the API"));
        directory.put("password", Map.of("type", "string", "enum", List.of("none", "file", "console", "environment"),
                "description", "where the bind password comes from (never what it is): none (anonymous bind), "
                        + "bind_password_file, set in the console or the API, or GATEHOUSE_LDAP_<NAME>_PASSWORD"));
        directory.put("settings", Map.of("type", "object", "description", "the directory's keys as the "
                + "configuration file writes them (name, servers, base_dn, kind, ...); never a password"));
        schemas.put("Directory", object(directory));
        Map<String, Object> sync = new LinkedHashMap<>();
        sync.put("directory", Map.of("type", "string"));
        sync.put("result", Map.of("type", "string", "enum", List.of("ok", "failed", "refused")));
        sync.put("message", Map.of("type", "string"));
        sync.put("entries", Map.of("type", "integer"));
        sync.put("addresses", Map.of("type", "integer"));
        sync.put("status", ref("Directory"));
        schemas.put("DirectorySync", object(sync));
        Map<String, Object> test = new LinkedHashMap<>();
        test.put("directory", Map.of("type", "string"));
        test.put("address", Map.of("type", "string"));
        test.put("read", Map.of("type", "boolean", "description", "whether the directory could be read"));
        test.put("problem", Map.of("type", "string", "description", "why it could not; empty if it could"));
        test.put("server", Map.of("type", "string", "description", "the server that was read"));
        test.put("entries", Map.of("type", "integer"));
        test.put("addresses", Map.of("type", "integer"));
        test.put("matches", Map.of("type", "array", "items", object(Map.of(
                "dn", Map.of("type", "string"), "attribute", Map.of("type", "string"),
                "value", Map.of("type", "string"), "subAddress", Map.of("type", "boolean",
                        "description", "matched the address without its sub-address")))));
        test.put("listed", Map.of("type", List.of("boolean", "null"), "description", "the directory lists it now"));
        test.put("inSnapshot", Map.of("type", List.of("boolean", "null"),
                "description", "the snapshot in force (the answer at RCPT TO) lists it"));
        test.put("snapshot", Map.of("type", "string", "description", "the snapshot in force in words"));
        schemas.put("DirectoryTest", object(test));
        return schemas;
    }

    /** Which answers the schemas describe: method and path. */
    static Map<String, String> responses() {
        return Map.of("GET /api/v1/directories", "Directories", "GET /api/v1/directories/{name}", "Directory",
                "POST /api/v1/directories", "Directory", "PUT /api/v1/directories/{name}", "Directory",
                "POST /api/v1/directories/{name}/sync", "DirectorySync",
                "POST /api/v1/directories/{name}/test", "DirectoryTest");
    }

    private static Map<String, Object> object(Map<String, Object> properties) {
        return Map.of("type", "object", "required", List.copyOf(properties.keySet()), "properties", properties);
    }

    private static Map<String, Object> ref(String schema) {
        return Map.of("$ref", "#/components/schemas/" + schema);
    }

    private static Map<String, Object> nullableTime(String description) {
        return Map.of("type", List.of("string", "null"), "format", "date-time", "description", description);
    }
}
