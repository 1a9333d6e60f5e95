package net.gatehouse.cluster;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.net.ssl.SSLParameters;
import net.gatehouse.config.RedisUrl;
import net.gatehouse.tls.TlsContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * This node's link to the Redis that the nodes of a cluster share (SPEC §6), and the judge of
 * whether it is usable: every command goes through {@link #call}, which either answers or throws
 * {@link RedisUnavailableException} within about {@link #DEFAULT_TIMEOUT} (twice that when a
 * connection broke and is retried once on a fresh one), so that a Redis outage never stalls a RCPT.
 *
 * <ul>
 * <li><b>Degraded.</b> On the first failure the link is degraded: it logs it once ({@code
 *     cache_degraded}), {@link #degraded()} says so (for {@code /readyz} and the
 *     {@code gatehouse_cache_degraded} gauge), and callers use what the node keeps itself.
 * <li><b>Circuit.</b> While degraded, commands fail at once without touching the network; every
 *     {@link #retryAfter} one command (a caller's, or the link's own {@code PING} when there is no
 *     traffic) is let through as a trial. The first that succeeds ends the outage ({@code
 *     cache_recovered}), with no restart.
 * </ul>
 *
 * <p>A full connection pool (more commands at once than {@value #MAX_CONNECTIONS} connections
 * serve within {@link #BORROW_WAIT}) fails that command only: it says nothing about Redis.
 *
 * <p>The password comes from {@code GATEHOUSE_CACHE_PASSWORD}, else from the file named by
 * {@code GATEHOUSE_CACHE_PASSWORD_FILE}, else from the URL; it is never logged.
 */
public final class RedisLink implements AutoCloseable {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(300);
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(3);
    public static final String PASSWORD_VARIABLE = "GATEHOUSE_CACHE_PASSWORD";
    public static final String PASSWORD_FILE_VARIABLE = "GATEHOUSE_CACHE_PASSWORD_FILE";
    static final int MAX_CONNECTIONS = 64;
    static final Duration BORROW_WAIT = Duration.ofMillis(100);
    private static final Duration WATCH_INTERVAL = Duration.ofMillis(250);

    private static final Logger log = LoggerFactory.getLogger(RedisLink.class);

    private final RedisUrl url;
    private final RedisClient client;
    private final Duration retryAfter;
    private final Timer latency;
    private final Thread watcher;
    private volatile boolean degraded;
    private volatile long degradedSince;
    /** While degraded: the {@link System#nanoTime()} from which the next trial may run. */
    private final AtomicLong retryAt = new AtomicLong();
    private volatile boolean closed;

    /**
     * Connects lazily: an unreachable Redis makes the link start degraded, not fail.
     *
     * @param password   from {@link #password}
     * @param clientName shown by {@code CLIENT LIST} on the Redis server (the node's name)
     * @param timeout    connect and command timeout
     * @param retryAfter how long the circuit stays open after a failure
     */
    public RedisLink(RedisUrl url, Optional<String> password, String clientName, Duration timeout, Duration retryAfter,
                     MeterRegistry meters) {
        this.url = url;
        this.retryAfter = retryAfter;
        DefaultJedisClientConfig.Builder config = clientConfig(url, password, timeout)
                .socketTimeoutMillis((int) timeout.toMillis())
                .clientName(clientName.replaceAll("[^A-Za-z0-9._-]", "_"));
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(MAX_CONNECTIONS);
        pool.setMaxIdle(MAX_CONNECTIONS);
        pool.setMinIdle(0);
        pool.setBlockWhenExhausted(true);
        pool.setMaxWait(BORROW_WAIT);
        pool.setTestWhileIdle(true);
        pool.setTimeBetweenEvictionRuns(Duration.ofSeconds(30));
        this.client = RedisClient.builder()
                .hostAndPort(url.host(), url.port())
                .clientConfig(config.build())
                .poolConfig(pool)
                .build();
        this.latency = Timer.builder("gatehouse.cache.redis.latency")
                .description("Round trips to the shared Redis cache, answered or failed")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(1))
                .register(meters);
        log.info("cache_shared cache={}", url);
        this.watcher = Thread.ofVirtual().name("redis-link-watcher").start(this::watch);
    }

    /**
     * How to reach the server of {@code url}: database, user, password, and for {@code rediss://}
     * TLS with the server's host name checked against its certificate, trusting the URL's
     * {@code ca_file} or else the JDK's CAs. The link and the change subscriber both connect so.
     *
     * @throws UncheckedIOException the CA file cannot be read (it was readable when the URL was parsed)
     */
    static DefaultJedisClientConfig.Builder clientConfig(RedisUrl url, Optional<String> password, Duration connectTimeout) {
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) connectTimeout.toMillis())
                .database(url.database())
                .ssl(url.tls());
        if (url.tls()) {
            SSLParameters parameters = new SSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");   // the certificate must name the host
            config.sslParameters(parameters);
            try {
                config.sslSocketFactory(TlsContexts.trusting(url.caFile()).getSocketFactory());
            } catch (IOException | GeneralSecurityException e) {
                throw new UncheckedIOException(new IOException("cache: cannot use ca_file "
                        + url.caFile().map(Object::toString).orElse("") + ": " + e.getMessage(), e));
            }
        }
        url.user().ifPresent(config::user);
        password.ifPresent(config::password);
        return config;
    }

    /**
     * The Redis password, if any: {@code GATEHOUSE_CACHE_PASSWORD}, else the first line of the
     * file named by {@code GATEHOUSE_CACHE_PASSWORD_FILE}, else the URL's.
     *
     * @throws IOException naming the variable and the file (never the content) if it cannot be read
     */
    public static Optional<String> password(RedisUrl url, Map<String, String> environment) throws IOException {
        String direct = environment.get(PASSWORD_VARIABLE);
        if (direct != null && !direct.isEmpty()) {
            return Optional.of(direct);
        }
        String file = environment.get(PASSWORD_FILE_VARIABLE);
        if (file != null && !file.isEmpty()) {
            String content;
            try {
                content = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IOException(PASSWORD_FILE_VARIABLE + ": cannot read the Redis password from " + file
                        + " (" + e.getClass().getSimpleName() + ")", e);
            }
            String line = content.lines().findFirst().orElse("").strip();
            if (line.isEmpty()) {
                throw new IOException(PASSWORD_FILE_VARIABLE + ": " + file + " is empty; it should hold the Redis password");
            }
            return Optional.of(line);
        }
        return url.password();
    }

    /**
     * Runs one command (or script) on a pooled connection.
     *
     * @throws RedisUnavailableException if Redis did not answer, answered with an error, or the
     *                                   circuit is open; never blocks longer than the timeouts
     */
    public <T> T call(Function<UnifiedJedis, T> command) {
        if (closed) {
            throw new RedisUnavailableException("the link to " + url + " is closed", null);
        }
        if (degraded) {
            long due = retryAt.get();
            // One trial per period; the others fall back at once.
            if (System.nanoTime() - due < 0 || !retryAt.compareAndSet(due, System.nanoTime() + retryAfter.toNanos())) {
                throw new RedisUnavailableException("the shared cache " + url + " is unavailable (circuit open)", null);
            }
        }
        try {
            T result = timed(command);
            if (degraded) {
                recovered();
            }
            return result;
        } catch (JedisException e) {
            if (isPoolExhausted(e)) {
                throw new RedisUnavailableException("all " + MAX_CONNECTIONS + " connections to " + url + " are busy", e);
            }
            JedisException failure = e;
            if (!degraded && e instanceof JedisConnectionException) {
                // Typically an idle connection that a Redis restart broke, and its idle siblings
                // with it: once more on a fresh one before calling Redis unavailable.
                client.getPool().clear();
                try {
                    return timed(command);
                } catch (JedisException again) {
                    failure = again;
                }
            }
            failed(failure);
            throw new RedisUnavailableException("the shared cache " + url + " failed: " + failure.getMessage(), failure);
        }
    }

    /** Whether the node is using its own cache and counters because Redis is unavailable. */
    public boolean degraded() {
        return degraded;
    }

    public RedisUrl url() {
        return url;
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        client.close();
    }

    private <T> T timed(Function<UnifiedJedis, T> command) {
        long started = System.nanoTime();
        try {
            return command.apply(client);
        } finally {
            latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
    }

    private synchronized void failed(JedisException e) {
        if (!degraded) {
            degradedSince = System.nanoTime();
            retryAt.set(System.nanoTime() + retryAfter.toNanos());
            client.getPool().clear();
            log.warn("cache_degraded cache={} error=\"{}\" note=\"Redis is unavailable: this node uses its own "
                            + "verification cache and harvest counts until it answers again (tried every {} ms)\"",
                    url, describe(e), retryAfter.toMillis());
            degraded = true;   // after the log line: whoever sees the state finds the line written
        }
    }

    private synchronized void recovered() {
        if (degraded) {
            log.info("cache_recovered cache={} degraded_for={}ms", url,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - degradedSince));
            degraded = false;
        }
    }

    /** Checks Redis at start, and while degraded, so that recovery needs no traffic. */
    private void watch() {
        try {
            tryPing();
            while (!closed) {
                Thread.sleep(WATCH_INTERVAL);
                if (degraded && System.nanoTime() - retryAt.get() >= 0) {
                    tryPing();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void tryPing() {
        try {
            call(UnifiedJedis::ping);
        } catch (RedisUnavailableException e) {
            // logged once by failed(); the next trial is due after retryAfter
        }
    }

    private static boolean isPoolExhausted(JedisException e) {
        return !(e instanceof JedisConnectionException) && e.getCause() instanceof NoSuchElementException;
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return root == e ? message : message + ": " + root.getMessage();
    }
}
