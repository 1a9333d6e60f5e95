package net.gatehouse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import net.gatehouse.testing.TestPostgres;
import net.gatehouse.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §6 through the gateway's own wiring: two gateways share one PostgreSQL database (a server of
 * the test's own) and one Redis, and poll the store only once a minute. A domain and a valid-list
 * entry added through the API of one are in force on the other within the wait: the change notice
 * woke its pollers.
 */
class GatewayChangeNoticesIT {

    private static final Duration A_MINUTE = Duration.ofSeconds(60);
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path directory;
    private TestPostgres postgres;
    private TestRedis redis;
    private TestBackend backend;
    private TestGateway one;
    private TestGateway two;

    @BeforeEach
    void start() throws Exception {
        postgres = TestPostgres.create();
        redis = TestRedis.ownServer();
        backend = TestBackend.start();
        one = TestGateway.in(directory.resolve("one")).store(postgres.jdbcUrl()).cache(redis.url())
                .console("127.0.0.1:0").policy("recipient_verification: none").consoleUser("root", "admin")
                .polling(A_MINUTE).start();
        two = TestGateway.in(directory.resolve("two")).store(postgres.jdbcUrl()).cache(redis.url())
                .policy("recipient_verification: none").polling(A_MINUTE).start();
    }

    @AfterEach
    void stop() {
        for (AutoCloseable resource : new AutoCloseable[] {two, one, backend, redis, postgres}) {
            try {
                if (resource != null) {
                    resource.close();
                }
            } catch (Exception e) {
                // the others still close
            }
        }
    }

    @Test
    void aChangeThroughOneGatewaysApiIsInForceOnTheOtherAtOnce() throws Exception {
        assertThat(rcptOnTwo("alice@noticed.test").code()).as("not protected yet").isGreaterThanOrEqualTo(500);
        try (ConsoleClient api = ConsoleClient.of(one.gateway()).bearer(ConsoleClient.createToken(one.gateway(), "root"))) {
            assertThat(api.api("POST", "/api/v1/domains", "{\"name\":\"noticed.test\",\"backends\":[\""
                    + backend.hostPort() + "\"],\"verification\":\"valid_list\"}").statusCode()).isEqualTo(201);
            await().atMost(WAIT).until(() -> two.gateway().policy().current().domain("noticed.test").isPresent());
            assertThat(rcptOnTwo("alice@noticed.test").code()).as("not in the valid list yet").isEqualTo(550);

            assertThat(api.api("POST", "/api/v1/domains/noticed.test/recipients",
                    "{\"addresses\":[\"alice@noticed.test\"]}").statusCode()).isBetween(200, 201);
            await().atMost(WAIT).until(() -> two.gateway().validLists().list("noticed.test").size() == 1);
            assertThat(rcptOnTwo("alice@noticed.test").code()).isEqualTo(250);
        }
    }

    private net.gatehouse.smtp.protocol.Reply rcptOnTwo(String address) throws Exception {
        try (SmtpTestClient client = two.client()) {
            assertThat(client.command("MAIL FROM:<sender@example.org>").code()).isEqualTo(250);
            return client.command("RCPT TO:<" + address + ">");
        }
    }
}
