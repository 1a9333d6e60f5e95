package net.gatehouse.web;

import io.javalin.http.Context;

/** What a route does, for a request whose principal has passed the route's {@link Access}. */
@FunctionalInterface
public interface Action {
    /** @param who null on {@link Access#PUBLIC} routes */
    void handle(Context ctx, Principal who) throws Exception;
}
