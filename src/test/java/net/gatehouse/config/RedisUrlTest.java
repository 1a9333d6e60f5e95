package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisUrlTest {

    @TempDir
    Path dir;

    @Test
    void readsHostPortDatabaseAndPrefixWithDefaults() {
        assertThat(RedisUrl.parse("redis://cache.internal"))
                .isEqualTo(new RedisUrl(false, "cache.internal", 6379, 0, Optional.empty(), Optional.empty(), "gatehouse:"));
        assertThat(RedisUrl.parse("rediss://cache.internal:6380/3?prefix=gw-prod:"))
                .isEqualTo(new RedisUrl(true, "cache.internal", 6380, 3, Optional.empty(), Optional.empty(), "gw-prod:"));
        assertThat(RedisUrl.parse("redis://[::1]:6379/0").host()).isEqualTo("::1");
    }

    @Test
    void readsAUserAndAPasswordButNeverShowsThePassword() {
        RedisUrl url = RedisUrl.parse("redis://gatehouse:s%3Acret@cache.internal:6379/1");

        assertThat(url.user()).contains("gatehouse");
        assertThat(url.password()).contains("s:cret");
        assertThat(url.toString()).isEqualTo("redis://gatehouse:***@cache.internal:6379/1?prefix=gatehouse:");
        assertThat(RedisUrl.parse("redis://:secret@cache.internal").toString())
                .isEqualTo("redis://:***@cache.internal:6379/0?prefix=gatehouse:").doesNotContain("secret");
    }

    @Test
    void theConfigurationAcceptsARedisUrlAsTheCache() throws ConfigException {
        assertThat(ConfigLoader.parse("cache: \"redis://127.0.0.1:6379/2?prefix=x:\"", dir).cache())
                .isEqualTo("redis://127.0.0.1:6379/2?prefix=x:");
        assertThat(ConfigLoader.parse("cache: rediss://cache.internal", dir).cache()).isEqualTo("rediss://cache.internal");
        assertThat(ConfigLoader.parse("hostname: gw.test", dir).cache()).isEqualTo("local");
    }

    @Test
    void readsTheCaFileOfATlsUrlBesideThePrefix() throws Exception {
        Path ca = Files.writeString(dir.resolve("redis-ca.pem"), "-----BEGIN CERTIFICATE-----\n");

        RedisUrl url = RedisUrl.parse("rediss://cache.internal:6380/0?prefix=gw:&ca_file=" + ca);

        assertThat(url.caFile()).contains(ca);
        assertThat(url.prefix()).isEqualTo("gw:");
        assertThat(url.toString()).isEqualTo("rediss://cache.internal:6380/0?prefix=gw:&ca_file=" + ca);
        assertThat(RedisUrl.parse("rediss://cache.internal?ca_file=" + ca).prefix()).isEqualTo("gatehouse:");
    }

    @Test
    void refusesACaFileThatCannotServe() throws Exception {
        Path ca = Files.writeString(dir.resolve("redis-ca.pem"), "x");

        assertThatIllegalArgumentException().isThrownBy(() -> RedisUrl.parse("redis://cache.internal?ca_file=" + ca))
                .withMessage("the Redis URL's ca_file is for TLS: use rediss://");
        assertThatIllegalArgumentException().isThrownBy(() -> RedisUrl.parse("rediss://cache.internal?ca_file=redis-ca.pem"))
                .withMessageContaining("must be an absolute path");
        assertThatIllegalArgumentException().isThrownBy(() -> RedisUrl.parse("rediss://cache.internal?ca_file=" + dir.resolve("none.pem")))
                .withMessageContaining("is not a readable file");
        assertThatIllegalArgumentException().isThrownBy(() -> RedisUrl.parse("rediss://cache.internal?ca_file=" + ca + "&ca_file=" + ca))
                .withMessage("the Redis URL's ca_file must be given once, with a value");
        assertThatIllegalArgumentException().isThrownBy(() -> RedisUrl.parse("rediss://cache.internal?prefx=gw:"))
                .withMessageStartingWith("the Redis URL's options are prefix= and ca_file=");
    }
}
