package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.gatehouse.queue.DeliveryScheduler;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.QueuedMessage;
import net.gatehouse.store.AuditLog;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The queue page and {@code /api/v1/queue}: listing, the envelope, retry, delete and bounce, each
 * audited; 409 while an attempt is under way; who may do what.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueuePageIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path directory;
    /** example.test's back-end defers every recipient: messages stay queued. */
    private final TestBackend deferring = TestBackend.start().greylist();
    private final TestBackend senders = TestBackend.start();
    private TestGateway gateway;
    private DeliveryScheduler delivery;
    private ConsoleClient admin;
    private ConsoleClient viewer;
    private String adminToken;
    private String viewerToken;

    @BeforeAll
    void start() throws Exception {
        deferring.tempFailRecipient("alice@example.test").tempFailRecipient("carol@example.test");
        gateway = TestGateway.in(directory).console("127.0.0.1:0")
                .protect("example.test", deferring.hostPort()).protect("senders.test", senders.hostPort())
                .delivery("min_backoff: 1m").delivery("max_backoff: 2m")
                .consoleUser("ada", "admin").consoleUser("vic", "viewer").start();
        delivery = gateway.gateway().delivery();
        adminToken = ConsoleClient.createToken(gateway.gateway(), "ada");
        viewerToken = ConsoleClient.createToken(gateway.gateway(), "vic");
        admin = ConsoleClient.of(gateway.gateway()).session("ada");
        viewer = ConsoleClient.of(gateway.gateway()).session("vic");
    }

    @AfterAll
    void stop() {
        if (admin != null) {
            admin.close();
            viewer.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        deferring.close();
        senders.close();
    }

    /** A message from {@code from} to alice, queued and waiting after its first attempt. */
    private QueueId queued(String from) throws Exception {
        QueueId id;
        try (SmtpTestClient client = gateway.client()) {
            String reply = client.sendMail(from, List.of("alice@example.test"), "Subject: hi\r\n\r\nhi\r\n").text();
            id = new QueueId(reply.substring("Ok: queued as ".length()));
        }
        await().atMost(WAIT).until(() -> delivery.find(id).orElseThrow(), m -> m.attempts() >= 1 && !m.delivering());
        return id;
    }

    private AuditLog.Entry lastAudit() {
        return new AuditLog(gateway.gateway().database()).recent(1).getFirst();
    }

    @Test
    void apiListsQueuedMessagesAndShowsOne() throws Exception {
        QueueId id = queued("bob@senders.test");

        HttpResponse<String> list = viewer.api("GET", "/api/v1/queue", viewerToken, null);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(ConsoleClient.json(list).valueStream().map(m -> m.get("id").asString())).contains(id.value());

        HttpResponse<String> one = viewer.api("GET", "/api/v1/queue/" + id, viewerToken, null);
        assertThat(one.statusCode()).isEqualTo(200);
        JsonNode message = ConsoleClient.json(one);
        assertThat(message.get("sender").asString()).isEqualTo("<bob@senders.test>");
        assertThat(message.get("pendingRecipients").get(0).asString()).isEqualTo("<alice@example.test>");
        assertThat(message.get("attempts").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(message.get("lastError").asString()).startsWith("450 4.2.0");
        assertThat(message.get("nextAttempt").asString()).isNotEmpty();
    }

    @Test
    void aMessageShowsTheDsnParametersItCameWith() throws Exception {
        QueueId id;
        try (SmtpTestClient client = gateway.client()) {
            assertThat(client.command("MAIL FROM:<carol@senders.test> RET=HDRS ENVID=QQ+2B314").code()).isEqualTo(250);
            assertThat(client.command("RCPT TO:<alice@example.test> NOTIFY=FAILURE,DELAY "
                    + "ORCPT=rfc822;alice@example.test").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Subject: dsn\r\n\r\nhi\r\n");
            id = new QueueId(client.command(".").text().substring("Ok: queued as ".length()));
        }
        await().atMost(WAIT).until(() -> delivery.find(id).orElseThrow(), m -> m.attempts() >= 1 && !m.delivering());

        JsonNode message = ConsoleClient.json(viewer.api("GET", "/api/v1/queue/" + id, viewerToken, null));
        assertThat(message.get("dsn").asString()).isEqualTo("RET=HDRS ENVID=QQ+2B314");
        assertThat(message.get("recipientDsn").get("<alice@example.test>").asString())
                .isEqualTo("NOTIFY=FAILURE,DELAY ORCPT=rfc822;alice@example.test");
        assertThat(viewer.get("/queue/" + id).body()).contains("RET=HDRS ENVID=QQ+2B314",
                "NOTIFY=FAILURE,DELAY ORCPT=rfc822;alice@example.test");
    }

    @Test
    void retryAttemptsAtOnceAndIsAudited() throws Exception {
        QueueId id = queued("bob@senders.test");
        int before = delivery.find(id).orElseThrow().attempts();

        HttpResponse<String> response = admin.api("POST", "/api/v1/queue/" + id + "/retry", adminToken, null);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(ConsoleClient.json(response).get("action").asString()).isEqualTo("retry");
        await().atMost(WAIT).until(() -> delivery.find(id).orElseThrow(),
                m -> m.attempts() > before && !m.delivering());
        AuditLog.Entry audit = lastAudit();
        assertThat(audit.actor()).isEqualTo("ada");
        assertThat(audit.action()).isEqualTo("queue.retry");
        assertThat(audit.target()).isEqualTo(id.value());
        assertThat(audit.oldValue()).contains("from: <bob@senders.test>", "pending: <alice@example.test>");
    }

    @Test
    void deleteRemovesWithoutDsnAndIsAudited() throws Exception {
        QueueId id = queued("bob@senders.test");
        int dsnsBefore = senders.transactions().size();

        HttpResponse<String> response = admin.api("DELETE", "/api/v1/queue/" + id, adminToken, null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(delivery.find(id)).isEmpty();
        assertThat(gateway.gateway().spool().ids()).doesNotContain(id);
        assertThat(admin.api("GET", "/api/v1/queue/" + id, adminToken, null).statusCode()).isEqualTo(404);
        assertThat(admin.api("DELETE", "/api/v1/queue/" + id, adminToken, null).statusCode()).isEqualTo(404);
        assertThat(lastAudit().action()).isEqualTo("queue.delete");
        assertThat(senders.transactions()).hasSize(dsnsBefore);
    }

    @Test
    void bounceSendsTheSenderADsnAndIsAudited() throws Exception {
        QueueId id = queued("dora@senders.test");

        HttpResponse<String> response = admin.api("POST", "/api/v1/queue/" + id + "/bounce", adminToken, null);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(ConsoleClient.json(response).get("result").asString()).contains("DSN to <dora@senders.test>");
        TestBackend.Transaction dsn = senders.takeTransaction(WAIT);
        assertThat(dsn.recipients()).containsExactly("dora@senders.test");
        assertThat(dsn.text()).contains("Final-Recipient: rfc822; alice@example.test");
        assertThat(delivery.find(id)).isEmpty();
        AuditLog.Entry audit = lastAudit();
        assertThat(audit.action()).isEqualTo("queue.bounce");
        assertThat(audit.newValue()).contains("DSN to <dora@senders.test>");
    }

    @Test
    void aMessageOnHoldShowsSoAndRetryIs409ButDeleteWorks() throws Exception {
        QueueId id = queued("bob@senders.test");
        gateway.gateway().spool().hold(id, java.time.Instant.now()); // as gatehouse queue hold does
        gateway.gateway().spool().requestReview(id);
        await().atMost(WAIT).until(() -> delivery.find(id).orElseThrow().held());

        JsonNode message = ConsoleClient.json(viewer.api("GET", "/api/v1/queue/" + id, viewerToken, null));
        assertThat(message.get("held").asBoolean()).isTrue();
        assertThat(message.get("delivering").asBoolean()).isFalse();
        assertThat(message.get("nextAttempt").isNull()).isTrue();
        assertThat(admin.get("/queue").body()).contains("<span class=\"badge deferred\">on hold</span>");
        assertThat(admin.get("/queue/" + id).body()).contains("<span class=\"badge deferred\">on hold</span> until released");
        HttpResponse<String> retry = admin.api("POST", "/api/v1/queue/" + id + "/retry", adminToken, null);
        assertThat(retry.statusCode()).isEqualTo(409);
        assertThat(ConsoleClient.json(retry).get("error").asString()).contains("on hold");

        assertThat(admin.api("DELETE", "/api/v1/queue/" + id, adminToken, null).statusCode()).isEqualTo(200);
        assertThat(delivery.find(id)).isEmpty();
    }

    @Test
    void actionsOnAMessageBeingDeliveredAre409() throws Exception {
        QueueId id = queued("bob@senders.test");
        deferring.delay(Duration.ofMillis(800));
        try {
            assertThat(admin.api("POST", "/api/v1/queue/" + id + "/retry", adminToken, null).statusCode())
                    .isEqualTo(200);
            await().atMost(WAIT).until(() -> delivery.find(id).map(QueuedMessage::delivering).orElse(false));

            HttpResponse<String> response = admin.api("DELETE", "/api/v1/queue/" + id, adminToken, null);

            assertThat(response.statusCode()).isEqualTo(409);
            assertThat(ConsoleClient.json(response).get("error").asString()).contains("being delivered right now");
            assertThat(admin.api("POST", "/api/v1/queue/" + id + "/bounce", adminToken, null).statusCode())
                    .isEqualTo(409);
        } finally {
            deferring.delay(Duration.ZERO);
        }
        await().atMost(WAIT).until(() -> !delivery.find(id).orElseThrow().delivering());
        assertThat(admin.api("DELETE", "/api/v1/queue/" + id, adminToken, null).statusCode()).isEqualTo(200);
    }

    @Test
    void viewersMayLookButNotChange() throws Exception {
        QueueId id = queued("bob@senders.test");
        for (String[] call : List.of(new String[] {"POST", "/api/v1/queue/" + id + "/retry"},
                new String[] {"POST", "/api/v1/queue/" + id + "/bounce"}, new String[] {"DELETE", "/api/v1/queue/" + id})) {
            HttpResponse<String> response = viewer.api(call[0], call[1], viewerToken, null);
            assertThat(response.statusCode()).as(call[1]).isEqualTo(403);
            assertThat(ConsoleClient.json(response).get("error").asString()).contains("viewer");
        }
        assertThat(viewer.post("/queue/" + id + "/delete").statusCode()).isEqualTo(403);
        assertThat(delivery.find(id)).isPresent();
        HttpResponse<String> page = viewer.get("/queue");
        assertThat(page.body()).contains(id.value()).doesNotContain("/queue/" + id + "/delete");
    }

    @Test
    void anonymousRequestsAre401() throws Exception {
        try (ConsoleClient anonymous = ConsoleClient.of(gateway.gateway())) {
            String id = QueueId.next(System.currentTimeMillis()).value();
            for (String[] call : List.of(new String[] {"GET", "/api/v1/queue"}, new String[] {"GET", "/api/v1/queue/" + id},
                    new String[] {"POST", "/api/v1/queue/" + id + "/retry"},
                    new String[] {"POST", "/api/v1/queue/" + id + "/bounce"},
                    new String[] {"DELETE", "/api/v1/queue/" + id})) {
                HttpResponse<String> response = anonymous.api(call[0], call[1], null, null);
                assertThat(response.statusCode()).as(call[0] + " " + call[1]).isEqualTo(401);
                assertThat(ConsoleClient.json(response).get("status").asInt()).isEqualTo(401);
            }
        }
    }

    @Test
    void badQueueIdsAre400AndUnknownOnes404() throws Exception {
        for (String[] call : List.of(new String[] {"GET", "/api/v1/queue/not-an-id"},
                new String[] {"POST", "/api/v1/queue/%3Cscript%3E/retry"},
                new String[] {"POST", "/api/v1/queue/abc/bounce"}, new String[] {"DELETE", "/api/v1/queue/0"})) {
            HttpResponse<String> response = admin.api(call[0], call[1], adminToken, null);
            assertThat(response.statusCode()).as(call[1]).isEqualTo(400);
            assertThat(ConsoleClient.json(response).get("error").asString()).contains("not a queue ID");
        }
        String unknown = QueueId.next(System.currentTimeMillis()).value();
        assertThat(admin.api("POST", "/api/v1/queue/" + unknown + "/retry", adminToken, null).statusCode())
                .isEqualTo(404);
    }

    @Test
    void pageListsMessagesShowsTheEnvelopeAndDeletesWithCsrf() throws Exception {
        QueueId id = queued("page@senders.test");

        HttpResponse<String> list = admin.get("/queue");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains(id.value(), "&lt;page@senders.test&gt;", "450 4.2.0");
        HttpResponse<String> envelope = admin.get("/queue/" + id);
        assertThat(envelope.statusCode()).isEqualTo(200);
        assertThat(envelope.body()).contains("client.test", "&lt;alice@example.test&gt;", "pending");

        assertThat(admin.postForm("/queue/" + id + "/delete", Map.of()).statusCode()).isEqualTo(403); // no CSRF token
        assertThat(delivery.find(id)).isPresent();
        HttpResponse<String> deleted = admin.post("/queue/" + id + "/delete");
        assertThat(deleted.statusCode()).isEqualTo(303);
        assertThat(deleted.headers().firstValue("Location")).hasValue("/queue?done=delete");
        assertThat(delivery.find(id)).isEmpty();
        assertThat(admin.get("/queue?done=delete").body()).contains("Deleted from the queue");
    }
}
