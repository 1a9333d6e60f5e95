package net.gatehouse.testing;

import java.io.IOException;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import net.gatehouse.Gateway;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.web.Authenticator;
import net.gatehouse.users.Passwords;
import net.gatehouse.users.Secrets;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client of a running gateway's console for tests: a browser (cookies kept, redirects not
 * followed, the CSRF token read from the pages and sent with {@link #post}), an API client with a
 * bearer token, or anonymous. Users and tokens are made directly in the store.
 */
public final class ConsoleClient implements AutoCloseable {

    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Instead of {@link Passwords}'s 600,000: the stored form names its cost, so a sign-in with it is quick. */
    private static final int CHEAP_ITERATIONS = 1000;

    private final String base;
    /** The gateway's store, for {@link #session}; null for a gateway in another process ({@link #at}). */
    private final ConsoleUsers users;
    private final CookieManager cookies = new CookieManager();
    private final HttpClient http;
    private String bearer;
    private String csrf = "";

    private ConsoleClient(int port, ConsoleUsers users) {
        this.base = "http://127.0.0.1:" + port;
        this.users = users;
        this.http = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** A client of this gateway's console, not signed in. */
    public static ConsoleClient of(Gateway gateway) {
        return new ConsoleClient(gateway.consolePort().orElseThrow(() -> new IllegalStateException("no console")),
                new ConsoleUsers(gateway.database()));
    }

    /**
     * A client of the console on 127.0.0.1:{@code port} of a gateway in another process (the
     * packaged jar), not signed in: it signs in with {@link #login}, as a person would.
     */
    public static ConsoleClient at(int port) {
        return new ConsoleClient(port, null);
    }

    /**
     * Creates a user in the gateway's store (role admin or viewer) with a {@link #cheapHash}; returns
     * its password.
     */
    public static String createUser(Gateway gateway, String name, String role) {
        String password = "pw-" + name + "-" + Secrets.shortId();
        new ConsoleUsers(gateway.database()).add(name, role, cheapHash(password), Instant.now(), TestActor.TEST);
        return password;
    }

    /** Creates an API token for a user of the gateway; returns the token. */
    public static String createToken(Gateway gateway, String user) {
        String token = Secrets.random("gh_");
        Instant now = Instant.now();
        new ConsoleUsers(gateway.database()).createToken(new ConsoleUsers.Token(Secrets.shortId(), user, "test", now, now),
                Secrets.sha256(token), TestActor.TEST);
        return token;
    }

    /**
     * Test only: the stored form of a password as {@link Passwords#hash} makes it, but with 1,000
     * iterations instead of 600,000, so that making users and signing in take no seconds.
     */
    public static String cheapHash(String password) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        try {
            byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, CHEAP_ITERATIONS, 256)).getEncoded();
            Base64.Encoder base64 = Base64.getEncoder().withoutPadding();
            return "pbkdf2-sha256$" + CHEAP_ITERATIONS + "$" + base64.encodeToString(salt) + "$"
                    + base64.encodeToString(hash);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The body of a JSON response. */
    public static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    public static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /** Signs in through the login form and keeps the session and its CSRF token. */
    public ConsoleClient login(String user, String password) throws IOException, InterruptedException {
        HttpResponse<String> response = postForm("/login", Map.of("user", user, "password", password));
        if (response.statusCode() != 303) {
            throw new IllegalStateException("login of " + user + " failed: " + response.statusCode() + " "
                    + response.body());
        }
        refreshCsrf();
        return this;
    }

    /**
     * Uses a session of {@code user} made directly in the store, as a login would: no password to
     * check, for tests that are not about signing in.
     */
    public ConsoleClient session(String user) {
        if (users == null) {
            throw new IllegalStateException("the gateway runs in another process: sign in with login(user, password)");
        }
        String id = Secrets.random("");
        csrf = Secrets.random("");
        Instant now = Instant.now();
        users.createSession(new ConsoleUsers.Session(Secrets.sha256(id), user, csrf, now,
                now.plus(Authenticator.SESSION_LIFETIME)));
        HttpCookie cookie = new HttpCookie(Authenticator.SESSION_COOKIE, id);
        cookie.setPath("/");
        cookie.setDomain("127.0.0.1"); // as the cookie manager stores the server's, so that a new session replaces it
        cookie.setVersion(0);
        cookies.getCookieStore().add(URI.create(base + "/"), cookie);
        return this;
    }

    /** Sends this bearer token with every request from now on. */
    public ConsoleClient bearer(String token) {
        this.bearer = token;
        return this;
    }

    public String csrf() {
        return csrf;
    }

    /** Reads the session's CSRF token from the dashboard (after a password change starts a new session). */
    public void refreshCsrf() throws IOException, InterruptedException {
        csrf = "";
        get("/");
        if (csrf.isEmpty()) {
            throw new IllegalStateException("no CSRF token on the dashboard");
        }
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET());
    }

    /** A form post with the session's CSRF token added (unless the form has one). */
    public HttpResponse<String> post(String path, Map<String, String> form) throws IOException, InterruptedException {
        Map<String, String> withToken = new LinkedHashMap<>(form);
        withToken.putIfAbsent("_csrf", csrf);
        return postForm(path, withToken);
    }

    /** A form post of these name, value pairs with the session's CSRF token. */
    public HttpResponse<String> post(String path, String... fields) throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            form.put(fields[i], fields[i + 1]);
        }
        return post(path, form);
    }

    /** A form post exactly as given (no CSRF token added). */
    public HttpResponse<String> postForm(String path, Map<String, String> form) throws IOException, InterruptedException {
        String body = form.entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        return send(request(path).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** A multipart form post with one file, with the session's CSRF token. */
    public HttpResponse<String> upload(String path, Map<String, String> fields, String fileName, String content)
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

    /** An API call with the client's bearer token, if any; {@code json} null for no body. */
    public HttpResponse<String> api(String method, String path, String json) throws IOException, InterruptedException {
        return api(method, path, null, json);
    }

    /**
     * An API call with this bearer token ({@code token} null for the client's own, if any);
     * {@code json} null for no body.
     */
    public HttpResponse<String> api(String method, String path, String token, String json)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = request(path).header("Accept", "application/json").method(method,
                json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.setHeader("Authorization", "Bearer " + token);
        }
        return send(request);
    }

    /** An API call with a plain-text body. */
    public HttpResponse<String> text(String path, String text) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(text)));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return request;
    }

    /** Sends the request and keeps the CSRF token of the page it answers, if any. */
    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        Matcher matcher = CSRF.matcher(response.body());
        if (matcher.find()) {
            csrf = matcher.group(1);
        }
        return response;
    }

    @Override
    public void close() {
        http.close();
    }
}
