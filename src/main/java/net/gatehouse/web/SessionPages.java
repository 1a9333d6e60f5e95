package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Map;

/** Signing in and out. */
final class SessionPages {

    private SessionPages() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/login", Access.PUBLIC, "The sign-in form", (ctx, who) -> {
            if (who != null) {
                ctx.redirect(safeNext(ctx.queryParam("next")), HttpStatus.FOUND);
                return;
            }
            form(ctx, View.of("Sign in", "", null), safeNext(ctx.queryParam("next")), "");
        });
        table.page(POST, "/login", Access.PUBLIC, "Signs in and starts a session", (ctx, who) -> {
            String user = orEmpty(ctx.formParam("user")).strip();
            String password = orEmpty(ctx.formParam("password"));
            String next = safeNext(ctx.formParam("next"));
            switch (console.authenticator().login(ctx, user, password)) {
                case Authenticator.Login.Success success -> ctx.redirect(next, HttpStatus.SEE_OTHER);
                case Authenticator.Login.Refused refused -> {
                    ctx.status(HttpStatus.UNAUTHORIZED);
                    form(ctx, View.of("Sign in", "", null).withError("Wrong user name or password."), next, user);
                }
                case Authenticator.Login.Throttled throttled -> {
                    ctx.status(HttpStatus.TOO_MANY_REQUESTS);
                    ctx.header("Retry-After", Long.toString(throttled.retryAfter().toSeconds() + 1));
                    form(ctx, View.of("Sign in", "", null).withError("Too many failed attempts; try again in "
                            + (throttled.retryAfter().toMinutes() + 1) + " minutes."), next, user);
                }
            }
        });
        table.page(POST, "/logout", Access.VIEWER, "Ends the session", (ctx, who) -> {
            console.authenticator().logout(ctx);
            ctx.redirect("/login", HttpStatus.SEE_OTHER);
        });
    }

    private static void form(Context ctx, View view, String next, String user) {
        Console.page(ctx, "login.jte", Map.of("view", view, "next", next, "user", user));
    }

    /** Only paths of this console: never an absolute or protocol-relative URL (no open redirect). */
    static String safeNext(String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")
                || next.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return "/";
        }
        return next;
    }

    static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
