package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.gatehouse.store.AuditLog;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.TestDirectory;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The console's Directories page and {@code /api/v1/directories} (SPEC §8) on the real gateway with
 * UnboundID's in-memory directory: the state of the directory, the test that names the entry and
 * the attribute, a sync now (admins only, audited with its actor), and, once the directory is down,
 * the stale state on the page, in the API and on the dashboard. Run in order: the last test stops
 * the directory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DirectoriesPageIT {

    @TempDir
    static Path directory;
    private final TestDirectory ldap = TestDirectory.start();
    private TestGateway gateway;
    private ConsoleClient admin;
    private ConsoleClient viewer;
    private String adminToken;
    private String viewerToken;

    @BeforeAll
    void start() throws Exception {
        Path password = directory.resolve("ldap.secret");
        Files.writeString(password, TestDirectory.BIND_PASSWORD);
        gateway = TestGateway.in(directory).console("127.0.0.1:0")
                .policy("directories: [{ name: corp, servers: [\"" + ldap.url() + "\"], bind_dn: \""
                        + TestDirectory.BIND_DN + "\", bind_password_file: " + password + ", base_dn: \""
                        + TestDirectory.BASE_DN + "\", page_size: 4 }]")
                .domain("{ name: corp.example, backend: [\"127.0.0.1:25\"], verification: directory }")
                .consoleUser("ada", "admin").consoleUser("watcher", "viewer").start();
        adminToken = ConsoleClient.createToken(gateway.gateway(), "ada");
        viewerToken = ConsoleClient.createToken(gateway.gateway(), "watcher");
        admin = ConsoleClient.of(gateway.gateway()).session("ada");
        viewer = ConsoleClient.of(gateway.gateway()).session("watcher");
        await().atMost(Duration.ofSeconds(60)).until(() -> gateway.gateway().directories().status("corp")
                .orElseThrow().snapshotTakenAt().isPresent());
    }

    @AfterAll
    void stop() {
        if (admin != null) {
            admin.close();
            viewer.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        ldap.close();
    }

    private JsonNode api(String method, String path, String token, int status) throws Exception {
        HttpResponse<String> response = viewer.api(method, path, token, null);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(status);
        return ConsoleClient.json(response);
    }

    @Test
    @Order(0)
    void aDomainAddedThroughTheApiMayBeVerifiedByTheDirectory() throws Exception {
        JsonNode added = ConsoleClient.json(admin.api("POST", "/api/v1/domains", adminToken,
                "{\"name\": \"corp-alias.example\", \"backends\": [\"127.0.0.1:25\"], \"verification\": \"directory\"}"));
        assertThat(added.get("effective_verification").asString()).isEqualTo("directory");

        assertThat(gateway.rcpt("alice@corp-alias.example")).as("a proxyAddresses alias").isEqualTo("250 2.1.5");
        assertThat(gateway.rcpt("nobody@corp-alias.example")).isEqualTo("550 5.1.1");
        assertThat(admin.get("/domains").body()).contains("<option value=\"directory\">Reject for recipients not in the directory");
    }

    @Test
    @Order(1)
    void theApiGivesEachDirectorysStateAsTheOpenApiDocumentDescribesIt() throws Exception {
        JsonNode corp = api("GET", "/api/v1/directories", viewerToken, 200).get("directories").get(0);
        assertThat(corp.get("name").asString()).isEqualTo("corp");
        assertThat(corp.get("state").asString()).isEqualTo("ok");
        assertThat(corp.get("servers").get(0).asString()).isEqualTo(ldap.url());
        assertThat(corp.get("addresses").asInt()).isEqualTo(13);
        assertThat(corp.get("entries").asInt()).isPositive();
        assertThat(corp.get("lastError").asString()).isEmpty();
        assertThat(corp.get("failingSince").isNull()).isTrue();
        assertThat(Instant.parse(corp.get("snapshotTakenAt").asString())).isBeforeOrEqualTo(Instant.now());
        assertThat(corp.get("snapshotAgeSeconds").asLong()).isNotNegative();
        assertThat(api("GET", "/api/v1/directories/corp", viewerToken, 200).get("addresses").asInt()).isEqualTo(13);
        assertThat(api("GET", "/api/v1/directories/nowhere", viewerToken, 404).get("error").asString())
                .contains("no directory nowhere");

        JsonNode openApi = api("GET", "/api/v1/openapi.json", viewerToken, 200);
        assertThat(openApi.get("paths").get("/api/v1/directories").get("get").get("responses").get("200")
                .get("content").get("application/json").get("schema").get("$ref").asString())
                .isEqualTo("#/components/schemas/Directories");
        assertThat(openApi.get("paths").get("/api/v1/directories/{name}/sync").get("post").get("x-gatehouse-role")
                .asString()).isEqualTo("admin");
        assertThat(openApi.get("paths").get("/api/v1/directories/{name}/test").get("post").get("x-gatehouse-role")
                .asString()).isEqualTo("viewer");
        assertThat(new ArrayList<>(corp.propertyNames())).as("the document describes what the API gives")
                .containsExactlyInAnyOrderElementsOf(required(openApi, "Directory"));
        JsonNode test = api("POST", "/api/v1/directories/corp/test?address=carol.alt@corp.example", viewerToken, 200);
        assertThat(new ArrayList<>(test.propertyNames())).containsExactlyInAnyOrderElementsOf(required(openApi, "DirectoryTest"));
        JsonNode sync = api("POST", "/api/v1/directories/corp/sync", adminToken, 200);
        assertThat(new ArrayList<>(sync.propertyNames())).containsExactlyInAnyOrderElementsOf(required(openApi, "DirectorySync"));
    }

    private static List<String> required(JsonNode openApi, String schema) {
        List<String> fields = new ArrayList<>();
        openApi.get("components").get("schemas").get(schema).get("required").forEach(f -> fields.add(f.asString()));
        return fields;
    }

    @Test
    @Order(2)
    void theTestNamesTheEntryAndTheAttributeThatGiveTheAddressAndWhetherTheSnapshotHasIt() throws Exception {
        JsonNode found = api("POST", "/api/v1/directories/corp/test?address=a.example@corp.example", viewerToken, 200);
        assertThat(found.get("read").asBoolean()).isTrue();
        assertThat(found.get("listed").asBoolean()).isTrue();
        assertThat(found.get("inSnapshot").asBoolean()).isTrue();
        assertThat(found.get("server").asString()).contains("127.0.0.1");
        JsonNode match = found.get("matches").get(0);
        assertThat(match.get("dn").asString()).isEqualTo("cn=Alice Example,ou=Users," + TestDirectory.BASE_DN);
        assertThat(match.get("attribute").asString()).isEqualTo("proxyAddresses");
        assertThat(match.get("value").asString()).isEqualTo("smtp:a.example@corp.example");

        HttpResponse<String> absent = viewer.api("POST", "/api/v1/directories/corp/test", viewerToken,
                "{\"address\": \"nobody@corp.example\"}");
        assertThat(absent.statusCode()).as(absent.body()).isEqualTo(200);
        assertThat(ConsoleClient.json(absent).get("listed").asBoolean()).isFalse();
        assertThat(ConsoleClient.json(absent).get("inSnapshot").asBoolean()).isFalse();
        assertThat(api("POST", "/api/v1/directories/corp/test?address=not%20an%20address", viewerToken, 400)
                .get("error").asString()).contains("not a valid address");
        assertThat(api("POST", "/api/v1/directories/nowhere/test?address=a@corp.example", viewerToken, 404)
                .get("error").asString()).contains("no directory nowhere");

        HttpResponse<String> page = viewer.post("/directories/test", "directory", "corp", "address",
                "Carol.Alt@corp.example");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<a href=\"/directories\" class=\"active\">Directories</a>",
                "cn=Carol Jones,ou=Users,dc=corp,dc=example", "mailAlternativeAddress", "carol.alt@corp.example",
                "listed", "lists it");
        assertThat(viewer.post("/directories/test", "directory", "corp", "address", "").statusCode()).isEqualTo(400);
    }

    @Test
    @Order(3)
    void thePageShowsTheStateAndOnlyAdminsMaySyncEachSyncAuditedWithItsActor() throws Exception {
        String adminPage = admin.get("/directories").body();
        assertThat(adminPage).contains("data-directory=\"corp\" data-state=\"ok\"", ldap.url(), "Sync now",
                "action=\"/directories/corp/sync\"", ">13<");
        assertThat(viewer.get("/directories").body()).contains("data-state=\"ok\"").doesNotContain("Sync now");

        AuditLog audit = new AuditLog(gateway.gateway().database());
        long before = audit.recent(1).getFirst().id();
        assertThat(viewer.post("/directories/corp/sync").statusCode()).isEqualTo(403);
        assertThat(viewer.api("POST", "/api/v1/directories/corp/sync", viewerToken, null).statusCode()).isEqualTo(403);
        try (ConsoleClient anonymous = ConsoleClient.of(gateway.gateway())) {
            assertThat(anonymous.api("GET", "/api/v1/directories", null).statusCode()).isEqualTo(401);
            assertThat(anonymous.api("POST", "/api/v1/directories/corp/sync", null).statusCode()).isEqualTo(401);
        }
        assertThat(audit.recent(1).getFirst().id()).as("nothing refused is audited").isEqualTo(before);

        HttpResponse<String> synced = admin.post("/directories/corp/sync");
        assertThat(synced.statusCode()).isEqualTo(200);
        assertThat(synced.body()).contains("Sync of corp: ok");
        AuditLog.Entry byPage = audit.recent(1).getFirst();
        assertThat(byPage.action()).isEqualTo("directory.sync");
        assertThat(byPage.actor()).isEqualTo("ada");
        assertThat(byPage.door()).isEqualTo("console");

        JsonNode answer = api("POST", "/api/v1/directories/corp/sync?force=true", adminToken, 200);
        assertThat(answer.get("result").asString()).isEqualTo("ok");
        assertThat(answer.get("addresses").asInt()).isEqualTo(13);
        assertThat(answer.get("status").get("state").asString()).isEqualTo("ok");
        AuditLog.Entry byApi = audit.recent(1).getFirst();
        assertThat(byApi.action()).isEqualTo("directory.sync_forced");
        assertThat(byApi.actor()).isEqualTo("ada");
        assertThat(byApi.door()).isEqualTo("api");
        assertThat(api("POST", "/api/v1/directories/nowhere/sync", adminToken, 404).get("error").asString())
                .contains("no directory nowhere");
    }

    @Test
    @Order(4)
    void aDirectoryThatCannotBeReadIsStaleOnThePageInTheApiAndOnTheDashboard() throws Exception {
        assertThat(admin.get("/").body()).doesNotContain("data-directory-warning");
        ldap.stop();

        JsonNode failed = api("POST", "/api/v1/directories/corp/sync", adminToken, 200);
        assertThat(failed.get("result").asString()).isEqualTo("failed");
        assertThat(failed.get("status").get("state").asString()).isEqualTo("stale");
        assertThat(failed.get("status").get("addresses").asInt()).as("the last good snapshot stays").isEqualTo(13);
        assertThat(failed.get("status").get("failingSince").isNull()).isFalse();
        assertThat(failed.get("status").get("lastError").asString()).isNotEmpty()
                .doesNotContain(TestDirectory.BIND_PASSWORD);

        String page = admin.get("/directories").body();
        assertThat(page).contains("data-directory=\"corp\" data-state=\"stale\"", "data-warning=\"corp\"",
                "failing since", "Directory corp is stale").doesNotContain(TestDirectory.BIND_PASSWORD);
        String dashboard = admin.get("/").body();
        assertThat(dashboard).contains("data-directory-warning=\"corp\"", "snapshot in force is",
                "<a href=\"/directories\">Directories</a>");

        JsonNode unreadable = api("POST", "/api/v1/directories/corp/test?address=alice@corp.example", viewerToken, 200);
        assertThat(unreadable.get("read").asBoolean()).isFalse();
        assertThat(unreadable.get("problem").asString()).isNotEmpty().doesNotContain(TestDirectory.BIND_PASSWORD);
        assertThat(unreadable.get("listed").isNull()).isTrue();
        assertThat(viewer.post("/directories/test", "directory", "corp", "address", "alice@corp.example").body())
                .contains("cannot be read");
    }
}
