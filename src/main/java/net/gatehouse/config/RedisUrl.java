package net.gatehouse.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code cache:} setting when it names a Redis server shared by the nodes of a cluster (SPEC
 * §6): {@code redis://host:port/db}, or {@code rediss://} for TLS, with an optional user
 * ({@code redis://gatehouse@host/0}, Redis 6 ACLs), an optional {@code prefix=} under which every
 * key is kept (default {@value #DEFAULT_PREFIX}), so that several clusters, or test runs, can share
 * one Redis database, and for {@code rediss://} an optional {@code ca_file=}: the PEM file of the
 * CA that signs the server's certificate, when it is not one the JDK trusts. The server's
 * certificate must name the URL's host either way. Options go in the query, joined by {@code &}:
 * {@code rediss://cache.internal:6380/0?prefix=gw:&ca_file=/etc/gatehouse/redis-ca.pem}.
 *
 * <p>A password in the URL ({@code redis://:secret@host}) is accepted but better kept out of the
 * file ({@code GATEHOUSE_CACHE_PASSWORD}, or a file named by {@code GATEHOUSE_CACHE_PASSWORD_FILE}).
 * {@link #toString()} never shows it, and the parse errors never repeat the text they refuse.
 */
public record RedisUrl(boolean tls, String host, int port, int database, Optional<String> user,
                       Optional<String> password, String prefix, Optional<Path> caFile) {

    public static final int DEFAULT_PORT = 6379;
    public static final String DEFAULT_PREFIX = "gatehouse:";
    private static final int MAX_DATABASE = 1 << 16;

    public RedisUrl {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("a Redis URL needs a host");
        }
        if (caFile.isPresent() && !tls) {
            throw new IllegalArgumentException("the Redis URL's ca_file is for TLS: use rediss://");
        }
    }

    /** As above, without a CA file. */
    public RedisUrl(boolean tls, String host, int port, int database, Optional<String> user, Optional<String> password,
                    String prefix) {
        this(tls, host, port, database, user, password, prefix, Optional.empty());
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
        Map<String, String> options = options(uri.getRawQuery());
        return new RedisUrl("rediss".equals(scheme), host, port, database(uri.getRawPath()),
                userInfo(uri, 0), userInfo(uri, 1), prefix(options.get("prefix")), caFile(options.get("ca_file")));
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

    /** The query's options by name: {@code prefix} and {@code ca_file}, each at most once. */
    private static Map<String, String> options(String query) {
        Map<String, String> options = new HashMap<>();
        if (query == null || query.isEmpty()) {
            return options;
        }
        for (String option : query.split("&", -1)) {
            int equals = option.indexOf('=');
            String name = equals < 0 ? option : option.substring(0, equals);
            if (!name.equals("prefix") && !name.equals("ca_file")) {
                throw new IllegalArgumentException("the Redis URL's options are prefix= and ca_file=, as in "
                        + "rediss://host:6380/0?prefix=gatehouse:&ca_file=/etc/gatehouse/redis-ca.pem");
            }
            if (equals < 0 || options.put(name, URLDecoder.decode(option.substring(equals + 1), StandardCharsets.UTF_8)) != null) {
                throw new IllegalArgumentException("the Redis URL's " + name + " must be given once, with a value");
            }
        }
        return options;
    }

    private static String prefix(String prefix) {
        if (prefix == null) {
            return DEFAULT_PREFIX;
        }
        if (prefix.isEmpty() || prefix.length() > 100 || !prefix.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("the Redis key prefix must be 1 to 100 printable ASCII characters without spaces");
        }
        return prefix;
    }

    /** The CA file, an absolute path to a readable file (a path is no secret: it may be named). */
    private static Optional<Path> caFile(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Path file;
        try {
            file = Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("the Redis URL's ca_file is not a valid path");
        }
        if (!file.isAbsolute()) {
            throw new IllegalArgumentException("the Redis URL's ca_file must be an absolute path, not " + text);
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("the Redis URL's ca_file " + file + " is not a readable file");
        }
        return Optional.of(file);
    }

    /** The URL as it may be logged: the password, wherever it came from, is never part of it. */
    @Override
    public String toString() {
        String address = host.contains(":") ? "[" + host + "]" : host;
        return (tls ? "rediss://" : "redis://") + user.map(name -> name + (password.isPresent() ? ":***" : "") + "@")
                .orElse(password.isPresent() ? ":***@" : "")
                + address + ":" + port + "/" + database + "?prefix=" + prefix
                + caFile.map(file -> "&ca_file=" + file).orElse("");
    }
}
