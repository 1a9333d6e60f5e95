package net.gatehouse.testing;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import net.gatehouse.Gateway;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.web.Passwords;
import net.gatehouse.web.Secrets;

/**
 * A browser-like HTTP client of the console (cookies kept, redirects not followed) and an API
 * client with a bearer token, for tests against a running {@link Gateway}.
 */
public final class ConsoleClient {

    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private final String base;
    private final HttpClient http;
    private String csrf = "";

    private ConsoleClient(int port) {
        this.base = "http://127.0.0.1:" + port;
        this.http = HttpClient.newBuilder().cookieHandler(new CookieManager()).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** A client of this gateway's console, not signed in. */
    public static ConsoleClient of(Gateway gateway) {
        return new ConsoleClient(gateway.consolePort().orElseThrow(() -> new IllegalStateException("no console")));
    }

    /** Creates a user in the gateway's store (role admin or viewer); returns its password. */
    public static String createUser(Gateway gateway, String name, String role) {
        String password = "pw-" + name + "-" + Secrets.shortId();
        new ConsoleUsers(gateway.database()).add(name, role, Passwords.hash(password), Instant.now(), "test");
        return password;
    }

    /** Creates an API token for a user; returns the token. */
    public static String createToken(Gateway gateway, String user) {
        String token = Secrets.random("gh_");
        Instant now = Instant.now();
        new ConsoleUsers(gateway.database()).createToken(new ConsoleUsers.Token(Secrets.shortId(), user, "test", now, now),
                Secrets.sha256(token), "test");
        return token;
    }

    /** Signs in and remembers the session's CSRF token (from the page signed in to). */
    public ConsoleClient login(String user, String password) throws IOException, InterruptedException {
        HttpResponse<String> response = postForm("/login", Map.of("user", user, "password", password, "next", "/settings"));
        if (response.statusCode() != 303) {
            throw new IllegalStateException("login failed: " + response.statusCode());
        }
        get("/settings"); // picks up the CSRF token
        return this;
    }

    public String csrf() {
        return csrf;
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return remember(http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString()));
    }

    /** A form post with the session's CSRF token added (unless the form has one). */
    public HttpResponse<String> post(String path, Map<String, String> form) throws IOException, InterruptedException {
        Map<String, String> withToken = new java.util.LinkedHashMap<>(form);
        withToken.putIfAbsent("_csrf", csrf);
        return postForm(path, withToken);
    }

    /** A form post exactly as given (no CSRF token added). */
    public HttpResponse<String> postForm(String path, Map<String, String> form) throws IOException, InterruptedException {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return remember(http.send(request(path).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    /** Any method, with an optional bearer token and JSON body; no cookies of a session are needed. */
    public HttpResponse<String> send(String method, String path, String token, String json)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = request(path).method(method, json == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    }

    private HttpResponse<String> remember(HttpResponse<String> response) {
        Matcher matcher = CSRF.matcher(response.body());
        if (matcher.find()) {
            csrf = matcher.group(1);
        }
        return response;
    }
}
