package net.gatehouse.store;

import net.gatehouse.testing.TestActor;
import java.time.Instant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import net.gatehouse.log.LogEntry;

/**
 * The running gateway writes every RCPT decision and every delivery to the message log, and a
 * valid list changed in the store takes effect within seconds, without a restart.
 */
class MessageLogIT {

    @TempDir
    Path directory;

    @Test
    void recordsDecisionsAndDeliveriesWithTheQueueId() throws Exception {
        try (TestBackend backend = TestBackend.start();
             TestGateway gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).start()) {
            String queueId;
            try (SmtpTestClient client = gateway.client()) {
                client.command("MAIL FROM:<writer@elsewhere.test>");
                client.command("RCPT TO:<intruder@elsewhere.test>");
                client.command("RCPT TO:<alice@example.test>");
                client.command("DATA");
                client.send("Subject: logged\r\n\r\nhi\r\n");
                queueId = client.command(".").text().substring("Ok: queued as ".length());
            }
            backend.takeTransaction(Duration.ofSeconds(10));
            MessageLog log = gateway.gateway().messageLog();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                log.flush(Duration.ofSeconds(2));
                return log.search(LogQuery.newest(10).recipient("example.test")).size() >= 2;
            });
            List<LogEntry> entries = log.search(LogQuery.newest(10));
            assertThat(entries).anySatisfy(e -> {
                assertThat(e.kind()).isEqualTo(LogEntry.Kind.RCPT);
                assertThat(e.recipient()).contains("intruder@elsewhere.test");
                assertThat(e.verdict()).isEqualTo("reject");
                assertThat(e.reason()).isEqualTo("relay_denied");
                assertThat(e.helo()).isEqualTo("client.test");
                assertThat(e.queueId()).isEqualTo(queueId);
            });
            assertThat(entries).anySatisfy(e -> {
                assertThat(e.kind()).isEqualTo(LogEntry.Kind.DELIVERY);
                assertThat(e.recipient()).contains("alice@example.test");
                assertThat(e.verdict()).isEqualTo("sent");
                assertThat(e.queueId()).isEqualTo(queueId);
            });
        }
    }

    @Test
    void aValidListChangedInTheStoreAppliesWithoutARestart() throws Exception {
        try (TestBackend backend = TestBackend.start();
             TestGateway gateway = TestGateway.in(directory)
                     .domain("{ name: example.test, backend: [\"" + backend.hostPort() + "\"], verification: valid_list }")
                     .start()) {
            try (SmtpTestClient client = gateway.client()) {
                client.command("MAIL FROM:<writer@elsewhere.test>");
                assertThat(client.command("RCPT TO:<newcomer@example.test>").code()).isEqualTo(550);
            }
            try (Database database = Database.open("embedded", gateway.dataDir())) {
                new ValidRecipientStore(database).add("example.test", List.of("newcomer@example.test"), TestActor.TEST, Instant.now());
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                try (SmtpTestClient client = gateway.client()) {
                    client.command("MAIL FROM:<writer@elsewhere.test>");
                    assertThat(client.command("RCPT TO:<newcomer@example.test>").code()).isEqualTo(250);
                }
            });
        }
    }
}
