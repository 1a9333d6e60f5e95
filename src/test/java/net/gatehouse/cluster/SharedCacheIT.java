package net.gatehouse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.LoopbackPorts;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateways of one cluster ({@code cache: redis://...}, SPEC §6), in this JVM, each with its own
 * data directory: what one has learnt, the other uses; a harvester counts once over both; and a
 * Redis lost under them leaves them answering, degraded, until it is back.
 */
class SharedCacheIT {

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start().onlyAccept("alice@example.test");
    private TestRedis redis;
    private TestGateway node1;
    private TestGateway node2;

    @AfterEach
    void stop() {
        for (TestGateway node : new TestGateway[] {node1, node2}) {
            if (node != null) {
                node.close();
            }
        }
        if (redis != null) {
            redis.close();
        }
        backend.close();
    }

    private TestGateway node(String name, TestRedis cache) {
        return TestGateway.in(directory.resolve(name)).protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout")
                .callout("timeout: 3s")
                .cache(cache.url());
    }

    @Test
    void aVerdictCachedByOneGatewayIsUsedByTheOther() throws Exception {
        redis = TestRedis.shared();
        node1 = node("node1", redis).start();
        node2 = node("node2", redis).start();

        assertThat(codes(rcpt(node1, "alice@example.test"))).isEqualTo("250 2.1.5");
        assertThat(codes(rcpt(node2, "carol@example.test"))).isEqualTo("550 5.1.1");
        assertThat(probesFor("alice@example.test")).isEqualTo(1);
        assertThat(probesFor("carol@example.test")).isEqualTo(1);

        assertThat(codes(rcpt(node2, "ALICE@example.test"))).isEqualTo("250 2.1.5");
        assertThat(codes(rcpt(node1, "carol@example.test"))).isEqualTo("550 5.1.1");
        assertThat(probesFor("alice@example.test")).isEqualTo(1);
        assertThat(probesFor("carol@example.test")).isEqualTo(1);
        assertThat(redis.keys()).contains(redis.prefix() + "verdict:alice@example.test",
                redis.prefix() + "verdict:carol@example.test");
    }

    @Test
    void aHarvesterSpreadOverTheGatewaysIsBlockedAtTheClusterWideThreshold() throws Exception {
        redis = TestRedis.shared();
        String harvest = "harvest: { window: 10m, tarpit_after: 4, tarpit_delay: 0s, block_after: 4, block_for: 10m }";
        node1 = node("node1", redis).policy(harvest).start();
        node2 = node("node2", redis).policy(harvest).start();

        assertThat(codes(rcpt(node1, "a@example.test"))).isEqualTo("550 5.1.1");
        assertThat(codes(rcpt(node2, "b@example.test"))).isEqualTo("550 5.1.1");
        assertThat(codes(rcpt(node1, "c@example.test"))).isEqualTo("550 5.1.1");
        assertThat(codes(rcpt(node2, "d@example.test"))).isEqualTo("421 4.7.0");

        try (SmtpTestClient again = SmtpTestClient.open(node1.port())) {
            assertThat(codes(again.read())).isEqualTo("421 4.7.0");
        }
    }

    @Test
    void aGatewayWhoseRedisIsLostAnswersDegradedWithoutRefusingAndRecoversByItself() throws Exception {
        redis = TestRedis.ownServer();
        int console = LoopbackPorts.free();
        node1 = node("node1", redis).console("127.0.0.1:" + console).consoleUser("admin", "admin").start();
        assertThat(codes(rcpt(node1, "alice@example.test"))).isEqualTo("250 2.1.5");
        assertThat(get(console, "/readyz")).isEqualTo("ready\n");

        redis.kill();

        long started = System.nanoTime();
        assertThat(codes(rcpt(node1, "alice@example.test"))).isEqualTo("250 2.1.5");
        backend.onlyAccept("alice@example.test", "bob@example.test");
        assertThat(codes(rcpt(node1, "bob@example.test"))).isEqualTo("250 2.1.5");
        assertThat(codes(rcpt(node1, "carol@example.test"))).isEqualTo("550 5.1.1");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        assertThat(get(console, "/readyz")).isEqualTo("ready\ncache: degraded\n");
        assertThat(get(console, "/metrics")).contains("gatehouse_cache_degraded 1.0");

        redis.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> get(console, "/readyz").equals("ready\n"));
        assertThat(get(console, "/metrics")).contains("gatehouse_cache_degraded 0.0");
        assertThat(codes(rcpt(node1, "bob@example.test"))).isEqualTo("250 2.1.5");
        assertThat(redis.keys()).contains(redis.prefix() + "verdict:bob@example.test");
    }

    private static Reply rcpt(TestGateway gateway, String recipient) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<sender@elsewhere.test>");
            return client.command("RCPT TO:<" + recipient + ">");
        }
    }

    private long probesFor(String address) {
        return backend.commands().stream().filter(c -> c.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }

    private static String codes(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }

    private static String get(int port, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            return response.body();
        }
    }
}
