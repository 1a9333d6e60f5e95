package net.gatehouse.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow clients are bounded by deadlines, not by timeouts that every byte restarts: a client that
 * drips a byte at a time is cut off with {@code 421 4.4.2}, one that sends a large message slowly
 * but steadily is not.
 */
class SlowClientIT {

    private static final Duration DRIP = Duration.ofMillis(250);

    @TempDir
    Path directory;

    private TestBackend backend;
    private TestGateway gateway;
    private final ExecutorService dripper = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start();
        // each drip comes well within these timeouts; only a deadline stops the client
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                .smtp("command_timeout: 2s").smtp("data_timeout: 2s").smtp("min_data_rate: 500").start();
    }

    @AfterEach
    void stop() {
        dripper.shutdownNow();
        gateway.close();
        backend.close();
    }

    @Test
    void aCommandLineDrippedByteByByteIsCutOffAtTheCommandDeadline() throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            Future<?> drip = drip(client, "NOOP " + "x".repeat(40) + "\r\n");

            Reply reply = client.read();

            assertThat(reply.code() + " " + reply.enhanced()).isEqualTo("421 4.4.2");
            assertThat(drip.isDone()).as("cut off before the line was complete").isFalse();
        }
    }

    @Test
    void dataDrippedByteByByteIsCutOffAtTheDataDeadline() throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@sender.test>");
            client.command("RCPT TO:<alice@example.test>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            Future<?> drip = drip(client, "Subject: drip\r\n\r\n" + "x".repeat(60) + "\r\n.\r\n");

            Reply reply = client.read();

            assertThat(reply.code() + " " + reply.enhanced()).isEqualTo("421 4.4.2");
            assertThat(drip.isDone()).isFalse();
        }
        assertThat(backend.transactions()).isEmpty();
    }

    @Test
    void aLargeMessageSentSlowlyButAboveTheMinimumRateIsNotCutOff() throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<a@sender.test>");
            client.command("RCPT TO:<alice@example.test>");
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Subject: slow and steady\r\n\r\n");
            // 4,000 bytes every 500 ms for 5 s: longer than data_timeout, at 16 times the minimum rate
            String chunk = ("y".repeat(78) + "\r\n").repeat(50);
            for (int i = 0; i < 10; i++) {
                client.send(chunk);
                Thread.sleep(500);
            }

            Reply reply = client.command(".");

            assertThat(reply.code()).isEqualTo(250);
        }
        assertThat(backend.takeTransaction(Duration.ofSeconds(10)).text()).contains("slow and steady");
    }

    /** Sends {@code text} one byte every {@link #DRIP}, from another thread, until done or refused. */
    private Future<?> drip(SmtpTestClient client, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return dripper.submit(() -> {
            for (byte b : bytes) {
                Thread.sleep(DRIP);
                try {
                    client.send(new byte[] {b});
                } catch (IOException closed) {
                    Thread.sleep(Duration.ofHours(1)); // stays "not done": it was cut off
                }
            }
            return null;
        });
    }
}
