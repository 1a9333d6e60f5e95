package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The audit log page and {@code GET /api/v1/audit}: changes made through the API, with actor, before and after. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditPageIT {

    @TempDir
    static Path directory;
    private TestGateway gateway;
    private ConsoleClient http;
    private String adminToken;
    private String viewerToken;

    @BeforeAll
    void start() throws Exception {
        gateway = TestGateway.in(directory).console("127.0.0.1:0").consoleUser("auditor", "admin")
                .consoleUser("watcher", "viewer").start();
        adminToken = ConsoleClient.createToken(gateway.gateway(), "auditor");
        viewerToken = ConsoleClient.createToken(gateway.gateway(), "watcher");
        http = ConsoleClient.of(gateway.gateway()).session("watcher");
    }

    @AfterAll
    void stop() {
        if (http != null) {
            http.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void aChangeMadeThroughTheApiAppearsOnTheAuditPageWithActorBeforeAndAfter() throws Exception {
        assertThat(http.api("PUT", "/api/v1/users/watcher", adminToken, "{\"role\": \"admin\"}").statusCode())
                .isEqualTo(200);
        assertThat(http.api("PUT", "/api/v1/users/watcher", adminToken, "{\"role\": \"viewer\"}").statusCode())
                .isEqualTo(200);

        HttpResponse<String> page = http.get("/audit");

        assertThat(page.statusCode()).isEqualTo(200);
        String body = page.body();
        int newest = body.indexOf("role: admin</pre></td>\n        <td><pre class=\"value\">role: viewer");
        assertThat(newest).as(body).isPositive();
        assertThat(body.substring(body.lastIndexOf("<tr>", newest))).contains("auditor", "<td>api</td>", "user.role",
                "watcher");
        assertThat(body.indexOf("role: viewer</pre></td>\n        <td><pre class=\"value\">role: admin"))
                .isGreaterThan(newest); // newest first
    }

    @Test
    void apiGivesTheNewestEntriesFirstAndEscapesNothingItself() throws Exception {
        assertThat(http.api("POST", "/api/v1/tokens", adminToken, "{\"label\": \"<script>x</script>\"}").statusCode())
                .isEqualTo(201);

        HttpResponse<String> response = http.api("GET", "/api/v1/audit?limit=1", viewerToken, null);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode entries = ConsoleClient.json(response);
        assertThat(entries.size()).isEqualTo(1);
        assertThat(entries.get(0).get("actor").asString()).isEqualTo("auditor");
        assertThat(entries.get(0).get("door").asString()).isEqualTo("api");
        assertThat(entries.get(0).get("action").asString()).isEqualTo("token.create");
        assertThat(entries.get(0).get("newValue").asString()).contains("label: <script>x</script>");
        assertThat(http.get("/audit").body()).contains("label: &lt;script&gt;x&lt;/script&gt;").doesNotContain("<script>x");
    }

    @Test
    void badLimitsAre400AndAnonymousRequests401() throws Exception {
        for (String limit : new String[] {"0", "-1", "many", "1001"}) {
            HttpResponse<String> response = http.api("GET", "/api/v1/audit?limit=" + limit, viewerToken, null);
            assertThat(response.statusCode()).as(limit).isEqualTo(400);
            assertThat(ConsoleClient.json(response).get("error").asString()).contains("limit");
        }
        assertThat(http.get("/audit?limit=zero").statusCode()).isEqualTo(400);
        try (ConsoleClient anonymous = ConsoleClient.of(gateway.gateway())) {
            assertThat(anonymous.api("GET", "/api/v1/audit", null, null).statusCode()).isEqualTo(401);
            assertThat(anonymous.get("/audit").statusCode()).isEqualTo(302);
        }
    }
}
