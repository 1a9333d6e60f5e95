package net.gatehouse.smtp.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestBackend.Transaction;
import net.gatehouse.testing.TestTls;
import net.gatehouse.tls.TlsContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SmtpClientTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SHORT = Duration.ofMillis(300);
    private static final String SENDER = "alice@sender.test";
    private static final String BOB = "bob@example.test";
    private static final String CAROL = "carol@example.test";
    private static final String TEXT = "Subject: hello\r\n\r\nHello, Bob.\r\n";

    private final TestBackend backend = TestBackend.start();

    @AfterEach
    void stopBackend() {
        backend.close();
    }

    @ParameterizedTest(name = "pipelining {0}")
    @ValueSource(booleans = {true, false})
    void deliversToEveryRecipient(boolean pipelining) throws IOException {
        backend.pipelining(pipelining);
        try (SmtpClient client = connect(backend)) {
            assertThat(client.supports("PIPELINING")).isEqualTo(pipelining);
            TransactionResult result = client.send(SENDER, List.of(BOB, CAROL), content(TEXT));

            assertThat(result.delivered(0)).isTrue();
            assertThat(result.delivered(1)).isTrue();
            assertThat(result.data().code()).isEqualTo(250);
        }
        Transaction message = backend.takeTransaction(TIMEOUT);
        assertThat(message.helo()).isEqualTo("gatehouse.test");
        assertThat(message.mailFrom()).isEqualTo(SENDER);
        assertThat(message.recipients()).containsExactly(BOB, CAROL);
        assertThat(message.text()).isEqualTo(TEXT);
        assertThat(message.tls()).isFalse();
        assertThat(backend.commands()).last().isEqualTo("QUIT");
    }

    @ParameterizedTest(name = "pipelining {0}")
    @ValueSource(booleans = {true, false})
    void reportsEachRecipientAndDeliversOnlyToTheAcceptedOnes(boolean pipelining) throws IOException {
        backend.pipelining(pipelining).rejectRecipient(BOB).tempFailRecipient(CAROL);
        try (SmtpClient client = connect(backend)) {
            TransactionResult result = client.send(SENDER, List.of(BOB, CAROL, "dave@example.test"), content(TEXT));

            assertThat(result.recipients()).extracting(Reply::code).containsExactly(550, 450, 250);
            assertThat(result.outcome(0)).isEqualTo(TestBackend.MAILBOX_UNKNOWN);
            assertThat(result.outcome(1)).isEqualTo(TestBackend.MAILBOX_UNAVAILABLE);
            assertThat(List.of(result.delivered(0), result.delivered(1), result.delivered(2))).containsExactly(false, false, true);
        }
        assertThat(backend.takeTransaction(TIMEOUT).recipients()).containsExactly("dave@example.test");
    }

    @ParameterizedTest(name = "pipelining {0}")
    @ValueSource(booleans = {true, false})
    void sendsNoContentWhenNoRecipientIsAcceptedAndStaysUsable(boolean pipelining) throws IOException {
        backend.pipelining(pipelining).onlyAccept(CAROL);
        try (SmtpClient client = connect(backend)) {
            TransactionResult refused = client.send(SENDER, List.of(BOB), content(TEXT));
            assertThat(refused.delivered(0)).isFalse();
            assertThat(refused.outcome(0).code()).isEqualTo(550);
            assertThat(refused.data()).isEqualTo(Reply.NO_VALID_RECIPIENTS);
            assertThat(client.isUsable()).isTrue();

            assertThat(client.send(SENDER, List.of(CAROL), content(TEXT)).delivered(0)).isTrue();
        }
        assertThat(backend.transactions()).extracting(Transaction::recipients).containsExactly(List.of(CAROL));
        assertThat(backend.commands()).contains("RSET");
        if (!pipelining) {
            assertThat(backend.commands()).containsOnlyOnce("DATA");
        }
    }

    @Test
    void reportsARefusedSenderForEveryRecipient() throws IOException {
        backend.refuseNullSender();
        try (SmtpClient client = connect(backend)) {
            TransactionResult result = client.send("", List.of(BOB, CAROL), content(TEXT));

            assertThat(result.mail()).isEqualTo(TestBackend.NULL_SENDER_REFUSED);
            assertThat(result.recipients()).containsOnly(TestBackend.NULL_SENDER_REFUSED);
            assertThat(result.outcome(1)).isEqualTo(TestBackend.NULL_SENDER_REFUSED);
        }
        assertThat(backend.transactions()).isEmpty();
    }

    @Test
    void dotStuffingKeepsLinesThatStartWithDotsByteForByte() throws IOException {
        String text = ".first\r\n.\r\n..x\r\n.x\r\nmiddle\r\n.\r\n\r\n.\r\nlast\r\n";
        deliver(content(text));

        assertThat(backend.takeTransaction(TIMEOUT).text()).isEqualTo(text);
    }

    @Test
    void endsContentWithoutFinalLineBreakWithCrLf() throws IOException {
        deliver(content("Subject: x\r\n\r\nno line break at the end"));

        assertThat(backend.takeTransaction(TIMEOUT).text()).isEqualTo("Subject: x\r\n\r\nno line break at the end\r\n");
    }

    @Test
    void sendsAFileRegionOfASpoolFile(@TempDir Path directory) throws IOException {
        Path spool = Files.write(directory.resolve("spool"), ("HEADER OF OUR OWN" + TEXT + "trailer").getBytes(UTF_8));
        deliver(new MessageContent.FileRegion(spool, "HEADER OF OUR OWN".length(), TEXT.length()));

        assertThat(backend.takeTransaction(TIMEOUT).text()).isEqualTo(TEXT);
    }

    @Test
    void declaresSizeAndEightBitBodyWhenOffered() throws IOException {
        String eightBit = "Subject: caf\u00e9\r\n\r\n\u00e7a va\r\n";
        try (SmtpClient client = connect(backend)) {
            assertThat(client.maxSize()).hasValue(TestBackend.MAX_MESSAGE_SIZE);
            client.send(SENDER, List.of(BOB), content(TEXT));
            client.send(SENDER, List.of(BOB), content(eightBit));
        }
        assertThat(backend.commands()).contains(
                "MAIL FROM:<" + SENDER + "> SIZE=" + TEXT.length(),
                "MAIL FROM:<" + SENDER + "> SIZE=" + eightBit.getBytes(UTF_8).length + " BODY=8BITMIME");
        assertThat(backend.transactions().get(1).text()).isEqualTo(eightBit);
    }

    @Test
    void declaresSmtpUtf8ForANonAsciiAddress() throws IOException {
        String jose = "jos\u00e9@example.test";
        deliver(SENDER, List.of(jose));

        assertThat(backend.takeTransaction(TIMEOUT).recipients()).containsExactly(jose);
        assertThat(backend.commands()).anyMatch(command -> command.startsWith("MAIL FROM:") && command.endsWith(" SMTPUTF8"));
    }

    @Test
    void failsNonAsciiRecipientsPermanentlyWhenTheServerLacksSmtpUtf8() throws IOException {
        backend.smtpUtf8(false);
        String jose = "jos\u00e9@example.test";
        try (SmtpClient client = connect(backend)) {
            TransactionResult result = client.send(SENDER, List.of(BOB, jose), content(TEXT));

            assertThat(result.delivered(0)).isTrue();
            assertThat(result.outcome(1)).isEqualTo(SmtpClient.SMTPUTF8_UNAVAILABLE);
            assertThat(result.outcome(1).isPermanentFailure()).isTrue();

            TransactionResult fromNonAscii = client.send(jose, List.of(BOB), content(TEXT));
            assertThat(fromNonAscii.outcome(0)).isEqualTo(SmtpClient.SMTPUTF8_UNAVAILABLE);
        }
        assertThat(backend.takeTransaction(TIMEOUT).recipients()).containsExactly(BOB);
        assertThat(backend.commands()).noneMatch(command -> command.contains(jose));
    }

    @Test
    void reportsATemporaryFailureOfTheDataForEveryAcceptedRecipient() throws IOException {
        backend.tempFailData("451 4.3.0 Try again later").rejectRecipient(CAROL);
        try (SmtpClient client = connect(backend)) {
            TransactionResult result = client.send(SENDER, List.of(BOB, CAROL), content(TEXT));

            assertThat(result.delivered(0)).isFalse();
            assertThat(result.outcome(0)).hasToString("451 4.3.0 Try again later");
            assertThat(result.outcome(0).isTransientFailure()).isTrue();
            assertThat(result.outcome(1).code()).isEqualTo(550);
            assertThat(client.isUsable()).isTrue();
        }
    }

    @Test
    void usesStartTlsWhenOfferedAndSaysEhloAgain() throws IOException {
        backend.startTls(TestTls.serverContext());
        try (SmtpClient client = connect(backend, TlsContexts.opportunisticClient())) {
            assertThat(client.isTlsActive()).isTrue();
            assertThat(client.supports("STARTTLS")).isFalse();
            assertThat(client.supports("PIPELINING")).isTrue();
            client.send(SENDER, List.of(BOB), content(TEXT));
        }
        assertThat(backend.takeTransaction(TIMEOUT).tls()).isTrue();
        assertThat(backend.commands()).startsWith("EHLO gatehouse.test", "STARTTLS", "EHLO gatehouse.test");
    }

    @Test
    void staysInClearWithoutATlsContext() throws IOException {
        backend.startTls(TestTls.serverContext());
        try (SmtpClient client = connect(backend)) {
            assertThat(client.isTlsActive()).isFalse();
            assertThat(client.supports("STARTTLS")).isTrue();
        }
        assertThat(backend.commands()).doesNotContain("STARTTLS");
    }

    @Test
    void failedTlsHandshakeThrowsSslExceptionSoTheCallerCanRetryInClear() throws Exception {
        backend.startTls(TestTls.serverContext());
        SSLContext trustsNothingOfOurs = SSLContext.getDefault();

        assertThatThrownBy(() -> connect(backend, trustsNothingOfOurs))
                .isInstanceOf(SSLException.class)
                .hasMessageContaining(backend.hostPort());
        try (SmtpClient client = connect(backend)) {
            assertThat(client.isUsable()).isTrue();
        }
    }

    @Test
    void reusesOneConnectionForTransactionsSeparatedByReset() throws IOException {
        try (SmtpClient client = connect(backend)) {
            assertThat(client.send(SENDER, List.of(BOB), content(TEXT)).delivered(0)).isTrue();
            client.reset();
            assertThat(client.send(SENDER, List.of(CAROL), content(TEXT)).delivered(0)).isTrue();
        }
        assertThat(backend.connections()).isEqualTo(1);
        assertThat(backend.transactions()).extracting(Transaction::recipients).containsExactly(List.of(BOB), List.of(CAROL));
        assertThat(backend.commands()).contains("RSET");
    }

    @ParameterizedTest(name = "pipelining {0}")
    @ValueSource(booleans = {true, false})
    void probeReturnsTheRecipientReplyAndNeverSendsData(boolean pipelining) throws IOException {
        backend.pipelining(pipelining).rejectRecipient(CAROL);
        try (SmtpClient client = connect(backend)) {
            assertThat(client.probe("", BOB).code()).isEqualTo(250);
            assertThat(client.probe("", CAROL)).isEqualTo(TestBackend.MAILBOX_UNKNOWN);
            assertThat(client.isUsable()).isTrue();
        }
        assertThat(backend.commands()).doesNotContain("DATA").containsSubsequence(
                "MAIL FROM:<>", "RCPT TO:<" + BOB + ">", "RSET", "MAIL FROM:<>", "RCPT TO:<" + CAROL + ">", "RSET");
        assertThat(backend.connections()).isEqualTo(1);
    }

    @Test
    void aProbeWithADeadlineGivesUpAtItRatherThanAtTheCommandTimeoutAndLeavesTheSessionUnusable() throws IOException {
        backend.rejectRecipient(CAROL).tarpit(Duration.ofSeconds(30));   // a refusal that comes after 30 s
        try (SmtpClient client = SmtpClient.connect(backend.address(), "gatehouse.test", TIMEOUT, Duration.ofMinutes(1), null)) {
            assertThatThrownBy(() -> client.probe("", CAROL, System.nanoTime() + SHORT.toNanos()))
                    .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("timeout waiting for");
            assertThat(client.isUsable()).isFalse();
        }
    }

    @Test
    void aConnectDeadlineBoundsTheGreetingButNotTheSessionsLaterReplies() throws IOException {
        backend.delay(Duration.ofSeconds(30));
        assertThatThrownBy(() -> SmtpClient.connect(backend.address(), "gatehouse.test", TIMEOUT, Duration.ofMinutes(1),
                null, System.nanoTime() + SHORT.toNanos()))
                .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("greeting");

        backend.delay(Duration.ZERO).rejectRecipient(CAROL).tarpit(Duration.ofSeconds(2));
        try (SmtpClient client = SmtpClient.connect(backend.address(), "gatehouse.test", TIMEOUT, TIMEOUT, null,
                System.nanoTime() + Duration.ofSeconds(1).toNanos())) {
            // Two seconds for the reply, past the connect deadline but within the command timeout: it is awaited.
            assertThat(client.probe("", CAROL)).isEqualTo(TestBackend.MAILBOX_UNKNOWN);
        }
    }

    @Test
    void probeFailsWhenTheSenderIsRefusedRatherThanBlameTheRecipient() throws IOException {
        backend.refuseNullSender();
        try (SmtpClient client = connect(backend)) {
            assertThatThrownBy(() -> client.probe("", BOB))
                    .isInstanceOfSatisfying(SmtpClientException.class, e -> {
                        assertThat(e.stage()).isEqualTo(SmtpClient.Stage.MAIL);
                        assertThat(e.reply()).contains(TestBackend.NULL_SENDER_REFUSED);
                    });
        }
    }

    @Test
    void treatsA421AsTheEndOfTheSession() throws IOException {
        backend.replyToRecipient(CAROL, "421 4.3.2 Shutting down");
        try (SmtpClient client = connect(backend)) {
            TransactionResult result = client.send(SENDER, List.of(BOB, CAROL, "dave@example.test"), content(TEXT));

            assertThat(result.recipients()).extracting(Reply::code).containsExactly(250, 421, 421);
            assertThat(result.outcome(0).code()).isEqualTo(421);
            assertThat(client.isUsable()).isFalse();
            assertThatThrownBy(() -> client.send(SENDER, List.of(BOB), content(TEXT)))
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThat(backend.transactions()).isEmpty();
        assertThat(backend.commands()).doesNotContain("QUIT");
    }

    @Test
    void throwsWhenTheServerDropsTheConnectionAtRcpt() throws IOException {
        backend.dropConnectionAt("RCPT");
        try (SmtpClient client = connect(backend)) {
            assertThatThrownBy(() -> client.send(SENDER, List.of(BOB), content(TEXT))).isInstanceOf(IOException.class);
            assertThat(client.isUsable()).isFalse();
        }
        assertThat(backend.transactions()).isEmpty();
    }

    @Test
    void connectFailsWhenTheServerIsDown() {
        backend.stop();

        assertThatThrownBy(() -> connect(backend))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining(backend.hostPort());
    }

    @Test
    void timesOutWaitingForTheGreeting() {
        backend.delay(Duration.ofSeconds(2));

        assertThatThrownBy(() -> SmtpClient.connect(backend.address(), "gatehouse.test", TIMEOUT, SHORT, null))
                .isInstanceOf(SocketTimeoutException.class)
                .hasMessage("timeout waiting for greeting from " + backend.hostPort());
    }

    @Test
    void timesOutWaitingForAReplyAndNamesTheCommand() throws IOException {
        try (SmtpClient client = SmtpClient.connect(backend.address(), "gatehouse.test", TIMEOUT, SHORT, null)) {
            backend.delay(Duration.ofSeconds(2));

            assertThatThrownBy(() -> client.send(SENDER, List.of(BOB), content(TEXT)))
                    .isInstanceOf(SocketTimeoutException.class)
                    .hasMessage("timeout waiting for reply to MAIL FROM from " + backend.hostPort());
            assertThat(client.isUsable()).isFalse();
        }
    }

    @Test
    void abortsTheTransferWhenTheServerStopsReading() throws IOException {
        try (ScriptedServer server = ScriptedServer.start("220 scripted", "250 scripted", "250 ok", "250 ok", "354 go");
             SmtpClient client = SmtpClient.connect(server.address(), "gatehouse.test", TIMEOUT, SHORT, null)) {
            byte[] larger = new byte[64 << 20];   // more than the socket buffers on both sides hold
            Arrays.fill(larger, (byte) 'x');

            assertThatThrownBy(() -> client.send(SENDER, List.of(BOB), new MessageContent.InMemory(larger)))
                    .isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("blocked");
            assertThat(client.isUsable()).isFalse();
        }
    }

    @Test
    void fallsBackToHeloWhenEhloIsRefused() throws IOException {
        try (ScriptedServer server = ScriptedServer.start("220 old", "502 5.5.1 What?", "250 old", "221 bye");
             SmtpClient client = SmtpClient.connect(server.address(), "gatehouse.test", TIMEOUT, TIMEOUT, null)) {
            assertThat(client.supports("PIPELINING")).isFalse();
            assertThat(client.maxSize()).isEmpty();
            assertThat(server.received()).containsExactly("EHLO gatehouse.test", "HELO gatehouse.test");
        }
    }

    @Test
    void refusedGreetingThrowsWithTheReply() throws IOException {
        try (ScriptedServer server = ScriptedServer.start("554 5.7.1 Go away", "221 bye")) {
            assertThatThrownBy(() -> SmtpClient.connect(server.address(), "gatehouse.test", TIMEOUT, TIMEOUT, null))
                    .isInstanceOfSatisfying(SmtpClientException.class, e -> {
                        assertThat(e.stage()).isEqualTo(SmtpClient.Stage.GREETING);
                        assertThat(e.reply()).hasValue(Reply.of(554, "5.7.1", "Go away"));
                        assertThat(e).hasMessageContaining(SmtpClientException.peer(server.address()));
                    });
        }
    }

    @Test
    void rejectsAnOverlongReplyLine() throws IOException {
        try (ScriptedServer server = ScriptedServer.start("220 " + "x".repeat(5000))) {
            assertThatThrownBy(() -> SmtpClient.connect(server.address(), "gatehouse.test", TIMEOUT, TIMEOUT, null))
                    .isInstanceOfSatisfying(SmtpClientException.class, e -> assertThat(e.reply()).isEmpty())
                    .hasMessageContaining("longer than 4096");
        }
    }

    @Test
    void readsMultiLineRepliesWithTheirEnhancedCode() throws IOException {
        try (ScriptedServer server = ScriptedServer.start("220 ok",
                "250-scripted\r\n250-SIZE 1000\r\n250 PIPELINING", "250 2.1.0 ok", "550-5.1.1 No such user\r\n550 5.1.1 Really", "250 2.0.0 reset", "221 bye");
             SmtpClient client = SmtpClient.connect(server.address(), "gatehouse.test", TIMEOUT, TIMEOUT, null)) {
            assertThat(client.maxSize()).hasValue(1000);
            assertThat(client.probe("", BOB)).isEqualTo(new Reply(550, "5.1.1", List.of("No such user", "Really")));
        }
    }

    @Test
    void refusesALineBreakInAnAddress() throws IOException {
        try (SmtpClient client = connect(backend)) {
            assertThatThrownBy(() -> client.send(SENDER, List.of("bob@example.test>\r\nRCPT TO:<eve@evil.test"), content(TEXT)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private void deliver(MessageContent content) throws IOException {
        try (SmtpClient client = connect(backend)) {
            assertThat(client.send(SENDER, List.of(BOB), content).delivered(0)).isTrue();
        }
    }

    private void deliver(String sender, List<String> recipients) throws IOException {
        try (SmtpClient client = connect(backend)) {
            assertThat(client.send(sender, recipients, content(TEXT)).delivered(0)).isTrue();
        }
    }

    private static SmtpClient connect(TestBackend backend) throws IOException {
        return connect(backend, null);
    }

    private static SmtpClient connect(TestBackend backend, SSLContext tls) throws IOException {
        return SmtpClient.connect(backend.address(), "gatehouse.test", TIMEOUT, TIMEOUT, tls);
    }

    private static MessageContent content(String text) {
        return new MessageContent.InMemory(text.getBytes(UTF_8));
    }

    /**
     * One connection that gets the greeting, then the next reply for each line received; once the
     * script is done it reads nothing more and holds the connection until closed. For what the
     * TestBackend, being a correct server, will not do.
     */
    private static final class ScriptedServer implements AutoCloseable {
        private final ServerSocket listener;
        private final List<String> received = new CopyOnWriteArrayList<>();
        private final CountDownLatch closed = new CountDownLatch(1);

        private ScriptedServer(ServerSocket listener) {
            this.listener = listener;
        }

        static ScriptedServer start(String greeting, String... replies) throws IOException {
            ServerSocket listener = new ServerSocket();
            listener.setReceiveBufferSize(4096);   // inherited by the connection: fills up early when not read
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            ScriptedServer server = new ScriptedServer(listener);
            Thread.ofVirtual().start(() -> server.serve(greeting, replies));
            return server;
        }

        private void serve(String greeting, String... replies) {
            try (Socket socket = listener.accept()) {
                var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8));
                OutputStream out = socket.getOutputStream();
                out.write((greeting + "\r\n").getBytes(UTF_8));
                for (String reply : replies) {
                    String line = in.readLine();
                    if (line == null) {
                        return;
                    }
                    received.add(line);
                    out.write((reply + "\r\n").getBytes(UTF_8));
                }
                closed.await();
            } catch (IOException | InterruptedException e) {
                // the test is over
            }
        }

        InetSocketAddress address() {
            return (InetSocketAddress) listener.getLocalSocketAddress();
        }

        List<String> received() {
            return List.copyOf(received);
        }

        @Override
        public void close() throws IOException {
            closed.countDown();
            listener.close();
        }
    }
}
