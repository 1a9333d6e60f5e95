package net.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import net.gatehouse.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * SPEC §6, "losing PostgreSQL keeps the last policy in force": a gateway on a PostgreSQL server of
 * the test's own, which the test stops and starts again. While it is down, SMTP answers by the
 * policy last loaded (a domain added through the API before is accepted, an unknown one refused as
 * before), {@code /readyz} stays 200 and says {@code store: degraded}, the gauge says 1, the console
 * shows that it is read-only and refuses changes with 503 (JSON on the API), without a stack trace.
 * When the server is back the gateway recovers without a restart, and a change works again.
 */
class StoreDegradedIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path directory;
    private TestPostgres postgres;
    private TestBackend backend;
    private TestGateway gateway;
    private final ListAppender<ILoggingEvent> health = new ListAppender<>();
    private final Logger healthLogger = (Logger) LoggerFactory.getLogger(StoreHealth.class);
    private Level healthLevel;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        health.start();
        healthLogger.addAppender(health);
        // the recovery is logged at INFO, whatever level earlier tests in this JVM left (the CLI's set WARN)
        healthLevel = healthLogger.getLevel();
        healthLogger.setLevel(Level.INFO);
        postgres = TestPostgres.create();
        backend = TestBackend.start();
        gateway = TestGateway.in(directory).store(postgres.jdbcUrl()).console("127.0.0.1:0")
                .policy("recipient_verification: none").protect("file.test", backend.hostPort())
                .consoleUser("root", "admin").start();
    }

    @AfterEach
    void stop() {
        healthLogger.detachAppender(health);
        healthLogger.setLevel(healthLevel);
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void smtpGoesOnWithTheLastPolicyAndTheConsoleIsReadOnlyUntilTheStoreIsBack() throws Exception {
        ConsoleClient api = ConsoleClient.of(gateway.gateway()).bearer(ConsoleClient.createToken(gateway.gateway(), "root"));
        ConsoleClient console = ConsoleClient.of(gateway.gateway()).session("root");
        assertThat(api.api("POST", "/api/v1/domains", "{\"name\":\"api.test\",\"backends\":[\"" + backend.hostPort()
                + "\"]}").statusCode()).isEqualTo(201);
        assertThat(console.get("/networks").statusCode()).isEqualTo(200); // the session, verified in the store
        int unknownBefore = rcpt("someone@unknown.test").code();
        assertThat(unknownBefore).isGreaterThanOrEqualTo(500);
        assertThat(readyz().body()).doesNotContain("store: degraded");

        postgres.stop();

        await().atMost(WAIT).until(() -> readyz().body().contains("store: degraded"));
        HttpResponse<String> ready = readyz();
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).startsWith("ready\n").contains("store: degraded");
        assertThat(metrics()).contains("gatehouse_store_degraded 1.0");

        assertThat(rcpt("alice@api.test").code()).isEqualTo(250);
        assertThat(rcpt("bob@file.test").code()).isEqualTo(250);
        assertThat(rcpt("someone@unknown.test").code()).isEqualTo(unknownBefore);
        try (SmtpTestClient client = gateway.client()) {
            assertThat(client.command("MAIL FROM:<sender@example.org>").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<alice@api.test>").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Subject: while the store is away\r\n\r\nhello\r\n.\r\n");
            assertThat(client.read().code()).as("accepted and queued: the message log is buffered").isEqualTo(250);
        }

        HttpResponse<String> page = console.get("/networks");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("read-only").contains("cannot be reached");
        HttpResponse<String> form = console.post("/networks", "cidr", "192.0.2.0/24");
        assertThat(form.statusCode()).isEqualTo(503);
        assertThat(form.body()).contains("read-only").doesNotContain("Exception").doesNotContain("\tat ");
        HttpResponse<String> refused = api.api("POST", "/api/v1/domains", "{\"name\":\"late.test\",\"backends\":[\""
                + backend.hostPort() + "\"]}");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
        assertThat(ConsoleClient.json(refused).path("error").asString()).contains("read-only");
        assertThat(ConsoleClient.json(api.api("GET", "/api/v1/networks", null)).isObject()).isTrue();

        postgres.start();

        await().atMost(WAIT).until(() -> !readyz().body().contains("store: degraded"));
        assertThat(metrics()).contains("gatehouse_store_degraded 0.0");
        assertThat(console.get("/networks").body()).doesNotContain("cannot be reached");
        HttpResponse<String> added = api.api("POST", "/api/v1/domains", "{\"name\":\"late.test\",\"backends\":[\""
                + backend.hostPort() + "\"]}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(rcpt("carol@late.test").code()).isEqualTo(250);
        assertThat(health.list).extracting(event -> event.getFormattedMessage().split(" ")[0])
                .as("the loss and the recovery, logged once each").containsExactly("store_degraded", "store_recovered");
        // what the log buffered while the store was away is written once it is back, nothing dropped
        assertThat(gateway.gateway().messageLog().flush(WAIT)).isTrue();
        assertThat(gateway.gateway().messageLog().dropped()).isZero();
        assertThat(metrics()).contains("gatehouse_message_log_dropped_total 0.0");
    }

    private Reply rcpt(String address) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            assertThat(client.command("MAIL FROM:<sender@example.org>").code()).isEqualTo(250);
            return client.command("RCPT TO:<" + address + ">");
        }
    }

    private HttpResponse<String> readyz() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.gateway().consolePort().orElseThrow()
                + "/readyz")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.gateway().consolePort().orElseThrow()
                + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
