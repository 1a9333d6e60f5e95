package net.gatehouse.web;

import net.gatehouse.testing.TestActor;
import net.gatehouse.users.Passwords;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Users and API tokens through {@code /api/v1/users}, {@code /api/v1/tokens} and the users page:
 * administrators change, viewers read; the last administrator stays; a token is shown once and
 * acts with its user's role; one's own password needs the current one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UsersPageIT {

    private static final String VIEWER_PASSWORD = "viewer's old password";

    @TempDir
    static Path directory;
    private TestGateway gateway;
    private ConsoleUsers users;
    private ConsoleClient http;
    private String adminToken;
    private String viewerToken;

    @BeforeAll
    void start() throws Exception {
        gateway = TestGateway.in(directory).console("127.0.0.1:0").consoleUser("root", "admin")
                .consoleUser("vic", "viewer", VIEWER_PASSWORD).start();
        users = new ConsoleUsers(gateway.gateway().database());
        adminToken = ConsoleClient.createToken(gateway.gateway(), "root");
        viewerToken = ConsoleClient.createToken(gateway.gateway(), "vic");
        http = ConsoleClient.of(gateway.gateway());
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

    private HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
        return http.api(method, path, token, json);
    }

    private static String error(HttpResponse<String> response) {
        return ConsoleClient.json(response).get("error").asString();
    }

    @Test
    void administratorsAddChangeAndRemoveUsers() throws Exception {
        HttpResponse<String> added = call("POST", "/api/v1/users", adminToken,
                "{\"name\": \"newbie\", \"role\": \"viewer\", \"password\": \"a long new password\"}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(ConsoleClient.json(added).get("role").asString()).isEqualTo("viewer");
        assertThat(added.body()).doesNotContain("pbkdf2").doesNotContain("password");

        HttpResponse<String> listed = call("GET", "/api/v1/users", viewerToken, null);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(ConsoleClient.json(listed).valueStream().map(u -> u.get("name").asString())).contains("newbie", "root");

        HttpResponse<String> promoted = call("PUT", "/api/v1/users/newbie", adminToken, "{\"role\": \"admin\"}");
        assertThat(promoted.statusCode()).isEqualTo(200);
        assertThat(users.user("newbie").orElseThrow().role()).isEqualTo("admin");

        assertThat(call("DELETE", "/api/v1/users/newbie", adminToken, null).statusCode()).isEqualTo(204);
        assertThat(users.user("newbie")).isEmpty();
        assertThat(call("DELETE", "/api/v1/users/newbie", adminToken, null).statusCode()).isEqualTo(404);
    }

    @Test
    void refusesBadInputWith400() throws Exception {
        Map<String, String> bodies = Map.of(
                "{\"name\": \"x y\", \"role\": \"viewer\", \"password\": \"a long new password\"}", "user name",
                "{\"name\": \"ok\", \"role\": \"boss\", \"password\": \"a long new password\"}", "role must be",
                "{\"name\": \"ok\", \"role\": \"viewer\", \"password\": \"short\"}", "at least 10",
                "{\"name\": ", "JSON",
                "[1, 2]", "JSON");
        for (var body : bodies.entrySet()) {
            HttpResponse<String> response = call("POST", "/api/v1/users", adminToken, body.getKey());
            assertThat(response.statusCode()).as(body.getKey()).isEqualTo(400);
            assertThat(error(response)).as(body.getKey()).contains(body.getValue());
        }
        assertThat(call("POST", "/api/v1/users", adminToken, "").statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/api/v1/users/vic", adminToken, "{}").statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/api/v1/users/vic", adminToken, "{\"password\": \"short\"}").statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/api/v1/users/nobody", adminToken, "{\"role\": \"viewer\"}").statusCode()).isEqualTo(404);
        assertThat(call("POST", "/api/v1/users", adminToken,
                "{\"name\": \"vic\", \"role\": \"viewer\", \"password\": \"a long new password\"}").statusCode())
                .isEqualTo(409);
        assertThat(call("POST", "/api/v1/tokens", viewerToken, "{\"label\": \"\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void theLastAdministratorCanBeNeitherRemovedNorDemoted() throws Exception {
        users.add("second", "admin", ConsoleClient.cheapHash("unused password"), Instant.now(), TestActor.TEST);
        assertThat(call("DELETE", "/api/v1/users/second", adminToken, null).statusCode()).isEqualTo(204);

        HttpResponse<String> removal = call("DELETE", "/api/v1/users/root", adminToken, null);
        assertThat(removal.statusCode()).isEqualTo(409);
        assertThat(error(removal)).contains("last administrator");
        assertThat(call("PUT", "/api/v1/users/root", adminToken, "{\"role\": \"viewer\"}").statusCode()).isEqualTo(409);
        assertThat(users.user("root").orElseThrow().role()).isEqualTo("admin");
    }

    @Test
    void viewersMayNotChangeUsersNorOthersTokens() throws Exception {
        String rootTokenId = users.tokens().stream().filter(t -> t.userName().equals("root")).findFirst()
                .orElseThrow().id();
        for (String[] change : List.of(
                new String[] {"POST", "/api/v1/users", "{\"name\": \"x\", \"role\": \"admin\", \"password\": \"a long new password\"}"},
                new String[] {"PUT", "/api/v1/users/vic", "{\"role\": \"admin\"}"},
                new String[] {"DELETE", "/api/v1/users/root", null},
                new String[] {"POST", "/api/v1/tokens", "{\"label\": \"for root\", \"user\": \"root\"}"},
                new String[] {"DELETE", "/api/v1/tokens/" + rootTokenId, null})) {
            HttpResponse<String> response = call(change[0], change[1], viewerToken, change[2]);
            assertThat(response.statusCode()).as(change[0] + " " + change[1]).isEqualTo(403);
            assertThat(ConsoleClient.json(response).get("status").asInt()).isEqualTo(403);
        }
        assertThat(users.user("vic").orElseThrow().role()).isEqualTo("viewer");
    }

    @Test
    void anonymousRequestsAre401() throws Exception {
        for (String[] route : List.of(new String[] {"GET", "/api/v1/users"}, new String[] {"POST", "/api/v1/users"},
                new String[] {"PUT", "/api/v1/users/vic"}, new String[] {"DELETE", "/api/v1/users/vic"},
                new String[] {"GET", "/api/v1/tokens"}, new String[] {"POST", "/api/v1/tokens"},
                new String[] {"DELETE", "/api/v1/tokens/abc"})) {
            HttpResponse<String> response = call(route[0], route[1], null, route[0].equals("GET") ? null : "{}");
            assertThat(response.statusCode()).as(route[0] + " " + route[1]).isEqualTo(401);
            assertThat(error(response)).contains("sign in");
        }
    }

    @Test
    void aTokenIsShownOnceListedWithoutItsValueActsWithItsUsersRoleAndCanBeRevoked() throws Exception {
        HttpResponse<String> created = call("POST", "/api/v1/tokens", viewerToken, "{\"label\": \"backup script\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode token = ConsoleClient.json(created);
        String value = token.get("token").asString();
        String id = token.get("id").asString();
        assertThat(value).startsWith("gh_").hasSizeGreaterThan(40);
        assertThat(token.get("user").asString()).isEqualTo("vic");

        assertThat(call("GET", "/api/v1/users", value, null).statusCode()).isEqualTo(200);
        assertThat(call("DELETE", "/api/v1/users/root", value, null).statusCode()).isEqualTo(403); // a viewer's token

        HttpResponse<String> own = call("GET", "/api/v1/tokens", viewerToken, null);
        assertThat(own.body()).contains(id, "backup script").doesNotContain(value).doesNotContain("gh_");
        assertThat(ConsoleClient.json(own).valueStream().map(t -> t.get("user").asString())).containsOnly("vic");
        assertThat(call("GET", "/api/v1/tokens", adminToken, null).body()).contains(id).contains("\"root\"");

        assertThat(call("DELETE", "/api/v1/tokens/" + id, viewerToken, null).statusCode()).isEqualTo(204);
        assertThat(call("GET", "/api/v1/users", value, null).statusCode()).isEqualTo(401);
        assertThat(call("DELETE", "/api/v1/tokens/" + id, viewerToken, null).statusCode()).isEqualTo(404);

        HttpResponse<String> forVic = call("POST", "/api/v1/tokens", adminToken, "{\"label\": \"ops\", \"user\": \"vic\"}");
        assertThat(forVic.statusCode()).isEqualTo(201);
        assertThat(call("DELETE", "/api/v1/tokens/" + ConsoleClient.json(forVic).get("id").asString(), adminToken, null)
                .statusCode()).isEqualTo(204);
        assertThat(call("POST", "/api/v1/tokens", adminToken, "{\"label\": \"x\", \"user\": \"nobody\"}").statusCode())
                .isEqualTo(404);
    }

    @Test
    void theUsersPageListsUsersCreatesATokenOnceAndChangesOnesOwnPassword() throws Exception {
        try (ConsoleClient viewer = ConsoleClient.of(gateway.gateway())) {
            viewer.session("vic");
            HttpResponse<String> page = viewer.get("/users");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("root", "vic", "Change my password").doesNotContain("Add a user");

            HttpResponse<String> token = viewer.post("/tokens", "label", "<b>laptop</b>");
            assertThat(token.statusCode()).isEqualTo(200);
            assertThat(token.body()).contains("gh_", "&lt;b&gt;laptop&lt;/b&gt;").doesNotContain("<b>laptop");
            assertThat(viewer.get("/users").body()).doesNotContain("gh_");

            assertThat(viewer.postForm("/account/password", Map.of("current_password", VIEWER_PASSWORD,
                    "new_password", "vic's new password", "new_password_again", "vic's new password")).statusCode())
                    .isEqualTo(403); // no CSRF token
            HttpResponse<String> wrong = viewer.post("/account/password", "current_password", "not it",
                    "new_password", "vic's new password", "new_password_again", "vic's new password");
            assertThat(wrong.statusCode()).isEqualTo(400);
            assertThat(wrong.body()).contains("current password is wrong");

            HttpResponse<String> changed = viewer.post("/account/password", "current_password", VIEWER_PASSWORD,
                    "new_password", "vic's new password", "new_password_again", "vic's new password");
            assertThat(changed.statusCode()).isEqualTo(200);
            assertThat(changed.body()).contains("Password changed");
            assertThat(Passwords.verify("vic's new password", users.user("vic").orElseThrow().passwordHash())).isTrue();
            viewer.refreshCsrf(); // the change started a new session
            assertThat(viewer.get("/users").statusCode()).isEqualTo(200);
            assertThat(viewer.post("/users/root/remove").statusCode()).isEqualTo(403);
        }
    }
}
