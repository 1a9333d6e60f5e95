package net.gatehouse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.config.RedisUrl;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

class RedisLinkTest {

    private static final RedisUrl URL = RedisUrl.parse("redis://:from-url@cache.internal/0");

    @TempDir
    Path dir;

    @Test
    void takesThePasswordFromTheEnvironmentThenItsFileThenTheUrl() throws Exception {
        Path file = dir.resolve("redis.secret");
        Files.writeString(file, "from-file\n");

        assertThat(RedisLink.password(URL, Map.of("GATEHOUSE_CACHE_PASSWORD", "from-env",
                "GATEHOUSE_CACHE_PASSWORD_FILE", file.toString()))).contains("from-env");
        assertThat(RedisLink.password(URL, Map.of("GATEHOUSE_CACHE_PASSWORD_FILE", file.toString()))).contains("from-file");
        assertThat(RedisLink.password(URL, Map.of())).contains("from-url");
        assertThat(RedisLink.password(RedisUrl.parse("redis://cache.internal"), Map.of())).isEmpty();
    }

    @Test
    void anUnreadablePasswordFileIsNamedWithoutItsContent() throws Exception {
        Path empty = dir.resolve("empty.secret");
        Files.writeString(empty, "\n");

        assertThatIOException().isThrownBy(() -> RedisLink.password(URL,
                        Map.of("GATEHOUSE_CACHE_PASSWORD_FILE", dir.resolve("missing").toString())))
                .withMessageStartingWith("GATEHOUSE_CACHE_PASSWORD_FILE: cannot read the Redis password from " + dir.resolve("missing"));
        assertThatIOException().isThrownBy(() -> RedisLink.password(URL, Map.of("GATEHOUSE_CACHE_PASSWORD_FILE", empty.toString())))
                .withMessageContaining("is empty");
    }

    @Test
    void signsInWithThePasswordAndNeverLogsAWrongOne() {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(RedisLink.class);
        logger.addAppender(log);
        try (TestRedis redis = TestRedis.ownServer("right-s3cret")) {
            RedisUrl url = RedisUrl.parse(redis.url());
            try (RedisLink right = link(url, "right-s3cret"); RedisLink wrong = link(url, "wrong-s3cret")) {
                assertThat(right.call(UnifiedJedis::ping)).isEqualTo("PONG");
                await().atMost(Duration.ofSeconds(3)).until(wrong::degraded);
                assertThat(right.degraded()).isFalse();
            }
        } finally {
            logger.detachAppender(log);
        }
        assertThat(log.list).anySatisfy(event -> assertThat(event.getFormattedMessage()).startsWith("cache_degraded"));
        assertThat(log.list).allSatisfy(event -> assertThat(event.getFormattedMessage()).doesNotContain("s3cret"));
    }

    private static RedisLink link(RedisUrl url, String password) {
        return new RedisLink(url, Optional.of(password), "test", TestRedis.TEST_TIMEOUT, TestRedis.TEST_RETRY_AFTER,
                new SimpleMeterRegistry());
    }
}
