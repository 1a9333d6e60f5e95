package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Two gateways in this JVM sharing one PostgreSQL database (SPEC §6), created for the test on the
 * server at 127.0.0.1:5432 and dropped after it: each lists both nodes from their heartbeats, sees
 * the other's sessions, and lists a node whose heartbeat stops as stale.
 */
class NodesClusterIT {

    private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
    private static final String ADMIN = SERVER + "postgres?user=postgres&connectTimeout=3";
    private static final Duration HEARTBEAT = Duration.ofMillis(300);

    @TempDir
    Path directory;
    private String database;
    private TestGateway gw1;
    private TestGateway gw2;
    private ConsoleClient http1;
    private ConsoleClient http2;
    private String token;

    @BeforeEach
    void createDatabase() throws SQLException {
        database = "gatehouse_nodes_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        try (Connection admin = DriverManager.getConnection(ADMIN); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            database = null;
            throw new IllegalStateException("this test needs a PostgreSQL server at 127.0.0.1:5432 that trusts the "
                    + "user postgres (./run-tests starts one; apt-get install postgresql): " + e.getMessage(), e);
        }
    }

    @AfterEach
    void stop() throws SQLException {
        for (ConsoleClient client : new ConsoleClient[] {http1, http2}) {
            if (client != null) {
                client.close();
            }
        }
        for (TestGateway node : new TestGateway[] {gw1, gw2}) {
            if (node != null) {
                node.close();
            }
        }
        if (database != null) {
            try (Connection admin = DriverManager.getConnection(ADMIN); Statement statement = admin.createStatement()) {
                statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    private TestGateway node(String name) {
        return TestGateway.in(directory.resolve(name)).store(SERVER + database + "?user=postgres").node(name)
                .heartbeat(HEARTBEAT).console("127.0.0.1:0");
    }

    private void startBoth() throws Exception {
        gw1 = node("gw1").consoleUser("watcher", "viewer").start(); // users live in the shared store
        gw2 = node("gw2").start();
        token = ConsoleClient.createToken(gw1.gateway(), "watcher");
        http1 = ConsoleClient.of(gw1.gateway()).bearer(token);
        http2 = ConsoleClient.of(gw2.gateway()).bearer(token);
    }

    /** The nodes as {@code http}'s gateway lists them: name to node. */
    private static Map<String, JsonNode> nodes(ConsoleClient http) throws Exception {
        HttpResponse<String> response = http.api("GET", "/api/v1/nodes", null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        ConsoleClient.json(response).get("nodes").forEach(node -> byName.put(node.get("name").asString(), node));
        return byName;
    }

    private static String state(ConsoleClient http, String node) throws Exception {
        JsonNode found = nodes(http).get(node);
        return found == null ? "absent" : found.get("state").asString();
    }

    @Test
    void everyNodeListsBothNodesWithTheirOwnFigures() throws Exception {
        startBoth();

        for (ConsoleClient http : new ConsoleClient[] {http1, http2}) {
            await().atMost(Duration.ofSeconds(30)).until(() -> state(http, "gw1").equals("up") && state(http, "gw2").equals("up"));
        }
        assertThat(nodes(http1).keySet()).containsExactly("gw1", "gw2");
        assertThat(nodes(http1).get("gw1").get("self").asBoolean()).isTrue();
        assertThat(nodes(http1).get("gw2").get("self").asBoolean()).isFalse();
        assertThat(nodes(http2).get("gw2").get("self").asBoolean()).isTrue();

        try (SmtpTestClient session = gw2.client()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes(http1).get("gw2").get("sessions").asLong() == 1);
            assertThat(nodes(http1).get("gw1").get("sessions").asLong()).isZero();
            session.command("MAIL FROM:<someone@elsewhere.test>");
            assertThat(session.command("RCPT TO:<nobody@on-gw2.test>").code()).isEqualTo(554);
        }
        assertThat(gw2.gateway().messageLog().flush(Duration.ofSeconds(10))).isTrue();
        JsonNode logOfGw2 = ConsoleClient.json(http1.api("GET", "/api/v1/log?recipient=on-gw2&node=gw2", null));
        assertThat(logOfGw2.size()).isEqualTo(1);
        assertThat(ConsoleClient.json(http1.api("GET", "/api/v1/log?recipient=on-gw2&node=gw1", null)).size()).isZero();

        try (ConsoleClient page = ConsoleClient.of(gw1.gateway()).session("watcher")) {
            assertThat(page.get("/nodes").body()).contains("data-node=\"gw1\" data-state=\"up\"",
                    "data-node=\"gw2\" data-state=\"up\"");
            assertThat(page.get("/").body()).contains("all nodes (2 of 2 up)", "<option value=\"gw2\"");
            assertThat(page.get("/?node=gw2").body()).contains("Node gw2. Recipients", "its last heartbeat");
        }
    }

    @Test
    void aNodeWhoseHeartbeatStopsIsListedAsStaleByTheOthers() throws Exception {
        startBoth();
        await().atMost(Duration.ofSeconds(30)).until(() -> state(http1, "gw2").equals("up"));

        http2.close();
        http2 = null;
        gw2.close();
        gw2 = null;

        await().atMost(Duration.ofSeconds(30)).until(() -> state(http1, "gw2").equals("stale"));
        assertThat(state(http1, "gw1")).isEqualTo("up");
        try (ConsoleClient page = ConsoleClient.of(gw1.gateway()).session("watcher")) {
            assertThat(page.get("/nodes").body()).contains("<tr class=\"stale\" data-node=\"gw2\" data-state=\"stale\">");
            assertThat(page.get("/").body()).contains("all nodes (1 of 2 up)", "gw2 (stale)");
        }
    }
}
