package net.gatehouse.web;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * A JSON object sent to the API, read field by field so that a missing or mistyped field is
 * answered with a 400 that names it, rather than with a mapping error.
 */
final class JsonBody {

    private final JsonNode root;

    private JsonBody(JsonNode root) {
        this.root = root;
    }

    /** @throws ApiException 400 if the body is not a JSON object */
    static JsonBody of(Context ctx) {
        String body = ctx.body();
        if (body.isBlank()) {
            throw ApiException.badRequest("the request needs a JSON object as its body");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        return new JsonBody(root);
    }

    boolean has(String field) {
        return root.has(field) && !root.get(field).isNull();
    }

    Optional<String> text(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = root.get(field);
        if (!value.isString()) {
            throw ApiException.badRequest(field + " must be a string");
        }
        return Optional.of(value.asString());
    }

    String requiredText(String field) {
        return text(field).orElseThrow(() -> ApiException.badRequest(field + " is required"));
    }

    Optional<Boolean> bool(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = root.get(field);
        if (!value.isBoolean()) {
            throw ApiException.badRequest(field + " must be true or false");
        }
        return Optional.of(value.asBoolean());
    }

    /** A string or a number, as text: for settings such as {@code "7d"} or {@code 30}. */
    Optional<String> scalar(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = root.get(field);
        if (!value.isString() && !value.isIntegralNumber()) {
            throw ApiException.badRequest(field + " must be a string or a whole number");
        }
        return Optional.of(value.asString());
    }

    /** A string, a whole number or true/false, as text: for {@code enforce: false} or {@code "inherit"}. */
    Optional<String> word(String field) {
        if (has(field) && root.get(field).isBoolean()) {
            return Optional.of(String.valueOf(root.get(field).asBoolean()));
        }
        return scalar(field);
    }

    /** A list of strings; a single string is taken as a list of one. */
    Optional<List<String>> strings(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = root.get(field);
        if (value.isString()) {
            return Optional.of(List.of(value.asString()));
        }
        if (!value.isArray()) {
            throw ApiException.badRequest(field + " must be a list of strings");
        }
        List<String> strings = new ArrayList<>();
        for (JsonNode element : value) {
            if (!element.isString()) {
                throw ApiException.badRequest(field + " must be a list of strings");
            }
            strings.add(element.asString());
        }
        return Optional.of(strings);
    }

    /** A nested object, for settings grouped as in the file ({@code cache}, {@code harvest}). */
    Optional<JsonBody> object(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = root.get(field);
        if (!value.isObject()) {
            throw ApiException.badRequest(field + " must be a JSON object");
        }
        return Optional.of(new JsonBody(value));
    }

    /** The names of the fields, to refuse unknown ones (a typing mistake should not pass silently). */
    List<String> fields() {
        List<String> names = new ArrayList<>();
        root.propertyNames().forEach(names::add);
        return names;
    }

    void allowOnly(String... allowed) {
        List<String> known = List.of(allowed);
        for (String field : fields()) {
            if (!known.contains(field)) {
                throw ApiException.badRequest("unknown field " + field + "; expected " + String.join(", ", known));
            }
        }
    }
}
