package net.gatehouse.web;

import java.io.IOException;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Consumer;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.Database;
import tools.jackson.databind.JsonNode;

/**
 * A browser-like client of a running console (a cookie jar, form posts with the page's CSRF token,
 * no redirects followed) and an API client (bearer tokens, JSON), for the web tests.
 */
final class ConsoleHttp implements AutoCloseable {

    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private final String base;
    private final CookieManager cookies = new CookieManager();
    private final HttpClient client;
    private String csrf = "";

    ConsoleHttp(int port) {
        this.base = "http://127.0.0.1:" + port;
        this.client = HttpClient.newBuilder().cookieHandler(cookies)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * Writes users (and whatever else) into the store of a gateway not yet started, so that it
     * creates no first-run administrator (whose password hashing takes seconds).
     */
    static void seed(Path dataDir, Consumer<ConsoleUsers> users) {
        try (Database database = Database.open(Database.EMBEDDED, dataDir)) {
            users.accept(new ConsoleUsers(database));
        }
    }

    /**
     * The stored form of a password as {@link Passwords#hash} makes it, but with 1,000 iterations
     * instead of 600,000: the stored form names its cost, so signing in with it is quick.
     */
    static String cheapHash(String password) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        try {
            byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, 1000, 256)).getEncoded();
            Base64.Encoder base64 = Base64.getEncoder().withoutPadding();
            return "pbkdf2-sha256$1000$" + base64.encodeToString(salt) + "$" + base64.encodeToString(hash);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts a session for {@code user} directly in the store, as a login would, and uses it. */
    ConsoleHttp session(ConsoleUsers users, String user) {
        String id = Secrets.random("");
        csrf = Secrets.random("");
        Instant now = Instant.now();
        users.createSession(new ConsoleUsers.Session(Secrets.sha256(id), user, csrf, now, now.plusSeconds(3600)));
        HttpCookie cookie = new HttpCookie(Authenticator.SESSION_COOKIE, id);
        cookie.setPath("/");
        cookie.setDomain("127.0.0.1"); // as the cookie manager stores the server's, so that a new session replaces it
        cookie.setVersion(0);
        cookies.getCookieStore().add(uri("/"), cookie);
        return this;
    }

    /** Creates an API token for {@code user} directly in the store and returns its value. */
    static String token(ConsoleUsers users, String user) {
        String token = Secrets.random("gh_");
        Instant now = Instant.now();
        users.createToken(new ConsoleUsers.Token(Secrets.shortId(), user, "test", now, now), Secrets.sha256(token),
                "test");
        return token;
    }

    /** Signs in with the login form; afterwards {@link #post} sends the session's CSRF token. */
    ConsoleHttp login(String user, String password) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("user", user, "password", password)))));
        if (response.statusCode() != 303) {
            throw new IllegalStateException("login of " + user + " failed: " + response.statusCode());
        }
        refreshCsrf();
        return this;
    }

    /** Reads the CSRF token of the session from a page (after a password change starts a new session). */
    void refreshCsrf() throws Exception {
        Matcher matcher = CSRF.matcher(get("/").body());
        if (!matcher.find()) {
            throw new IllegalStateException("no CSRF token on the dashboard");
        }
        csrf = matcher.group(1);
    }

    HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** A form post with the session's CSRF token. */
    HttpResponse<String> post(String path, String... fields) throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("_csrf", csrf);
        for (int i = 0; i < fields.length; i += 2) {
            values.put(fields[i], fields[i + 1]);
        }
        return postForm(path, values);
    }

    /** A form post with only these fields (no CSRF token unless given). */
    HttpResponse<String> postForm(String path, Map<String, String> fields) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))));
    }

    /** An API call; {@code token} null for none, {@code json} null for no body. */
    HttpResponse<String> api(String method, String path, String token, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Accept", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request);
    }

    static JsonNode json(HttpResponse<String> response) {
        return Json.MAPPER.readTree(response.body());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create(base + path);
    }

    static String form(Map<String, String> fields) {
        StringBuilder body = new StringBuilder();
        fields.forEach((name, value) -> body.append(body.isEmpty() ? "" : "&")
                .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return body.toString();
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        client.close();
    }
}
