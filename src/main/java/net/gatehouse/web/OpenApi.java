package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3.1 document of the REST API, served at {@value #PATH}. It is made from the
 * {@link RouteTable} itself, so that it lists every API route there is, with its method, summary,
 * path parameters and the role it needs, and cannot fall out of step with the code.
 */
public final class OpenApi {

    public static final String PATH = "/api/v1/openapi.json";
    private static final Pattern PATH_PARAMETER = Pattern.compile("\\{([a-zA-Z_]+)}");
    /** The answers described in full, by method and path; the others are described by their summary. */
    private static final Map<String, String> RESPONSE_SCHEMAS = responseSchemas();

    private OpenApi() {
    }

    static void register(RouteTable table) {
        table.api(GET, PATH, Access.VIEWER, "This document: the OpenAPI description of the API",
                (ctx, who) -> ctx.json(document(table.routes())));
    }

    /** The document for the API routes among {@code routes}. */
    static Map<String, Object> document(List<Route> routes) {
        Map<String, Object> paths = new TreeMap<>();
        for (Route route : routes) {
            if (!route.api()) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> item = (Map<String, Object>) paths.computeIfAbsent(route.path(), p -> new LinkedHashMap<>());
            item.put(route.method().name().toLowerCase(Locale.ROOT), operation(route));
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("openapi", "3.1.0");
        document.put("info", Map.of(
                "title", "Gatehouse API",
                "version", "1",
                "description", "The policy, valid lists, message log, queue and users of a Gatehouse SMTP gateway. "
                        + "Authenticate with a bearer token (gatehouse token create, or the console's Users page). "
                        + "Viewers may read; changes need the admin role. Errors are JSON: {\"error\": message, "
                        + "\"status\": code}."));
        document.put("servers", List.of(Map.of("url", "/")));
        document.put("security", List.of(Map.of("bearer", List.of())));
        document.put("paths", paths);
        Map<String, Object> schemas = new LinkedHashMap<>();
        schemas.put("Error", Map.of(
                "type", "object",
                "required", List.of("error", "status"),
                "properties", Map.of(
                        "error", Map.of("type", "string", "description", "what went wrong, in plain words"),
                        "status", Map.of("type", "integer", "description", "the HTTP status"))));
        schemas.put("Nodes", nodesSchema());
        schemas.put("Node", nodeSchema());
        schemas.putAll(DirectoriesApi.schemas());
        schemas.putAll(CacheApi.schemas());
        document.put("components", Map.of(
                "securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer")),
                "schemas", schemas));
        return document;
    }

    private static Map<String, Object> operation(Route route) {
        Map<String, Object> operation = new LinkedHashMap<>();
        operation.put("summary", route.summary());
        operation.put("operationId", route.method().name().toLowerCase(Locale.ROOT) + route.path()
                .replaceAll("[{}]", "").replaceAll("[^a-zA-Z0-9]+", "_"));
        operation.put("x-gatehouse-role", route.access() == Access.ADMIN ? "admin" : "viewer");
        List<Map<String, Object>> parameters = new ArrayList<>();
        Matcher matcher = PATH_PARAMETER.matcher(route.path());
        while (matcher.find()) {
            parameters.add(Map.of("name", matcher.group(1), "in", "path", "required", true,
                    "schema", Map.of("type", "string")));
        }
        parameters.addAll(CacheApi.queryParameters(route.method().name() + " " + route.path()));
        if (!parameters.isEmpty()) {
            operation.put("parameters", parameters);
        }
        if (route.method().name().equals("POST") || route.method().name().equals("PUT")) {
            operation.put("requestBody", Map.of("required", false, "content", Map.of(
                    "application/json", Map.of("schema", Map.of("type", "object")))));
        }
        Map<String, Object> error = Map.of("content", Map.of("application/json",
                Map.of("schema", Map.of("$ref", "#/components/schemas/Error"))));
        Map<String, Object> responses = new LinkedHashMap<>();
        String schema = RESPONSE_SCHEMAS.get(route.method().name() + " " + route.path());
        responses.put("200", Map.of("description", "done; the answer as JSON",
                "content", Map.of("application/json", Map.of("schema",
                        schema == null ? Map.of() : Map.of("$ref", "#/components/schemas/" + schema)))));
        responses.put("400", withDescription(error, "bad input; the message names the problem"));
        responses.put("401", withDescription(error, "no valid bearer token or session"));
        responses.put("403", withDescription(error, "the token's user has not the role this needs"));
        responses.put("404", withDescription(error, "no such thing"));
        responses.put("409", withDescription(error, "in conflict with the current state (pinned by the file, changed meanwhile)"));
        responses.put("503", withDescription(error, route.method().name().equals("GET")
                ? "the store (PostgreSQL) failed; try again (Retry-After)"
                : "the store (PostgreSQL) cannot be reached: read-only until it answers; nothing changed (Retry-After)"));
        operation.put("responses", responses);
        return operation;
    }

    private static Map<String, String> responseSchemas() {
        Map<String, String> schemas = new LinkedHashMap<>();
        schemas.put("GET /api/v1/nodes", "Nodes");
        schemas.putAll(DirectoriesApi.responses());
        schemas.putAll(CacheApi.responses());
        return Map.copyOf(schemas);
    }

    private static Map<String, Object> nodesSchema() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("self", Map.of("type", "string", "description", "the name of the node that answered"));
        properties.put("staleAfterBeats", Map.of("type", "integer",
                "description", "heartbeats a node may miss before it is listed as stale"));
        properties.put("complete", Map.of("type", "boolean",
                "description", "false when the store could not be read: nodes then holds the answering node alone"));
        properties.put("problem", Map.of("type", "string", "description", "why the list is not complete; empty if it is"));
        properties.put("nodes", Map.of("type", "array", "items", Map.of("$ref", "#/components/schemas/Node")));
        return Map.of("type", "object", "required", List.copyOf(properties.keySet()), "properties", properties);
    }

    private static Map<String, Object> nodeSchema() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("name", Map.of("type", "string"));
        properties.put("version", Map.of("type", "string"));
        properties.put("startedAt", Map.of("type", "string", "format", "date-time"));
        properties.put("lastHeartbeat", Map.of("type", "string", "format", "date-time"));
        properties.put("ageSeconds", Map.of("type", "integer", "description", "seconds since the last heartbeat"));
        properties.put("state", Map.of("type", "string", "enum", List.of(NodesPage.UP, NodesPage.STALE)));
        properties.put("sessions", Map.of("type", "integer", "description", "SMTP sessions open"));
        properties.put("queueSize", Map.of("type", "integer", "description", "messages in the node's queue"));
        properties.put("degraded", Map.of("type", "array", "items", Map.of("type", "string"),
                "description", "what runs degraded: cache: degraded, store: degraded"));
        properties.put("self", Map.of("type", "boolean", "description", "whether this is the node that answered"));
        return Map.of("type", "object", "required", List.copyOf(properties.keySet()), "properties", properties);
    }

    private static Map<String, Object> withDescription(Map<String, Object> response, String description) {
        Map<String, Object> described = new LinkedHashMap<>(response);
        described.put("description", description);
        return described;
    }
}
