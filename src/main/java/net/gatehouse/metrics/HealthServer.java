package net.gatehouse.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints of monitoring (SPEC §7), on the JDK's HTTP server with one virtual thread
 * per exchange:
 *
 * <ul>
 *   <li>{@code GET /metrics}: {@link GatewayMetrics#scrape()} in the Prometheus text format;
 *   <li>{@code GET /healthz}: 200 {@code ok} while the process runs (liveness);
 *   <li>{@code GET /readyz}: 200 {@code ready} when the gateway can take mail (its SMTP listeners
 *       are bound and the spool is recovered), else 503 {@code not ready}, so that a load balancer
 *       sends no connections to a node that is starting or draining.
 * </ul>
 *
 * {@code HEAD} is answered like {@code GET} without the body; another method on these paths gets
 * 405 with {@code Allow}; any other path 404. Every response carries {@code Cache-Control: no-store}.
 *
 * <p>These endpoints are unauthenticated on purpose: Prometheus scrapers and load-balancer health
 * checks do not log in. They are served on the console's listen address, which defaults to
 * {@code 127.0.0.1}; an administrator who binds it to a public address exposes them (the metrics
 * reveal traffic volumes and refusal reasons, no addresses) and should filter the port. The web
 * console that later takes these routes over requires authentication for every page and API call,
 * and keeps exactly these three paths exempt, as is conventional.
 *
 * <p>Limits: the JDK server has no per-request read deadline of its own (only an idle timeout
 * between requests); a slow client holds a virtual thread, not a platform thread.
 */
public final class HealthServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthServer.class);
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final int STOP_DELAY_SECONDS = 1;

    private final HttpServer server;
    private final ExecutorService executor;
    private final GatewayMetrics metrics;
    private final BooleanSupplier ready;

    private HealthServer(HttpServer server, ExecutorService executor, GatewayMetrics metrics, BooleanSupplier ready) {
        this.server = server;
        this.executor = executor;
        this.metrics = metrics;
        this.ready = ready;
    }

    /**
     * Binds {@code address} (port 0: a port chosen by the system, see {@link #port()}) and starts serving.
     *
     * @param ready read at every {@code /readyz}; must be cheap and must not block
     * @throws IOException if the address cannot be bound
     */
    public static HealthServer start(InetSocketAddress address, GatewayMetrics metrics, BooleanSupplier ready)
            throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new IOException("cannot listen for HTTP on " + address + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        HealthServer health = new HealthServer(server, executor, metrics, ready);
        server.setExecutor(executor);
        server.createContext("/", health::handle);
        server.start();
        log.info("health_listening address={} paths=/metrics,/healthz,/readyz", describe(server.getAddress()));
        return health;
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Response response = respond(exchange.getRequestMethod(), exchange.getRequestURI().getPath());
            byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", response.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            if (response.status() == 405) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            }
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(response.status(), -1);
                return;
            }
            exchange.sendResponseHeaders(response.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private Response respond(String method, String path) {
        if (!path.equals("/metrics") && !path.equals("/healthz") && !path.equals("/readyz")) {
            return new Response(404, TEXT, "not found\n");
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return new Response(405, TEXT, "method not allowed\n");
        }
        return switch (path) {
            case "/metrics" -> new Response(200, GatewayMetrics.CONTENT_TYPE, metrics.scrape());
            case "/healthz" -> new Response(200, TEXT, "ok\n");
            default -> ready.getAsBoolean()
                    ? new Response(200, TEXT, "ready\n")
                    : new Response(503, TEXT, "not ready\n");
        };
    }

    /** Stops listening, gives exchanges in progress up to a second, then ends their threads. */
    @Override
    public void close() {
        server.stop(STOP_DELAY_SECONDS);
        executor.shutdownNow();
    }

    private static String describe(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private record Response(int status, String contentType, String body) {
    }
}
