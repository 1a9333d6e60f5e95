package net.gatehouse.testing;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import net.gatehouse.cluster.RedisLink;
import net.gatehouse.config.RedisUrl;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * A Redis for a test, with a key prefix of its own, its keys deleted at {@link #close()}:
 * <ul>
 * <li>{@link #shared()}: the development machine's Redis on 127.0.0.1:6379 (DESIGN: real peers);
 * <li>{@link #ownServer()}: a {@code redis-server} process started for the test on a free port,
 *     without persistence, that the test may {@link #kill()}, {@link #freeze()} and {@link #start()}
 *     again on the same port: for the degraded modes.
 * </ul>
 */
public final class TestRedis implements AutoCloseable {

    public static final Duration TEST_TIMEOUT = Duration.ofMillis(200);
    public static final Duration TEST_RETRY_AFTER = Duration.ofMillis(500);

    private final int port;
    private final boolean own;
    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";
    private final List<RedisLink> links = new ArrayList<>();
    private Process server;
    private boolean frozen;
    private String password;
    private TestCa tls;       // rediss: the CA of the server's certificate
    private int tlsPort;

    private TestRedis(int port, boolean own) {
        this.port = port;
        this.own = own;
    }

    public static TestRedis shared() {
        return new TestRedis(6379, false);
    }

    /** @param password required by the server ({@code requirepass}), or null for none */
    public static TestRedis ownServer() {
        return ownServer(null);
    }

    public static TestRedis ownServer(String password) {
        ExternalCommand.require("redis-server", "redis-server");
        TestRedis redis = new TestRedis(LoopbackPorts.free(), true);
        redis.password = password;
        redis.start();
        return redis;
    }

    /**
     * This test's own server, also listening for TLS on another port with a certificate of
     * {@code ca} for {@code localhost}: {@link #url()} is then a {@code rediss://} URL naming
     * {@code ca}'s file as {@code ca_file}. {@link #admin()} keeps the plain port.
     */
    public static TestRedis ownTlsServer(TestCa ca) {
        ExternalCommand.require("redis-server", "redis-server");
        TestRedis redis = new TestRedis(LoopbackPorts.free(), true);
        redis.tls = ca;
        redis.tlsPort = LoopbackPorts.free();
        redis.start();
        return redis;
    }

    /** The {@code cache:} URL of this Redis and prefix. */
    public String url() {
        return tls == null ? "redis://127.0.0.1:" + port + "/0?prefix=" + prefix : tlsUrl(tls.caFile().toString());
    }

    /** The {@code rediss://} URL of a TLS server, with {@code caFile} as its {@code ca_file}; null for none. */
    public String tlsUrl(String caFile) {
        return "rediss://localhost:" + tlsPort + "/0?prefix=" + prefix + (caFile == null ? "" : "&ca_file=" + caFile);
    }

    public String prefix() {
        return prefix;
    }

    public int port() {
        return port;
    }

    /** A link as a node would hold it, with short timeouts for tests; closed with this. */
    public RedisLink link() {
        return link(new SimpleMeterRegistry());
    }

    public RedisLink link(MeterRegistry meters) {
        RedisLink link = new RedisLink(RedisUrl.parse(url()), Optional.empty(), "gatehouse-test", TEST_TIMEOUT,
                TEST_RETRY_AFTER, meters);
        links.add(link);
        return link;
    }

    /** A plain connection for the test's own looks at the keys. */
    public Jedis admin() {
        return new Jedis(new HostAndPort("127.0.0.1", port),
                DefaultJedisClientConfig.builder().timeoutMillis(2000).autoNegotiateProtocol(false).password(password).build());
    }

    /** The keys under this test's prefix. */
    public List<String> keys() {
        List<String> keys = new ArrayList<>();
        try (Jedis jedis = admin()) {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = jedis.scan(cursor, new ScanParams().match(prefix + "*").count(1000));
                keys.addAll(page.getResult());
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
        return keys;
    }

    /** Starts this test's own server (again, on the same port) and waits until it answers. */
    public void start() {
        if (!own) {
            throw new IllegalStateException("the shared Redis is not the test's to start");
        }
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"));
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
        }
        if (tls != null) {
            command.addAll(List.of("--tls-port", String.valueOf(tlsPort), "--tls-cert-file", tls.certFile().toString(),
                    "--tls-key-file", tls.keyFile().toString(), "--tls-ca-cert-file", tls.caFile().toString(),
                    "--tls-auth-clients", "no"));
        }
        try {
            server = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server", e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Jedis jedis = admin()) {
                if ("PONG".equals(jedis.ping())) {
                    return;
                }
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline || !server.isAlive()) {
                    throw new IllegalStateException("redis-server on port " + port + " did not start", e);
                }
            }
            sleep(50);
        }
    }

    /** SIGKILL to this test's own server: connections are refused from now on. */
    public void kill() {
        if (server != null) {
            resume();
            ExternalCommand.destroyTree(server.toHandle());
            server = null;
        }
    }

    /** SIGSTOP to this test's own server: it accepts connections and never answers (a hung Redis). */
    public void freeze() {
        ExternalCommand.run(Duration.ofSeconds(5), "kill", "-STOP", String.valueOf(server.pid())).orFail();
        frozen = true;
    }

    /** SIGCONT after {@link #freeze()}. */
    public void resume() {
        if (frozen && server != null) {
            ExternalCommand.run(Duration.ofSeconds(5), "kill", "-CONT", String.valueOf(server.pid())).orFail();
            frozen = false;
        }
    }

    @Override
    public void close() {
        links.forEach(RedisLink::close);
        if (own) {
            kill();
            return;
        }
        List<String> keys = keys();
        if (!keys.isEmpty()) {
            try (Jedis jedis = admin()) {
                jedis.del(keys.toArray(String[]::new));
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
