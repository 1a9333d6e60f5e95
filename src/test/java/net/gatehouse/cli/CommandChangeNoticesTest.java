package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import net.gatehouse.cluster.RedisChanges;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * SPEC §6, "a policy change made on any node (console, API, CLI)": the command line's changes are
 * announced on the cluster's Redis ({@code <prefix>changes}) once committed, when the configuration
 * names a shared cache, so that running gateways look at the store at once; a command that changed
 * nothing announces nothing. When Redis is not there the change stands and the command says the
 * gateways will notice it at their next poll.
 */
class CommandChangeNoticesTest {

    @TempDir
    Path directory;
    private TestRedis redis;
    private Path config;
    private final List<String> notices = new CopyOnWriteArrayList<>();
    private final JedisPubSub listener = new JedisPubSub() {
        @Override
        public void onMessage(String channel, String message) {
            notices.add(message);
        }
    };
    private Thread subscriber;

    @BeforeEach
    void listen() throws Exception {
        redis = TestRedis.ownServer();
        config = writeConfig(redis.url());
        subscriber = Thread.ofPlatform().daemon().start(() -> {
            try (Jedis jedis = redis.admin()) {
                jedis.subscribe(listener, redis.prefix() + RedisChanges.CHANNEL);
            } catch (RuntimeException e) {
                // closed by the test
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(listener::isSubscribed);
    }

    @AfterEach
    void stop() {
        if (listener.isSubscribed()) {
            try {
                listener.unsubscribe();
            } catch (RuntimeException e) {
                // the test killed Redis: the subscription went with it
            }
        }
        redis.close();
    }

    private Path writeConfig(String cache) throws Exception {
        Path file = directory.resolve("gatehouse.yaml");
        Files.writeString(file, """
                hostname: gw.test
                data_dir: data
                cache: "%s"
                policy:
                  recipient_verification: none
                """.formatted(cache));
        return file;
    }

    private CommandRun run(String... args) {
        String[] full = new String[args.length + 1];
        full[0] = args[0];
        full[1] = args[1];
        full[2] = "--config=" + config;
        System.arraycopy(args, 2, full, 3, args.length - 2);
        return CommandRun.of("", full);
    }

    @Test
    void everyChangeOfTheCommandLineIsAnnounced() {
        assertThat(run("domains", "add", "cli.test", "--backend", "127.0.0.1:2527").exitCode()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> notices.contains("policy"));
        assertThat(run("recipients", "add", "cli.test", "alice@cli.test").exitCode()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> notices.contains("valid_list"));
        assertThat(run("networks", "add", "192.0.2.0/24").exitCode()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> notices.size() == 3);
        assertThat(notices).containsExactly("policy", "valid_list", "policy");
    }

    @Test
    void aCommandThatChangesNothingAnnouncesNothing() {
        assertThat(run("domains", "add", "cli.test", "--backend", "127.0.0.1:2527").exitCode()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> notices.size() == 1);
        assertThat(run("domains", "list").exitCode()).isZero();
        assertThat(run("recipients", "add", "cli.test", "alice@cli.test").exitCode()).isZero();
        assertThat(run("recipients", "add", "cli.test", "alice@cli.test").exitCode()).isZero(); // nothing new
        assertThat(run("networks", "add", "192.0.2.0/24").exitCode()).isZero();
        // the last notice is the network's: the list command and the repeated add sent none in between
        await().atMost(Duration.ofSeconds(10)).until(() -> notices.size() == 3);
        assertThat(notices).containsExactly("policy", "valid_list", "policy");
    }

    @Test
    void withRedisAwayTheChangeStandsAndTheCommandSaysSo() {
        redis.kill();
        CommandRun added = run("domains", "add", "cli.test", "--backend", "127.0.0.1:2527");
        assertThat(added.exitCode()).isZero();
        assertThat(added.err()).contains("next poll");
        assertThat(run("domains", "list").out()).contains("cli.test");
    }
}
