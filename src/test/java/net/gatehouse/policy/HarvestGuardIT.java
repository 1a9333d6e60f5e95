package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directory-harvest protection over SMTP: slowed, then refused and kept out (SPEC §3). */
class HarvestGuardIT {

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start();
    private TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        gateway = TestGateway.in(directory)
                .domain("{ name: example.test, backend: [\"" + backend.hostPort() + "\"], verification: valid_list,"
                        + " valid_recipients: [\"alice@example.test\"] }")
                .policy("harvest: { window: 10m, tarpit_after: 2, tarpit_delay: 50ms, block_after: 4, block_for: 10m }")
                .start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        backend.close();
    }

    private static String codes(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }

    @Test
    void blocksAClientThatSendsManyUnknownRecipients() throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<harvester@elsewhere.test>");
            // Relay attempts and valid recipients are not harvesting.
            assertThat(codes(client.command("RCPT TO:<x@elsewhere.test>"))).isEqualTo("554 5.7.1");
            assertThat(codes(client.command("RCPT TO:<alice@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(codes(client.command("RCPT TO:<a@example.test>"))).isEqualTo("550 5.1.1");
            assertThat(codes(client.command("RCPT TO:<b@example.test>"))).isEqualTo("550 5.1.1");
            assertThat(codes(client.command("RCPT TO:<c@example.test>"))).isEqualTo("550 5.1.1"); // tarpitted
            assertThat(codes(client.command("RCPT TO:<d@example.test>"))).isEqualTo("421 4.7.0");
            assertThat(client.isClosedByServer()).isTrue();
        }
        try (SmtpTestClient again = SmtpTestClient.open(gateway.port())) {
            assertThat(codes(again.read())).isEqualTo("421 4.7.0");
        }
    }
}
