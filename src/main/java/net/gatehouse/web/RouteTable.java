package net.gatehouse.web;

import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.List;

/**
 * Every route of the console and the API, each with its {@link Access}. The server registers
 * exactly these, each wrapped in the access check, so a route cannot exist without a declared
 * access; the tests enumerate this table to prove that every non-public route refuses anonymous
 * requests, and the OpenAPI document is made from its API routes.
 */
public final class RouteTable {

    private final List<Route> routes = new ArrayList<>();

    public RouteTable page(HandlerType method, String path, Access access, String summary, Action action) {
        routes.add(new Route(method, path, access, summary, false, action));
        return this;
    }

    public RouteTable api(HandlerType method, String path, Access access, String summary, Action action) {
        routes.add(new Route(method, path, access, summary, true, action));
        return this;
    }

    public List<Route> routes() {
        return List.copyOf(routes);
    }
}
