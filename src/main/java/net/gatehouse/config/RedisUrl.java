package net.gatehouse.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The {@code cache:} setting when it names a Redis server shared by the nodes of a cluster (SPEC
 * §6): {@code redis://host:port/db}, or {@code rediss://} for TLS, with an optional user
 * ({@code redis://gatehouse@host/0}, Redis 6 ACLs) and an optional {@code ?prefix=} under which
 * every key is kept (default {@value #DEFAULT_PREFIX}), so that several clusters, or test runs,
 * can share one Redis database.
 *
 * <p>A password in the URL ({@code redis://:secret@host}) is accepted but better kept out of the
 * file ({@code GATEHOUSE_CACHE_PASSWORD}, or a file named by {@code GATEHOUSE_CACHE_PASSWORD_FILE}).
 * {@link #toString()} never shows it, and the parse errors never repeat the text they refuse.
 */
public record RedisUrl(boolean tls, String host, int port, int database, Optional<String> user,
                       Optional<String> password, String prefix) {

    public static final int DEFAULT_PORT = 6379;
    public static final String DEFAULT_PREFIX = "gatehouse:";
    private static final int MAX_DATABASE = 1 << 16;

    public RedisUrl {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("a Redis URL needs a host");
        }
    }

    /** Whether {@code text} means a shared Redis cache rather than {@code local}. */
    public static boolean isRedis(String text) {
        return text.startsWith("redis://") || text.startsWith("rediss://");
    }

    /**
     * Reads a {@code redis://} or {@code rediss://} URL.
     *
     * @throws IllegalArgumentException saying what is wrong, without repeating the text (it may hold a password)
     */
    public static RedisUrl parse(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL (" + e.getReason() + "); expected redis://host:port/db");
        }
        String scheme = uri.getScheme();
        if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
            throw new IllegalArgumentException("expected local, or a Redis URL starting with redis:// or rediss://");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("the Redis URL needs a host (and may have a port), as in redis://host:6379/0");
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the Redis URL's port must be from 1 to 65535");
        }
        return new RedisUrl("rediss".equals(scheme), host, port, database(uri.getRawPath()),
                userInfo(uri, 0), userInfo(uri, 1), prefix(uri.getRawQuery()));
    }

    private static int database(String path) {
        if (path == null || path.isEmpty() || path.equals("/")) {
            return 0;
        }
        String number = path.substring(1);
        if (!number.matches("[0-9]{1,5}") || Integer.parseInt(number) >= MAX_DATABASE) {
            throw new IllegalArgumentException("the Redis URL's path must be a database number, as in redis://host:6379/0");
        }
        return Integer.parseInt(number);
    }

    /** Part {@code index} of {@code user:password}, if present and not empty. */
    private static Optional<String> userInfo(URI uri, int index) {
        String raw = uri.getRawUserInfo();
        if (raw == null) {
            return Optional.empty();
        }
        String[] parts = raw.split(":", 2);
        return index < parts.length && !parts[index].isEmpty()
                ? Optional.of(URLDecoder.decode(parts[index], StandardCharsets.UTF_8)) : Optional.empty();
    }

    private static String prefix(String query) {
        if (query == null || query.isEmpty()) {
            return DEFAULT_PREFIX;
        }
        if (!query.startsWith("prefix=") || query.contains("&")) {
            throw new IllegalArgumentException("the Redis URL's only option is ?prefix=, as in redis://host:6379/0?prefix=gatehouse:");
        }
        String prefix = URLDecoder.decode(query.substring("prefix=".length()), StandardCharsets.UTF_8);
        if (prefix.isEmpty() || prefix.length() > 100 || !prefix.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("the Redis key prefix must be 1 to 100 printable ASCII characters without spaces");
        }
        return prefix;
    }

    /** The URL as it may be logged: the password, wherever it came from, is never part of it. */
    @Override
    public String toString() {
        String address = host.contains(":") ? "[" + host + "]" : host;
        return (tls ? "rediss://" : "redis://") + user.map(name -> name + (password.isPresent() ? ":***" : "") + "@")
                .orElse(password.isPresent() ? ":***@" : "")
                + address + ":" + port + "/" + database + "?prefix=" + prefix;
    }
}
