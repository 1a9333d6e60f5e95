package net.gatehouse.web;

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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.gatehouse.Gateway;
import net.gatehouse.store.ConsoleUsers;

/**
 * A client of a running gateway's console for tests: as a signed-in browser (session cookie, the
 * CSRF token read from the last page) or as an API client with a bearer token, or anonymous.
 */
final class ConsoleTestClient implements AutoCloseable {

    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private final HttpClient http;
    private final String base;
    private String token;
    private String cookie;
    private String csrf = "";

    private ConsoleTestClient(Gateway gateway) {
        this.http = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.base = "http://127.0.0.1:" + gateway.consolePort().orElseThrow();
    }

    static ConsoleTestClient anonymous(Gateway gateway) {
        return new ConsoleTestClient(gateway);
    }

    /** Signs in through the login form and keeps the session and its CSRF token. */
    static ConsoleTestClient signedIn(Gateway gateway, String user, String password) throws Exception {
        ConsoleTestClient client = new ConsoleTestClient(gateway);
        HttpResponse<String> login = client.form("/login", Map.of("user", user, "password", password), false);
        if (login.statusCode() != 303) {
            throw new IllegalStateException("login failed: " + login.statusCode() + " " + login.body());
        }
        client.get("/"); // reads the CSRF token
        return client;
    }

    /**
     * A browser with a session of the user made directly in the store: no password to hash or
     * check (PBKDF2 is slow on purpose), for tests that are not about signing in.
     */
    static ConsoleTestClient withSession(Gateway gateway, String user) throws Exception {
        ConsoleTestClient client = new ConsoleTestClient(gateway);
        String id = Secrets.random("");
        Instant now = Instant.now();
        new ConsoleUsers(gateway.database()).createSession(new ConsoleUsers.Session(Secrets.sha256(id), user,
                Secrets.random(""), now, now.plus(Authenticator.SESSION_LIFETIME)));
        client.cookie = Authenticator.SESSION_COOKIE + "=" + id;
        client.get("/"); // reads the CSRF token
        return client;
    }

    /** An API client with a new bearer token of the user. */
    static ConsoleTestClient withToken(Gateway gateway, String user) {
        ConsoleTestClient client = new ConsoleTestClient(gateway);
        String token = Secrets.random("");
        Instant now = Instant.now();
        new ConsoleUsers(gateway.database()).createToken(new ConsoleUsers.Token(UUID.randomUUID().toString(), user,
                "test", now, now), Secrets.sha256(token), "test");
        client.token = token;
        return client;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = send(request(path).GET());
        Matcher matcher = CSRF.matcher(response.body());
        if (matcher.find()) {
            csrf = matcher.group(1);
        }
        return response;
    }

    /** Posts a form, with the session's CSRF token if {@code withCsrf}. */
    HttpResponse<String> form(String path, Map<String, String> fields, boolean withCsrf)
            throws IOException, InterruptedException {
        Map<String, String> all = new LinkedHashMap<>(fields);
        if (withCsrf) {
            all.put("_csrf", csrf);
        }
        StringJoiner body = new StringJoiner("&");
        all.forEach((k, v) -> body.add(encode(k) + "=" + encode(v)));
        return send(request(path).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    /** Posts a multipart form with one file, with the session's CSRF token. */
    HttpResponse<String> upload(String path, Map<String, String> fields, String fileName, String content)
            throws IOException, InterruptedException {
        String boundary = "----gatehouse" + UUID.randomUUID();
        StringBuilder body = new StringBuilder();
        Map<String, String> all = new LinkedHashMap<>(fields);
        all.put("_csrf", csrf);
        all.forEach((name, value) -> body.append("--").append(boundary).append("\r\n")
                .append("Content-Disposition: form-data; name=\"").append(name).append("\"\r\n\r\n")
                .append(value).append("\r\n"));
        body.append("--").append(boundary).append("\r\n")
                .append("Content-Disposition: form-data; name=\"file\"; filename=\"").append(fileName).append("\"\r\n")
                .append("Content-Type: text/plain\r\n\r\n").append(content).append("\r\n")
                .append("--").append(boundary).append("--\r\n");
        return send(request(path).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    /** An API call with a JSON body (null for none). */
    HttpResponse<String> api(String method, String path, String json) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json").method(method,
                json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)));
    }

    /** An API call with a plain-text body. */
    HttpResponse<String> text(String path, String text) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(text)));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        if (cookie != null) {
            builder.header("Cookie", cookie);
        }
        return builder;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        http.close();
    }
}
