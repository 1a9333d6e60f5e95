package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.gatehouse.store.NodeTable;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /api/v1/nodes}, the Nodes page and the dashboard's node selector on the embedded
 * store (SPEC §6): the one node, with its heartbeat, its sessions and its queue.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodesPageIT {

    private static final Duration HEARTBEAT = Duration.ofMillis(200);

    @TempDir
    static Path directory;
    private TestGateway gateway;
    private ConsoleClient http;
    private String viewerToken;

    @BeforeAll
    void start() throws Exception {
        gateway = TestGateway.in(directory).console("127.0.0.1:0").node("gw-embedded").heartbeat(HEARTBEAT)
                .consoleUser("watcher", "viewer").start();
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

    private JsonNode nodes() throws Exception {
        HttpResponse<String> response = http.api("GET", "/api/v1/nodes", viewerToken, null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return ConsoleClient.json(response);
    }

    private static JsonNode node(JsonNode answer, String name) {
        for (JsonNode node : answer.get("nodes")) {
            if (node.get("name").asString().equals(name)) {
                return node;
            }
        }
        throw new AssertionError("no node " + name + " in " + answer);
    }

    @Test
    void theApiListsThisNodeFromItsHeartbeatWithItsOpenSessions() throws Exception {
        NodeTable table = new NodeTable(gateway.gateway().database());
        await().atMost(Duration.ofSeconds(20)).until(() -> table.all().stream().anyMatch(n -> n.name().equals("gw-embedded")));

        try (SmtpTestClient session = gateway.client()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> node(nodes(), "gw-embedded").get("sessions").asLong() == 1);
        }
        JsonNode answer = nodes();
        assertThat(answer.get("self").asString()).isEqualTo("gw-embedded");
        assertThat(answer.get("complete").asBoolean()).isTrue();
        assertThat(answer.get("staleAfterBeats").asInt()).isEqualTo(NodeTable.STALE_AFTER_BEATS);
        JsonNode self = node(answer, "gw-embedded");
        assertThat(self.get("state").asString()).isEqualTo("up");
        assertThat(self.get("self").asBoolean()).isTrue();
        assertThat(self.get("version").asString()).isNotEmpty();
        assertThat(self.get("queueSize").asLong()).isZero();
        assertThat(self.get("degraded").isArray()).isTrue();
        assertThat(self.get("degraded").size()).isZero();
        assertThat(self.get("ageSeconds").asLong()).isNotNegative();
        assertThat(Instant.parse(self.get("lastHeartbeat").asString()))
                .isAfterOrEqualTo(Instant.parse(self.get("startedAt").asString()));
    }

    @Test
    void theApiNeedsAnAuthenticatedCallerOfAnyRoleAndIsInTheOpenApiDocument() throws Exception {
        try (ConsoleClient anonymous = ConsoleClient.of(gateway.gateway())) {
            assertThat(anonymous.api("GET", "/api/v1/nodes", null).statusCode()).isEqualTo(401);
            assertThat(anonymous.get("/nodes").statusCode()).isEqualTo(302);
        }
        JsonNode openApi = ConsoleClient.json(http.api("GET", "/api/v1/openapi.json", viewerToken, null));
        JsonNode operation = openApi.get("paths").get("/api/v1/nodes").get("get");
        assertThat(operation.get("x-gatehouse-role").asString()).isEqualTo("viewer");
        assertThat(operation.get("summary").asString()).contains("lastHeartbeat", "ageSeconds", "stale");
        assertThat(operation.get("responses").get("200").get("content").get("application/json").get("schema")
                .get("$ref").asString()).isEqualTo("#/components/schemas/Nodes");
        JsonNode node = openApi.get("components").get("schemas").get("Node");
        List<String> fields = new java.util.ArrayList<>();
        node.get("required").forEach(field -> fields.add(field.asString()));
        JsonNode answered = node(nodes(), "gw-embedded");
        List<String> given = new java.util.ArrayList<>(answered.propertyNames());
        assertThat(given).containsExactlyInAnyOrderElementsOf(fields); // the document describes what the API gives
    }

    @Test
    void thePageListsTheNodesAndMarksAStaleOne() throws Exception {
        Instant longAgo = Instant.now().minus(Duration.ofHours(1));
        new NodeTable(gateway.gateway().database()).beat(new NodeTable.Node("gw-gone", "0.1", longAgo, longAgo,
                Duration.ofSeconds(5), 2, 9, List.of("cache: degraded")));

        HttpResponse<String> page = http.get("/nodes");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<a href=\"/nodes\" class=\"active\">Nodes</a>")
                .contains("<tr class=\"stale\" data-node=\"gw-gone\" data-state=\"stale\">")
                .contains("data-node=\"gw-embedded\" data-state=\"up\"", "this node", "cache: degraded");
        assertThat(node(nodes(), "gw-gone").get("state").asString()).isEqualTo("stale");
        assertThat(node(nodes(), "gw-gone").get("ageSeconds").asLong()).isGreaterThanOrEqualTo(3600);
        assertThat(node(nodes(), "gw-gone").get("self").asBoolean()).isFalse();
    }

    @Test
    void theDashboardShowsAllNodesOrTheOneChosenAndSaysWhereItsFiguresComeFrom() throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<someone@elsewhere.test>");
            assertThat(client.command("RCPT TO:<nobody@not-protected.test>").code()).isEqualTo(554);
        }
        assertThat(gateway.gateway().messageLog().flush(Duration.ofSeconds(10))).isTrue();

        String all = http.get("/").body();
        assertThat(all).contains("<select name=\"node\">", "<option value=\"gw-embedded\"", "(this node)",
                "summed over the nodes that are up (1 of", "node gw-embedded only, the node serving this page, from its own metrics");
        String one = http.get("/?node=gw-embedded").body();
        assertThat(one).contains("Node gw-embedded, the node serving this page", "data-source=\"/dashboard/chart?node=gw-embedded\"");
        String unknown = http.get("/?node=gw-nowhere").body();
        assertThat(unknown).contains("No node named gw-nowhere has a heartbeat");

        JsonNode chartOfThisNode = ConsoleClient.json(http.get("/dashboard/chart?node=gw-embedded"));
        JsonNode chartOfNoNode = ConsoleClient.json(http.get("/dashboard/chart?node=gw-nowhere"));
        assertThat(chartOfThisNode.get("series").size()).isPositive();
        assertThat(chartOfNoNode.get("series").size()).isZero();
    }

    @Test
    void theMessageLogNamesTheNodeOfEachEntryAndIsSearchedByNode() throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<someone@elsewhere.test>");
            assertThat(client.command("RCPT TO:<somebody@log-by-node.test>").code()).isEqualTo(554);
        }
        assertThat(gateway.gateway().messageLog().flush(Duration.ofSeconds(10))).isTrue();

        JsonNode found = ConsoleClient.json(http.api("GET", "/api/v1/log?recipient=log-by-node&node=gw-embedded",
                viewerToken, null));
        assertThat(found.size()).isEqualTo(1);
        assertThat(found.get(0).get("node").asString()).isEqualTo("gw-embedded");
        assertThat(ConsoleClient.json(http.api("GET", "/api/v1/log?recipient=log-by-node&node=gw-other", viewerToken,
                null)).size()).isZero();
        assertThat(http.get("/log?recipient=log-by-node&node=gw-embedded").body())
                .contains("<th>Node</th>", "<td class=\"mono\">gw-embedded</td>", "name=\"node\" value=\"gw-embedded\"");
    }
}
