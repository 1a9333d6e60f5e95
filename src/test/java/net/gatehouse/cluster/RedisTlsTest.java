package net.gatehouse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import net.gatehouse.config.RedisUrl;
import net.gatehouse.testing.TestCa;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rediss://} against a real {@code redis-server} with TLS and a certificate of a CA made for
 * the test: the link and the change subscriber connect when the URL's {@code ca_file} names that
 * CA, and refuse the server when it is not trusted or does not name the host connected to.
 */
class RedisTlsTest {

    @TempDir
    static Path dir;

    private static TestCa ca;
    private static TestRedis redis;

    @BeforeAll
    static void start() {
        ca = TestCa.create(dir.resolve("ca"), "Gatehouse test Redis CA");
        redis = TestRedis.ownTlsServer(ca);
    }

    @AfterAll
    static void stop() {
        redis.close();
    }

    private static RedisLink link(String url) {
        return new RedisLink(RedisUrl.parse(url), Optional.empty(), "gatehouse-test", Duration.ofSeconds(2),
                TestRedis.TEST_RETRY_AFTER, new SimpleMeterRegistry());
    }

    @Test
    void theLinkSpeaksTlsToAServerOfTheCaFile() {
        try (RedisLink link = link(redis.url())) {
            link.call(jedis -> jedis.set(redis.prefix() + "tls", "yes"));

            String value = link.call(jedis -> jedis.get(redis.prefix() + "tls"));
            assertThat(value).isEqualTo("yes");
            assertThat(link.degraded()).isFalse();
            assertThat(link.url().toString()).endsWith("&ca_file=" + ca.caFile());
        }
    }

    @Test
    void changeNoticesTravelOverTls() throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (RedisLink link = link(redis.url());
             RedisChanges changes = new RedisChanges(link, Optional.empty(), "gatehouse-test", Duration.ofSeconds(2),
                     received::add)) {
            // the subscription is made on its own thread: publish until it hears one
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                RedisChanges.publish(link, "policy");
                return "policy".equals(received.poll(200, TimeUnit.MILLISECONDS));
            });
        }
    }

    @Test
    void aServerOfACaTheJdkDoesNotTrustIsRefused() {
        try (RedisLink link = link(redis.tlsUrl(null))) {
            assertThatThrownBy(() -> link.call(jedis -> jedis.ping())).isInstanceOf(RedisUnavailableException.class)
                    .hasStackTraceContaining("PKIX path building failed");
            assertThat(link.degraded()).isTrue();
        }
    }

    @Test
    void aCertificateThatDoesNotNameTheHostIsRefused() {
        // the certificate names localhost only; the same server reached as 127.0.0.1
        String byAddress = redis.url().replace("rediss://localhost:", "rediss://127.0.0.1:");
        try (RedisLink link = link(byAddress)) {
            assertThatThrownBy(() -> link.call(jedis -> jedis.ping())).isInstanceOf(RedisUnavailableException.class)
                    .hasStackTraceContaining("No subject alternative names matching IP address 127.0.0.1");
        }
    }
}
