package net.gatehouse.web;

import io.javalin.http.HandlerType;

/**
 * One route of the console or the API.
 *
 * @param summary one line for the OpenAPI document and the route listing
 * @param api     JSON in and out, bearer tokens or the session; else an HTML page or htmx fragment
 */
public record Route(HandlerType method, String path, Access access, String summary, boolean api, Action action) {
}
