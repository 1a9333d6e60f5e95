package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The message log page and {@code GET /api/v1/log}: search by each field and by time, 400 for
 * what cannot be read, and attacker text (HELO names, addresses) shown inert.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessageLogPageIT {

    private static final String SCRIPT = "<script>alert(1)</script>";

    @TempDir
    static Path directory;
    private final TestBackend backend = TestBackend.start();
    private TestGateway gateway;
    private ConsoleClient http;
    private String viewerToken;

    @BeforeAll
    void start() throws Exception {
        gateway = TestGateway.in(directory).console("127.0.0.1:0").protect("example.test", backend.hostPort())
                .consoleUser("vera", "viewer").start();
        viewerToken = ConsoleClient.createToken(gateway.gateway(), "vera");
        http = ConsoleClient.of(gateway.gateway()).session("vera");

        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            client.command("EHLO " + SCRIPT);
            client.command("MAIL FROM:<sender@elsewhere.test>");
            client.command("RCPT TO:<\"" + SCRIPT + "\"@x.test>");
            client.command("RCPT TO:<alice@example.test>");
            client.command("QUIT");
        }
        gateway.gateway().messageLog().flush(Duration.ofSeconds(5));
    }

    @AfterAll
    void stop() {
        if (http != null) {
            http.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    @Test
    void logPageShowsAttackerTextEscapedNeverAsMarkup() throws Exception {
        HttpResponse<String> page = http.get("/log?recipient=x.test");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("&lt;script&gt;alert(1)&lt;/script&gt;") // the recipient
                .contains("&lt;script&gt;alert?1?&lt;/script&gt;") // the HELO name, made printable by the server
                .doesNotContain("<script>alert");
        assertThat(page.body()).contains("relay_denied");
    }

    @Test
    void apiReturnsAttackerTextAsJsonStrings() throws Exception {
        HttpResponse<String> response = http.api("GET", "/api/v1/log?recipient=x.test", viewerToken, null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        JsonNode entries = ConsoleClient.json(response);
        assertThat(entries.size()).isEqualTo(1);
        JsonNode entry = entries.get(0);
        assertThat(entry.get("recipient").asString()).isEqualTo("<\"" + SCRIPT + "\"@x.test>");
        assertThat(entry.get("helo").asString()).isEqualTo("<script>alert?1?</script>");
        assertThat(entry.get("kind").asString()).isEqualTo("rcpt");
        assertThat(entry.get("verdict").asString()).isEqualTo("reject");
        assertThat(entry.get("client").asString()).isEqualTo("127.0.0.1");
    }

    @Test
    void searchesBySenderRecipientClientAndVerdict() throws Exception {
        assertThat(recipients("/api/v1/log?verdict=accept")).containsExactly("<alice@example.test>");
        assertThat(recipients("/api/v1/log?sender=ELSEWHERE&client=127.0.0")).hasSize(2);
        assertThat(recipients("/api/v1/log?sender=nobody")).isEmpty();
        assertThat(recipients("/api/v1/log?limit=1")).hasSize(1);
    }

    @Test
    void searchesByTimeInIsoOrDatetimeLocalForm() throws Exception {
        Instant now = Instant.now();
        assertThat(recipients("/api/v1/log?from=" + now.minusSeconds(600) + "&to=" + now.plusSeconds(60))).hasSize(2);
        assertThat(recipients("/api/v1/log?from=" + ConsoleClient.encode(now.plusSeconds(3600).toString()))).isEmpty();
        String future = Display.inputTime(now.plusSeconds(7200)).substring(0, 16); // 2025-05-01T10:00, as browsers send it
        assertThat(recipients("/api/v1/log?to=" + future)).hasSize(2);
        assertThat(recipients("/api/v1/log?to=2001-01-01")).isEmpty();

        HttpResponse<String> page = http.get("/log?from=" + Display.inputTime(now.minusSeconds(600)).substring(0, 16));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("alice@example.test");
    }

    @Test
    void refusesUnreadableTimesAndLimitsWith400() throws Exception {
        for (String query : List.of("from=yesterday", "to=2025-13-45", "limit=0", "limit=ten", "limit=10001",
                "from=2025-05-02T00:00:00Z&to=2025-05-01T00:00:00Z")) {
            HttpResponse<String> response = http.api("GET", "/api/v1/log?" + query, viewerToken, null);
            assertThat(response.statusCode()).as(query).isEqualTo(400);
            JsonNode error = ConsoleClient.json(response);
            assertThat(error.get("status").asInt()).isEqualTo(400);
            assertThat(error.get("error").asString()).as(query).containsAnyOf("from", "to", "limit");
        }
        HttpResponse<String> page = http.get("/log?from=yesterday");
        assertThat(page.statusCode()).isEqualTo(400);
        assertThat(page.body()).contains("from must be an ISO-8601 time");
    }

    @Test
    void requiresAuthentication() throws Exception {
        try (ConsoleClient anonymous = ConsoleClient.of(gateway.gateway())) {
            HttpResponse<String> api = anonymous.api("GET", "/api/v1/log", null, null);
            assertThat(api.statusCode()).isEqualTo(401);
            assertThat(ConsoleClient.json(api).get("error").asString()).contains("sign in");
            assertThat(anonymous.api("GET", "/api/v1/log", "gh_not-a-token", null).statusCode()).isEqualTo(401);
            HttpResponse<String> page = anonymous.get("/log");
            assertThat(page.statusCode()).isEqualTo(302);
            assertThat(page.headers().firstValue("Location").orElseThrow()).startsWith("/login");
        }
    }

    private List<String> recipients(String path) throws Exception {
        HttpResponse<String> response = http.api("GET", path, viewerToken, null);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return ConsoleClient.json(response).valueStream().map(e -> e.get("recipient").asString()).toList();
    }
}
