package net.gatehouse.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SPEC §7: what a Prometheus scraper and a load balancer see of a running gateway. */
class MetricsIT {

    @TempDir
    Path directory;

    @Test
    void countsConnectionsAndVerdictsAndReportsReadiness() throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (TestBackend backend = TestBackend.start();
             TestGateway gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                     .console("127.0.0.1:" + port).start()) {
            try (SmtpTestClient client = gateway.client()) {
                client.command("MAIL FROM:<a@elsewhere.test>");
                client.command("RCPT TO:<alice@example.test>");
                client.command("RCPT TO:<x@elsewhere.test>");
            }
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body())
                    .contains("gatehouse_rcpt_verdicts_total{reason=\"relay_denied\",verdict=\"reject\"} 1.0")
                    .contains("gatehouse_rcpt_verdicts_total{reason=\"unverified\",verdict=\"accept\"} 1.0")
                    .contains("gatehouse_smtp_connections_total 1.0")
                    .contains("gatehouse_queue_size");
        }
    }
}
