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
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.DirectoryPasswords;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.TestDirectory;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A directory added and edited live from the console and the API (SPEC §8, issue 14), on two
 * gateways sharing one PostgreSQL database (created for the test on 127.0.0.1:5432 and dropped after
 * it) and UnboundID's in-memory directory (which serves pages of at most 4 entries): the directory added on node 1 is read by node 2 too, and
 * answers RCPT on both; its settings change live; its password is write-only (no page, API answer or
 * audit entry shows it); every change is audited; it cannot be removed while a domain uses it.
 */
class DirectorySettingsIT {

    private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
    private static final String ADMIN = SERVER + "postgres?user=postgres&connectTimeout=3";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path directory;
    private String database;
    private final TestDirectory ldap = TestDirectory.start();
    private TestGateway gw1;
    private TestGateway gw2;
    private ConsoleClient admin;
    private ConsoleClient viewer;
    private String adminToken;
    private String viewerToken;

    @BeforeEach
    void start() throws Exception {
        database = "gatehouse_dirs_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        try (Connection connection = DriverManager.getConnection(ADMIN); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            database = null;
            throw new IllegalStateException("this test needs a PostgreSQL server at 127.0.0.1:5432 that trusts the "
                    + "user postgres (./run-tests starts one; apt-get install postgresql): " + e.getMessage(), e);
        }
        gw1 = node("gw1").console("127.0.0.1:0").consoleUser("ada", "admin").consoleUser("watcher", "viewer").start();
        gw2 = node("gw2").start();
        adminToken = ConsoleClient.createToken(gw1.gateway(), "ada");
        viewerToken = ConsoleClient.createToken(gw1.gateway(), "watcher");
        admin = ConsoleClient.of(gw1.gateway()).session("ada");
        viewer = ConsoleClient.of(gw1.gateway()).session("watcher");
    }

    private TestGateway node(String name) {
        return TestGateway.in(directory.resolve(name)).store(SERVER + database + "?user=postgres").node(name)
                .polling(Duration.ofMillis(300));
    }

    @AfterEach
    void stop() throws SQLException {
        for (AutoCloseable closeable : new AutoCloseable[] {admin, viewer, gw1, gw2, ldap}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // closing the others matters more
            }
        }
        if (database != null) {
            try (Connection connection = DriverManager.getConnection(ADMIN);
                 Statement statement = connection.createStatement()) {
                statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    private JsonNode api(String method, String path, String token, String body, int status) throws Exception {
        HttpResponse<String> response = admin.api(method, path, token, body);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(status);
        assertThat(response.body()).doesNotContain(TestDirectory.BIND_PASSWORD);
        return response.body().isEmpty() ? null : ConsoleClient.json(response);
    }

    private String state(String name) throws Exception {
        return api("GET", "/api/v1/directories/" + name, viewerToken, null, 200).get("state").asString();
    }

    @Test
    void aDirectoryAddedInTheConsoleIsInForceOnEveryNodeAndItsPasswordIsNeverShown() throws Exception {
        HttpResponse<String> refused = viewer.post("/directories", "name", "corp", "servers", ldap.url(),
                "base_dn", TestDirectory.BASE_DN);
        assertThat(refused.statusCode()).as("viewers may not add one").isEqualTo(403);

        HttpResponse<String> added = admin.post("/directories", "name", "corp", "servers", ldap.url(),
                "bind_dn", TestDirectory.BIND_DN, "bind_password", TestDirectory.BIND_PASSWORD,
                "base_dn", TestDirectory.BASE_DN, "sync_every", "1h", "max_shrink", "50%", "page_size", "4");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        assertThat(added.body()).contains("Added the directory corp").doesNotContain(TestDirectory.BIND_PASSWORD);
        await().atMost(WAIT).until(() -> state("corp").equals("ok"));

        api("POST", "/api/v1/domains", adminToken, "{\"name\": \"corp.example\", \"backends\": [\"127.0.0.1:25\"], "
                + "\"verification\": \"directory\"}", 201);
        assertThat(gw1.rcpt("support@corp.example")).as("a public folder").isEqualTo("250 2.1.5");
        assertThat(gw1.rcpt("nobody@corp.example")).isEqualTo("550 5.1.1");
        // node 2 reads the directory itself, from the policy it shares
        await().atMost(WAIT).untilAsserted(() -> assertThat(gw2.rcpt("support@corp.example")).isEqualTo("250 2.1.5"));
        assertThat(gw2.rcpt("nobody@corp.example")).isEqualTo("550 5.1.1");

        JsonNode corp = api("GET", "/api/v1/directories/corp", viewerToken, null, 200);
        assertThat(corp.get("source").asString()).isEqualTo("console");
        assertThat(corp.get("password").asString()).isEqualTo("console");
        assertThat(corp.get("settings").get("base_dn").asString()).isEqualTo(TestDirectory.BASE_DN);
        assertThat(corp.get("settings").has("bind_password")).isFalse();
        String page = admin.get("/directories/corp").body();
        assertThat(page).contains("Bind password: set (never shown)").contains(TestDirectory.BIND_DN)
                .doesNotContain(TestDirectory.BIND_PASSWORD);
        assertThat(admin.get("/directories").body()).contains("href=\"/directories/corp\"")
                .doesNotContain(TestDirectory.BIND_PASSWORD);

        // a wrong password: the syncs fail, the snapshot in force stays
        api("PUT", "/api/v1/directories/corp", adminToken, "{\"servers\": [\"" + ldap.url() + "\"], \"bind_dn\": \""
                + TestDirectory.BIND_DN + "\", \"bind_password\": \"wrong-Z9\", \"base_dn\": \"" + TestDirectory.BASE_DN
                + "\", \"sync_every\": \"1h\", \"page_size\": 4}", 200);
        await().atMost(WAIT).until(() -> state("corp").equals("stale"));
        assertThat(api("GET", "/api/v1/directories/corp", viewerToken, null, 200).get("lastError").asString())
                .contains("invalid credentials").doesNotContain("wrong-Z9");
        assertThat(gw1.rcpt("support@corp.example")).isEqualTo("250 2.1.5");

        // the right one again, and a filter without public folders: in force on both nodes
        HttpResponse<String> saved = admin.post("/directories/corp/settings", "servers", ldap.url(),
                "bind_dn", TestDirectory.BIND_DN, "bind_password", TestDirectory.BIND_PASSWORD,
                "base_dn", TestDirectory.BASE_DN, "sync_every", "1h", "page_size", "4",
                "filter", "(|(objectClass=user)(objectClass=group)(objectClass=contact))");
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        assertThat(saved.body()).contains("Saved.").doesNotContain(TestDirectory.BIND_PASSWORD);
        await().atMost(WAIT).untilAsserted(() -> assertThat(gw1.rcpt("support@corp.example")).isEqualTo("550 5.1.1"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(gw2.rcpt("support@corp.example")).isEqualTo("550 5.1.1"));
        assertThat(gw2.rcpt("alice@corp.example")).isEqualTo("250 2.1.5");
        assertThat(state("corp")).isEqualTo("ok");

        // removal: refused while the domain is verified against it, then done, on both nodes
        assertThat(api("DELETE", "/api/v1/directories/corp", adminToken, null, 409).get("error").asString())
                .contains("corp.example");
        api("PUT", "/api/v1/domains/corp.example", adminToken, "{\"backends\": [\"127.0.0.1:25\"], "
                + "\"verification\": \"none\"}", 200);
        api("DELETE", "/api/v1/directories/corp", adminToken, null, 204);
        api("GET", "/api/v1/directories/corp", viewerToken, null, 404);
        await().atMost(WAIT).until(() -> gw2.gateway().directories().names().isEmpty());
        assertThat(new DirectoryPasswords(gw1.gateway().database()).isSet("corp")).isFalse();

        List<AuditLog.Entry> audit = new AuditLog(gw1.gateway().database()).recent(100);
        assertThat(audit).extracting(AuditLog.Entry::action).contains("directory.add", "directory.password",
                "directory.change", "directory.remove");
        assertThat(audit).filteredOn(e -> e.action().startsWith("directory.")).allSatisfy(entry -> {
            assertThat(entry.actor()).isEqualTo("ada");
            assertThat(entry.target()).isEqualTo("corp");
            assertThat(entry.oldValue() + entry.newValue()).doesNotContain(TestDirectory.BIND_PASSWORD)
                    .doesNotContain("wrong-Z9");
        });
        assertThat(audit).filteredOn(e -> e.action().equals("directory.change")).first()
                .satisfies(entry -> assertThat(entry.newValue()).contains("objectClass=contact"));
        assertThat(audit).filteredOn(e -> e.action().equals("directory.password"))
                .extracting(AuditLog.Entry::door).contains("console", "api");
    }

    @Test
    void badSettingsAreRefusedWithTheKeyAndNothingIsAudited() throws Exception {
        AuditLog audit = new AuditLog(gw1.gateway().database());
        long before = audit.recent(1).isEmpty() ? 0 : audit.recent(1).getFirst().id();
        assertThat(api("POST", "/api/v1/directories", adminToken, "{\"name\": \"corp\", \"servers\": [\"http://dc1\"], "
                + "\"base_dn\": \"DC=x\"}", 400).get("error").asString()).contains("servers[0]")
                .contains("ldap://");
        assertThat(api("POST", "/api/v1/directories", adminToken, "{\"name\": \"corp\", \"servers\": \"ldap://dc1\", "
                + "\"bind_dn\": \"CN=gw,DC=x\", \"base_dn\": \"DC=x\"}", 400).get("error").asString())
                .contains("bind_dn needs a password");
        assertThat(api("POST", "/api/v1/directories", adminToken, "{\"name\": \"corp\", \"servers\": \"ldap://dc1\", "
                + "\"ca_file\": \"/nowhere/ca.pem\", \"base_dn\": \"DC=x\"}", 400).get("error").asString())
                .contains("ca_file").contains("not a readable file on this node");
        assertThat(api("POST", "/api/v1/directories", adminToken, "{\"name\": \"corp\", \"servers\": \"ldap://dc1\", "
                + "\"base_dn\": \"DC=x\", \"colour\": \"blue\"}", 400).get("error").asString())
                .contains("unknown field colour");
        HttpResponse<String> page = admin.post("/directories", "name", "corp", "servers", ldap.url(),
                "base_dn", "not a DN");
        assertThat(page.statusCode()).isEqualTo(400);
        assertThat(page.body()).contains("base_dn").contains("value=\"corp\"");
        assertThat(audit.recent(1).isEmpty() ? 0 : audit.recent(1).getFirst().id()).isEqualTo(before);
        assertThat(gw1.gateway().directories().names()).isEmpty();
    }
}
