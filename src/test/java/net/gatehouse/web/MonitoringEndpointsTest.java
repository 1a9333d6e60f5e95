package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics}, {@code /healthz} and {@code /readyz} on the console's listener, without signing in. */
class MonitoringEndpointsTest {

    private final GatewayMetrics metrics = new GatewayMetrics();
    private final AtomicBoolean ready = new AtomicBoolean();
    private final AtomicBoolean cacheDegraded = new AtomicBoolean();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @TempDir
    Path dataDir;
    private Database database;
    private ConsoleServer server;

    @BeforeEach
    void start() {
        database = Database.open(Database.EMBEDDED, dataDir);
        server = ConsoleServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new RouteTable(),
                new Authenticator(new ConsoleUsers(database), Clock.systemUTC(), metrics.registry()), metrics, ready::get,
                () -> cacheDegraded.get() ? java.util.List.of("cache: degraded") : java.util.List.of());
    }

    @AfterEach
    void stop() {
        server.close();
        client.close();
        database.close();
    }

    @Test
    void servesTheMetricsInThePrometheusTextFormat() throws Exception {
        metrics.recipient("reject", "relay_denied");

        HttpResponse<String> response = send("GET", "/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(response.body().lines())
                .contains("gatehouse_rcpt_verdicts_total{reason=\"relay_denied\",verdict=\"reject\"} 1.0")
                .anyMatch(l -> l.startsWith("# TYPE gatehouse_rcpt_verdicts_total counter"));
    }

    @Test
    void isHealthyWhileRunningEvenWhenNotReady() throws Exception {
        HttpResponse<String> response = send("GET", "/healthz");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok\n");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    }

    @Test
    void isReadyOnlyOnceTheGatewaySaysSo() throws Exception {
        HttpResponse<String> before = send("GET", "/readyz");
        assertThat(before.statusCode()).isEqualTo(503);
        assertThat(before.body()).isEqualTo("not ready\n");
        assertThat(before.headers().firstValue("Cache-Control")).hasValue("no-store");

        ready.set(true);

        HttpResponse<String> after = send("GET", "/readyz");
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.body()).isEqualTo("ready\n");

        ready.set(false); // draining
        assertThat(send("GET", "/readyz").statusCode()).isEqualTo(503);
    }

    @Test
    void staysReadyWhileDegradedAndSaysSoInTheBody() throws Exception {
        ready.set(true);
        cacheDegraded.set(true);

        HttpResponse<String> degraded = send("GET", "/readyz");
        assertThat(degraded.statusCode()).isEqualTo(200);
        assertThat(degraded.body()).isEqualTo("ready\ncache: degraded\n");

        cacheDegraded.set(false);
        assertThat(send("GET", "/readyz").body()).isEqualTo("ready\n");
    }

    @Test
    void answersHeadWithoutABody() throws Exception {
        HttpResponse<String> response = send("HEAD", "/healthz");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    }

    @Test
    void answersUnknownPathsWith404() throws Exception {
        for (String path : new String[] {"/nothing", "/metrics/x", "/admin", "/healthz/x"}) {
            HttpResponse<String> response = send("GET", path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
        }
    }

    @Test
    void answersOtherMethodsWith405AndTheAllowedOnes() throws Exception {
        for (String method : new String[] {"POST", "PUT", "DELETE"}) {
            HttpResponse<String> response = send(method, "/metrics");
            assertThat(response.statusCode()).as(method).isEqualTo(405);
            assertThat(response.headers().firstValue("Allow")).as(method).hasValueSatisfying(
                    allow -> assertThat(allow).contains("GET"));
            assertThat(response.headers().firstValue("Cache-Control")).as(method).hasValue("no-store");
        }
    }

    @Test
    void stopsListeningWhenClosed() {
        server.close();

        assertThatIOException().isThrownBy(() -> send("GET", "/healthz"));
    }

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(5))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
