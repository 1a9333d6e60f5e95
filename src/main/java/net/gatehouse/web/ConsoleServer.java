package net.gatehouse.web;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import net.gatehouse.admin.Refusal;
import net.gatehouse.store.Actor;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson3;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web console and the REST API (SPEC §4) on Javalin (Jetty, one virtual thread per request),
 * with the monitoring endpoints ({@code /metrics}, {@code /healthz}, {@code /readyz}, SPEC §7) on
 * the same listener.
 *
 * <p>Every route comes from the {@link RouteTable} and runs behind the access check of its
 * {@link Access}: anonymous requests to a page are sent to the login page (or get 401 for htmx
 * and forms), to the API get 401 JSON; a viewer asking for a change gets 403; a change from a
 * session without its CSRF token gets 403. Only the login page, the static files and the
 * monitoring endpoints are public.
 *
 * <p>Every response carries a strict Content-Security-Policy (scripts and styles from this origin
 * only, no inline script, no framing), {@code X-Content-Type-Options: nosniff} and
 * {@code Referrer-Policy: same-origin}; pages and API answers are {@code Cache-Control: no-store}.
 * Templates are JTE, precompiled at build, HTML-escaping every value by default.
 *
 * <p>While the store cannot be reached ({@value #STORE_DEGRADED} among what runs degraded, SPEC
 * §6), the console is read-only: every page shows a banner saying so, and every change is refused
 * before it is attempted with 503 (JSON on the API), nothing changed. A request that meets the
 * store failing gets 503 with the store's words, not a 500.
 */
public final class ConsoleServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConsoleServer.class);
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";
    private static final long MAX_REQUEST_BYTES = 64L << 20; // a valid-list file of about a million addresses
    static final String PRINCIPAL = "gatehouse.principal";
    /** The line of {@code /readyz} while the store cannot be reached: the console is read-only then. */
    public static final String STORE_DEGRADED = "store: degraded";
    static final String READ_ONLY = "The store (PostgreSQL) cannot be reached: the console is read-only until it "
            + "answers again. Mail flows on with the policy and lists last loaded; nothing was changed.";
    private static final String READ_ONLY_BANNER = "<p class=\"notice error read-only\" role=\"alert\">"
            + Html.escape(READ_ONLY) + "</p>";
    private static final String READ_ONLY_BANNER_TEXT = Html.escape(READ_ONLY);
    private static final String RETRY_AFTER_SECONDS = "5";

    private final Javalin app;
    private final List<Route> routes;
    private final int port;

    private ConsoleServer(Javalin app, List<Route> routes) {
        this.app = app;
        this.routes = routes;
        this.port = app.port();
    }

    /**
     * Binds {@code address} (port 0: chosen by the system, see {@link #port()}) and serves the routes.
     *
     * @param ready read at every {@code /readyz}; must be cheap and not block
     * @throws IllegalStateException (from Jetty) if the address cannot be bound
     */
    public static ConsoleServer start(InetSocketAddress address, RouteTable table, Authenticator authenticator,
                                      GatewayMetrics metrics, BooleanSupplier ready) {
        return start(address, table, authenticator, metrics, ready, List::of);
    }

    /**
     * As above, and {@code /readyz} lists in its body what runs degraded ({@code cache: degraded},
     * SPEC §6), one line each, while it still answers 200: a degraded node serves mail.
     *
     * @param degraded read at every {@code /readyz}; must be cheap and not block
     */
    public static ConsoleServer start(InetSocketAddress address, RouteTable table, Authenticator authenticator,
                                      GatewayMetrics metrics, BooleanSupplier ready, Supplier<List<String>> degraded) {
        List<Route> routes = table.routes();
        JsonMapper json = Json.MAPPER;
        BooleanSupplier readOnly = () -> degraded.get().contains(STORE_DEGRADED);
        Javalin app = Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.prefer405over404 = true;
            config.http.maxRequestSize = MAX_REQUEST_BYTES;
            config.jsonMapper(new JavalinJackson3(json, false));
            config.staticFiles.add(files -> {
                files.hostedPath = "/static";
                files.directory = "/web/static";
                files.location = Location.CLASSPATH;
                files.headers = Map.of("Cache-Control", "max-age=3600", "X-Content-Type-Options", "nosniff");
            });
            config.routes.before(ctx -> securityHeaders(ctx));
            config.routes.get("/healthz", ctx -> ctx.contentType("text/plain; charset=utf-8").result("ok\n"));
            config.routes.get("/readyz", ctx -> {
                boolean up = ready.getAsBoolean();
                StringBuilder body = new StringBuilder(up ? "ready\n" : "not ready\n");
                degraded.get().forEach(line -> body.append(line).append('\n'));
                ctx.status(up ? 200 : 503).contentType("text/plain; charset=utf-8").result(body.toString());
            });
            config.routes.get("/metrics", ctx -> ctx.contentType(GatewayMetrics.CONTENT_TYPE).result(metrics.scrape()));
            for (Route route : routes) {
                config.routes.addHttpHandler(route.method(), route.path(),
                        ctx -> guarded(ctx, route, authenticator, readOnly));
            }
            config.routes.after(ctx -> {
                if (readOnly.getAsBoolean()) {
                    banner(ctx);
                }
            });
            config.routes.exception(ApiException.class, (e, ctx) -> failure(ctx, e.status(), e.getMessage()));
            config.routes.exception(Refusal.class, (e, ctx) -> failure(ctx, ApiException.of(e).status(), e.getMessage()));
            config.routes.exception(StoreException.class, (e, ctx) -> {
                // expected while the store is away: one line, no stack trace
                log.warn("console_store_failed method={} path={} error=\"{}\"", ctx.method(), ctx.path(), e.getMessage());
                ctx.header("Retry-After", RETRY_AFTER_SECONDS);
                failure(ctx, HttpStatus.SERVICE_UNAVAILABLE, "the store failed; nothing was changed (try again when "
                        + "it answers): " + e.getMessage());
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.warn("console_error method={} path={} error=\"{}\"", ctx.method(), ctx.path(), e.toString(), e);
                failure(ctx, HttpStatus.INTERNAL_SERVER_ERROR, "internal error; the gateway's log has the details");
            });
            config.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty() || ctx.result().startsWith("Endpoint ")) {
                    failure(ctx, HttpStatus.NOT_FOUND, "not found");
                }
            });
        });
        app.start(address.getHostString(), address.getPort());
        log.info("console_listening address={}:{} routes={} paths=/,/api/v1,/metrics,/healthz,/readyz",
                address.getHostString(), app.port(), routes.size());
        return new ConsoleServer(app, routes);
    }

    /** The port bound at start (it stays the answer after {@link #close()}). */
    public int port() {
        return port;
    }

    public List<Route> routes() {
        return routes;
    }

    private static void securityHeaders(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("X-Frame-Options", "DENY");
        if (!ctx.path().startsWith("/static/")) {
            ctx.header("Cache-Control", "no-store");
        }
    }

    /** Puts the read-only banner at the top of a console page. */
    private static void banner(Context ctx) {
        String type = ctx.res().getContentType();
        if (type == null || !type.startsWith("text/html")) {
            return;
        }
        String page = ctx.result();
        int main = page == null ? -1 : page.indexOf("<main>");
        if (main >= 0 && !page.contains(READ_ONLY_BANNER_TEXT)) {
            int at = main + "<main>".length();
            ctx.result(page.substring(0, at) + READ_ONLY_BANNER + page.substring(at));
        }
    }

    private static void guarded(Context ctx, Route route, Authenticator authenticator, BooleanSupplier readOnly)
            throws Exception {
        if (route.access() == Access.PUBLIC) {
            route.action().handle(ctx, authenticator.authenticate(ctx).orElse(null));
            return;
        }
        Optional<Principal> who = authenticator.authenticate(ctx);
        if (who.isEmpty()) {
            unauthenticated(ctx, route);
            return;
        }
        Principal principal = who.get().through(route.api() ? Actor.Door.API : Actor.Door.CONSOLE);
        if (!route.access().allows(principal.role())) {
            failure(ctx, HttpStatus.FORBIDDEN, "your role (" + principal.role().word() + ") may not do this; "
                    + "an administrator may");
            return;
        }
        if (!Authenticator.csrfValid(ctx, principal)) {
            failure(ctx, HttpStatus.FORBIDDEN, "the form has expired or did not come from this console "
                    + "(missing or wrong CSRF token); reload the page and try again");
            return;
        }
        if (route.method() != HandlerType.GET && readOnly.getAsBoolean()) {
            ctx.header("Retry-After", RETRY_AFTER_SECONDS);
            failure(ctx, HttpStatus.SERVICE_UNAVAILABLE, READ_ONLY);
            return;
        }
        ctx.attribute(PRINCIPAL, principal);
        route.action().handle(ctx, principal);
    }

    private static void unauthenticated(Context ctx, Route route) {
        boolean page = !route.api() && ctx.method() == HandlerType.GET && ctx.header("HX-Request") == null;
        if (page) {
            String next = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
            ctx.redirect("/login?next=" + java.net.URLEncoder.encode(next, java.nio.charset.StandardCharsets.UTF_8),
                    HttpStatus.FOUND);
            return;
        }
        if (route.api()) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"gatehouse\"");
        }
        failure(ctx, HttpStatus.UNAUTHORIZED, "sign in first: a session (console) or a bearer token (API)");
    }

    /** An error as JSON on the API, as a short page elsewhere. */
    static void failure(Context ctx, HttpStatus status, String message) {
        ctx.status(status);
        if (ctx.path().startsWith("/api/")) {
            ctx.json(Map.of("error", message, "status", status.getCode()));
        } else {
            ctx.contentType("text/html; charset=utf-8").result("<!doctype html><title>" + status.getCode()
                    + "</title><main><p>" + Html.escape(message) + "</p><p><a href=\"/\">Gatehouse console</a></p></main>");
        }
    }

    /** Renders a precompiled JTE template ({@code src/main/jte}) with its parameters. */
    static String render(String template, Map<String, Object> params) {
        StringOutput output = new StringOutput();
        TEMPLATES.render(template, params, output);
        return output.toString();
    }

    private static final TemplateEngine TEMPLATES = TemplateEngine.createPrecompiled(ContentType.Html);

    @Override
    public void close() {
        app.stop();
    }
}
