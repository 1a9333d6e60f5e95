package net.gatehouse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import net.gatehouse.admin.ProtectedDomains;
import net.gatehouse.admin.ValidLists;
import net.gatehouse.directory.ValidListDirectory;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.store.Database;
import net.gatehouse.store.PolicyStore;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.testing.TestActor;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SPEC §6, "a policy change made on any node is in force on every node within 2 seconds": two
 * nodes on one PostgreSQL database (the machine's server, a database of the test's own) and one
 * Redis (a {@code redis-server} of the test's own). A change through the administration of one
 * node is announced on Redis, and the other node looks at the store at once: with a poll interval
 * of a minute, only the notice can bring the change within the wait. With Redis killed, the notice
 * is lost and polling still brings the change.
 */
class ChangeNotificationsIT {

    private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
    private static final String ADMIN = SERVER + "postgres?user=postgres&connectTimeout=3";
    /** Long enough that a change seen within the wait was brought by the notice. */
    private static final Duration NEVER_WITHIN_THE_WAIT = Duration.ofSeconds(60);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private String name;
    private TestRedis redis;
    private final List<AutoCloseable> closing = new ArrayList<>();

    /** What a node holds of the cluster: its store, its policy and lists, its notices. */
    private record Node(LivePolicy policy, ValidListDirectory lists, RedisLink link, RedisChanges changes,
                        ProtectedDomains domains, ValidLists validLists) {
    }

    @BeforeEach
    void createDatabase() throws SQLException {
        name = "gatehouse_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        try (Connection admin = DriverManager.getConnection(ADMIN); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        redis = TestRedis.ownServer();
    }

    @AfterEach
    void dropDatabase() throws Exception {
        for (AutoCloseable resource : closing.reversed()) {
            resource.close();
        }
        redis.close();
        try (Connection admin = DriverManager.getConnection(ADMIN); Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    private Node node(Duration pollInterval) throws Exception {
        Database database = Database.open(SERVER + name + "?user=postgres", Path.of("unused"), Map.of());
        closing.add(database);
        LivePolicy policy = LivePolicy.start(Optional.empty(), new PolicyStore(database), Clock.systemUTC(), pollInterval);
        closing.add(policy);
        ValidRecipientStore store = new ValidRecipientStore(database);
        ValidListDirectory lists = ValidListDirectory.start(store, Map.of(), pollInterval);
        closing.add(lists);
        RedisLink link = redis.link();
        RedisChanges changes = new RedisChanges(link, Optional.empty(), "gatehouse-test", TestRedis.TEST_TIMEOUT, what -> {
            policy.wake();
            lists.wake();
        });
        closing.add(changes);
        return new Node(policy, lists, link, changes, new ProtectedDomains(policy, domain -> { }, changes),
                new ValidLists(store, lists::refreshNow, Clock.systemUTC(), changes));
    }

    @Test
    void aChangeOnOneNodeIsInForceOnTheOtherAtOnceThanksToTheNotice() throws Exception {
        Node one = node(NEVER_WITHIN_THE_WAIT);
        Node two = node(NEVER_WITHIN_THE_WAIT);
        await().atMost(WAIT).until(() -> one.changes().subscribed() && two.changes().subscribed());

        one.domains().put(TestActor.TEST, "notified.test", List.of("127.0.0.1:2525"), "valid_list", true);
        assertThat(one.policy().current().domain("notified.test")).isPresent();
        await().atMost(WAIT).until(() -> two.policy().current().domain("notified.test").isPresent());

        one.validLists().add(TestActor.TEST, "notified.test", List.of("alice@notified.test"));
        await().atMost(WAIT).until(() -> two.lists().list("notified.test").size() == 1);

        // and the other way round
        two.domains().remove(TestActor.TEST, "notified.test");
        await().atMost(WAIT).until(() -> one.policy().current().domain("notified.test").isEmpty());
    }

    @Test
    void withRedisKilledPollingStillBringsTheChange() throws Exception {
        Node one = node(Duration.ofSeconds(1));
        Node two = node(Duration.ofSeconds(1));
        await().atMost(WAIT).until(() -> one.changes().subscribed() && two.changes().subscribed());
        redis.kill();
        await().atMost(WAIT).until(() -> !two.changes().subscribed());

        one.domains().put(TestActor.TEST, "polled.test", List.of("127.0.0.1:2525"), "valid_list", true);
        one.validLists().add(TestActor.TEST, "polled.test", List.of("bob@polled.test"));

        await().atMost(WAIT).until(() -> two.policy().current().domain("polled.test").isPresent()
                && two.lists().list("polled.test").size() == 1);
    }

    @Test
    void aNodeResubscribesWhenRedisComesBack() throws Exception {
        Node one = node(NEVER_WITHIN_THE_WAIT);
        Node two = node(NEVER_WITHIN_THE_WAIT);
        await().atMost(WAIT).until(() -> two.changes().subscribed());
        redis.kill();
        await().atMost(WAIT).until(() -> !two.changes().subscribed());
        // made while nobody listens: announced to nobody, and the pollers sleep for a minute
        one.domains().put(TestActor.TEST, "missed.test", List.of("127.0.0.1:2525"), "valid_list", true);
        redis.start();
        // subscribed again, the node looks at the store at once: it cannot know what it missed
        await().atMost(WAIT).until(() -> two.policy().current().domain("missed.test").isPresent());
        await().atMost(WAIT).until(() -> two.changes().subscribed() && !one.link().degraded());
        one.domains().remove(TestActor.TEST, "missed.test");
        await().atMost(WAIT).until(() -> two.policy().current().domain("missed.test").isEmpty());
    }
}
