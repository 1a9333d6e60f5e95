package net.gatehouse.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import net.gatehouse.smtp.client.MessageContent;
import net.gatehouse.smtp.client.SmtpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fixture's own promises, those the client tests do not already rely on. */
class TestBackendTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final MessageContent MESSAGE = new MessageContent.InMemory("Subject: x\r\n\r\nx\r\n".getBytes(UTF_8));

    private final TestBackend backend = TestBackend.start();

    @AfterEach
    void stopBackend() {
        backend.close();
    }

    @Test
    void onlyCrLfDotCrLfEndsTheData() throws IOException {
        try (Socket socket = new Socket(backend.address().getAddress(), backend.port())) {
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8));
            OutputStream out = socket.getOutputStream();
            assertThat(in.readLine()).startsWith("220 ");
            for (String command : List.of("HELO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@example.test>", "DATA")) {
                out.write((command + "\r\n").getBytes(UTF_8));
                assertThat(in.readLine()).matches("(250|354) .*");
            }
            out.write("one\n.\nstill\r.\rdata\r\n..two\r\n.\r\n".getBytes(UTF_8));
            assertThat(in.readLine()).startsWith("250 2.0.0");
        }
        assertThat(backend.takeTransaction(TIMEOUT).text()).isEqualTo("one\n.\nstill\r.\rdata\r\n.two\r\n");
    }

    @Test
    void greylistsTheFirstAttemptOfEachSenderAndRecipientPair() throws IOException {
        backend.greylist();
        try (SmtpClient client = connect()) {
            assertThat(client.probe("a@client.test", "b@example.test")).isEqualTo(TestBackend.GREYLISTED);
            assertThat(client.probe("a@client.test", "b@example.test").code()).isEqualTo(250);
            assertThat(client.probe("other@client.test", "b@example.test")).isEqualTo(TestBackend.GREYLISTED);
        }
    }

    @Test
    void onlyAcceptMatchesMailboxesInAnyCase() throws IOException {
        backend.onlyAccept("Bob@Example.test");
        try (SmtpClient client = connect()) {
            assertThat(client.probe("", "BOB@example.TEST").code()).isEqualTo(250);
            assertThat(client.probe("", "carol@example.test")).isEqualTo(TestBackend.MAILBOX_UNKNOWN);
            backend.acceptAll();
            assertThat(client.probe("", "carol@example.test").code()).isEqualTo(250);
        }
    }

    @Test
    void refusesConnectionsWhileStoppedAndListensOnTheSamePortAfterRestart() throws IOException {
        int port = backend.port();
        backend.stop();
        assertThatThrownBy(this::connect).isInstanceOf(ConnectException.class);

        backend.restart();
        try (SmtpClient client = connect()) {
            client.send("a@client.test", List.of("b@example.test"), MESSAGE);
        }
        assertThat(backend.port()).isEqualTo(port);
        assertThat(backend.takeTransaction(TIMEOUT).recipients()).containsExactly("b@example.test");
    }

    @Test
    void stopClosesOpenConnections() throws IOException {
        try (SmtpClient client = connect()) {
            backend.stop();
            assertThatThrownBy(() -> client.send("a@client.test", List.of("b@example.test"), MESSAGE))
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void takeTransactionFailsTheTestWhenNoMessageArrives() {
        assertThatThrownBy(() -> backend.takeTransaction(Duration.ofMillis(50)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(backend.hostPort());
    }

    private SmtpClient connect() throws IOException {
        return SmtpClient.connect(backend.address(), "client.test", TIMEOUT, TIMEOUT, null);
    }
}
