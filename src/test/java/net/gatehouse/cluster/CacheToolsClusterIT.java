package net.gatehouse.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import net.gatehouse.store.AuditLog;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The cache tools in a cluster (SPEC §9): two gateways sharing the development machine's Redis
 * under a prefix of this test's; what one node probed, the other's API shows, and a flush through
 * either node's API is a flush of the shared cache, which the other node's next RCPT honours.
 */
class CacheToolsClusterIT {

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start().onlyAccept("alice@example.test");
    private final TestRedis redis = TestRedis.shared();
    private TestGateway node1;
    private TestGateway node2;
    private ConsoleClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        for (TestGateway node : new TestGateway[] {node1, node2}) {
            if (node != null) {
                node.close();
            }
        }
        redis.close();
        backend.close();
    }

    private TestGateway node(String name) {
        return TestGateway.in(directory.resolve(name)).protect("example.test", backend.hostPort())
                .protect("other.test", backend.hostPort())
                .policy("recipient_verification: callout").callout("timeout: 3s")
                .console("127.0.0.1:0").consoleUser("ada", "admin").node(name)
                .cache(redis.url());
    }

    @Test
    void aFlushThroughOneNodeEmptiesTheSharedCacheForBoth() throws Exception {
        node1 = node("node1").start();
        node2 = node("node2").start();
        String token2 = ConsoleClient.createToken(node2.gateway(), "ada");
        String token1 = ConsoleClient.createToken(node1.gateway(), "ada");
        client = ConsoleClient.of(node2.gateway());
        ConsoleClient client1 = ConsoleClient.of(node1.gateway());

        assertThat(node1.rcpt("alice@example.test")).isEqualTo("250 2.1.5");
        assertThat(node1.rcpt("bob@example.test")).isEqualTo("550 5.1.1");
        assertThat(node1.rcpt("bob@other.test")).isEqualTo("550 5.1.1");
        JsonNode seen = ConsoleClient.json(client.api("GET", "/api/v1/cache/bob@example.test", token2, null));
        assertThat(seen.get("verdict").asString()).as("node2 shows what node1 probed").isEqualTo("rejected");
        assertThat(seen.get("node").asString()).as("named by its node: name").isEqualTo("node1");

        HttpResponse<String> flushed = client.api("DELETE", "/api/v1/cache?domain=example.test", token2, null);
        assertThat(flushed.statusCode()).as(flushed.body()).isEqualTo(200);
        assertThat(ConsoleClient.json(flushed).get("flushed").asLong()).isEqualTo(2);

        assertThat(redis.keys()).as("only other.test's verdict is left in Redis")
                .filteredOn(key -> key.startsWith(redis.prefix() + "verdict:"))
                .containsExactly(redis.prefix() + "verdict:bob@other.test");
        assertThat(client1.api("GET", "/api/v1/cache/bob@example.test", token1, null).statusCode())
                .as("node1 reads the shared cache").isEqualTo(404);
        int probes = probesFor("bob@example.test");
        assertThat(node1.rcpt("bob@example.test")).isEqualTo("550 5.1.1");
        assertThat(probesFor("bob@example.test")).as("node1 probes again").isEqualTo(probes + 1);
        AuditLog.Entry entry = new AuditLog(node2.gateway().database()).recent(1).getFirst();
        assertThat(entry.action()).isEqualTo("cache.flush_domain");
        assertThat(entry.target()).isEqualTo("example.test");
        client1.close();
    }

    private int probesFor(String address) {
        return (int) backend.commands().stream().filter(line -> line.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }
}
