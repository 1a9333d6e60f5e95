package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.http.HandlerType;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * SPEC §4: every page and API call needs authentication, changes need the admin role, and changes
 * from a browser session need the CSRF token. Proven over the table of every route, so that a
 * route added later is covered without a new test.
 */
class ConsoleSecurityIT {

    @TempDir
    static Path directory;
    private static TestBackend backend;
    private static TestGateway gateway;
    private static List<Route> routes;
    private static String adminPassword;
    private static String viewerPassword;
    private static String viewerToken;
    private static String adminToken;

    @BeforeAll
    static void start() throws Exception {
        backend = TestBackend.start();
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).console("127.0.0.1:0").start();
        routes = gateway.gateway().consoleRoutes();
        adminPassword = ConsoleClient.createUser(gateway.gateway(), "root", "admin");
        viewerPassword = ConsoleClient.createUser(gateway.gateway(), "watcher", "viewer");
        viewerToken = ConsoleClient.createToken(gateway.gateway(), "watcher");
        adminToken = ConsoleClient.createToken(gateway.gateway(), "root");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        backend.close();
    }

    @Test
    void everyRouteButTheLoginNeedsAuthentication() throws Exception {
        assertThat(routes).extracting(Route::path).contains("/", "/settings", OpenApi.PATH);
        ConsoleClient anonymous = ConsoleClient.of(gateway.gateway());
        for (Route route : routes) {
            String path = concrete(route.path());
            if (route.access() == Access.PUBLIC) {
                assertThat(path).as("public routes").isIn("/login");
                continue;
            }
            HttpResponse<String> response = anonymous.api(route.method().name(), path, null, null);
            String what = route.method() + " " + path;
            if (!route.api() && route.method() == HandlerType.GET) {
                assertThat(response.statusCode()).as(what).isEqualTo(302);
                assertThat(response.headers().firstValue("Location")).as(what).hasValueSatisfying(
                        location -> assertThat(location).startsWith("/login?next="));
            } else {
                assertThat(response.statusCode()).as(what).isEqualTo(401);
            }
            HttpResponse<String> forged = anonymous.api(route.method().name(), path, "gh_not-a-real-token", null);
            assertThat(forged.statusCode()).as(what + " with a forged token").isIn(302, 401);
        }
    }

    @Test
    void apiRoutesAnswerJsonErrors() throws Exception {
        ConsoleClient anonymous = ConsoleClient.of(gateway.gateway());
        for (Route route : routes) {
            if (route.api() && route.access() != Access.PUBLIC) {
                HttpResponse<String> response = anonymous.api(route.method().name(), concrete(route.path()), null, null);
                JsonNode error = JsonMapper.builder().build().readTree(response.body());
                assertThat(error.get("status").asInt()).isEqualTo(401);
                assertThat(error.get("error").asString()).contains("sign in");
                assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"gatehouse\"");
            }
        }
    }

    @Test
    void viewersMayReadButNotChange() throws Exception {
        ConsoleClient viewer = ConsoleClient.of(gateway.gateway()).login("watcher", viewerPassword);
        for (Route route : routes) {
            if (route.access() != Access.ADMIN) {
                continue;
            }
            String path = concrete(route.path());
            String what = route.method() + " " + path;
            HttpResponse<String> bySession = route.api()
                    ? viewer.api(route.method().name(), path, viewerToken, "{}")
                    : viewer.post(path, Map.of());
            assertThat(bySession.statusCode()).as(what).isEqualTo(403);
            assertThat(bySession.body()).as(what).contains("may not do this");
        }
        assertThat(viewer.get("/settings").statusCode()).isEqualTo(200);
        assertThat(viewer.api("GET", OpenApi.PATH, viewerToken, null).statusCode()).isEqualTo(200);
    }

    @Test
    void changesFromASessionNeedTheCsrfToken() throws Exception {
        ConsoleClient admin = ConsoleClient.of(gateway.gateway()).login("root", adminPassword);
        for (Route route : routes) {
            if (route.access() == Access.PUBLIC || route.method() == HandlerType.GET) {
                continue;
            }
            String path = concrete(route.path());
            String what = route.method() + " " + path;
            HttpResponse<String> withoutToken = route.method() == HandlerType.POST
                    ? admin.postForm(path, Map.of())
                    : admin.api(route.method().name(), path, null, "{}");
            // a session cookie without the token: refused before the route runs
            assertThat(withoutToken.statusCode()).as(what).isEqualTo(403);
            assertThat(withoutToken.body()).as(what).contains("CSRF");
            HttpResponse<String> wrongToken = admin.postForm(path, Map.of("_csrf", "x" + admin.csrf()));
            if (route.method() == HandlerType.POST) {
                assertThat(wrongToken.statusCode()).as(what).isEqualTo(403);
            }
        }
        assertThat(gateway.gateway().policy().stored().declared()).as("nothing changed").isEmpty();
    }

    @Test
    void theOpenApiDocumentDescribesEveryApiRoute() throws Exception {
        HttpResponse<String> response = ConsoleClient.of(gateway.gateway()).api("GET", OpenApi.PATH, adminToken, null);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode document = JsonMapper.builder().build().readTree(response.body());
        assertThat(document.get("openapi").asString()).startsWith("3.1");
        for (Route route : routes) {
            if (route.api()) {
                JsonNode operation = document.path("paths").path(route.path()).path(route.method().name().toLowerCase());
                assertThat(operation.isMissingNode()).as(route.method() + " " + route.path()).isFalse();
                assertThat(operation.get("summary").asString()).isEqualTo(route.summary());
            }
        }
    }

    @Test
    void pagesCarryAStrictContentSecurityPolicy() throws Exception {
        HttpResponse<String> login = ConsoleClient.of(gateway.gateway()).get("/login");

        assertThat(login.statusCode()).isEqualTo(200);
        assertThat(login.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe"));
        assertThat(login.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(login.headers().firstValue("Cache-Control")).hasValue("no-store");
    }

    @Test
    void theSessionCookieIsHttpOnlyAndSameSiteStrict() throws Exception {
        HttpResponse<String> response = ConsoleClient.of(gateway.gateway()).postForm("/login",
                Map.of("user", "root", "password", adminPassword, "next", "/"));

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.headers().allValues("Set-Cookie")).anySatisfy(cookie -> assertThat(cookie)
                .startsWith("gatehouse_session=").contains("HttpOnly").contains("SameSite=Strict"));
    }

    @Test
    void aWrongPasswordIsRefusedAndRepeatedFailuresAreThrottled() throws Exception {
        ConsoleClient client = ConsoleClient.of(gateway.gateway());
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = client.postForm("/login", Map.of("user", "nobody", "password", "guess" + i));
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.body()).contains("Wrong user name or password.");
        }

        HttpResponse<String> throttled = client.postForm("/login", Map.of("user", "nobody", "password", "guess"));

        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("Retry-After")).isPresent();
    }

    /** A route's path with its parameters filled in. */
    private static String concrete(String path) {
        return path.replaceAll("\\{[^}]+}", "x");
    }
}
