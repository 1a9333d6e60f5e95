package net.gatehouse.smtp.client;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.tls.TlsContexts;

/**
 * One outbound SMTP session (RFC 5321) to a back-end or an MX: used by the delivery agent, and by
 * recipient callouts through {@link #probe}. Blocking I/O, meant for a virtual thread; not
 * thread-safe, one transaction at a time.
 *
 * <p>Every wait has a deadline of {@code commandTimeout}: each reply as a whole (a
 * {@link SocketTimeoutException} names the command and the server), and each write to the socket.
 * Any I/O failure leaves the client unusable, as does a {@code 421} from the server; the caller
 * then closes it and treats what is left as a temporary failure.
 *
 * <p>Opportunistic TLS: when a context is given and the server offers STARTTLS, the session is
 * upgraded (RFC 3207). Which certificates pass is the context's decision; the client checks no
 * host name, and an opportunistic context accepts any certificate, since refusing one would only
 * send the mail in clear. If the handshake fails, {@code connect} throws an {@link SSLException}
 * and the caller may connect again without a context.
 */
public final class SmtpClient implements AutoCloseable {

    /** The steps of a session, named in exceptions and logs. */
    public enum Stage {
        GREETING("greeting"), EHLO("EHLO"), HELO("HELO"), STARTTLS("STARTTLS"), MAIL("MAIL FROM"),
        RCPT("RCPT TO"), DATA("DATA"), END_OF_DATA("end of data"), RSET("RSET"), QUIT("QUIT");

        private final String command;

        Stage(String command) {
            this.command = command;
        }

        /** What the client waits for at this stage: "greeting", "reply to RCPT TO". */
        String awaited() {
            return this == GREETING ? command : "reply to " + command;
        }
    }

    /**
     * Synthesized, nothing sent, for a non-ASCII address when the server does not offer SMTPUTF8
     * (RFC 6531; X.6.7 is RFC 6533's code). Permanent: this server will not take the address.
     */
    public static final Reply SMTPUTF8_UNAVAILABLE =
            Reply.of(553, "5.6.7", "Non-ASCII address, but the receiving server does not support SMTPUTF8");

    private static final Duration MAX_QUIT_WAIT = Duration.ofSeconds(2);
    private static final int OUTPUT_BUFFER = 16 * 1024;

    private final Socket plain;
    private final InetSocketAddress remote;
    private final String heloName;
    private final Duration commandTimeout;
    private Socket socket;
    private ReplyReader in;
    private DeadlineOutputStream deadlineOut;
    private OutputStream out;
    private Map<String, String> extensions = Map.of();
    private boolean tls;
    /** An I/O failure, or a reply that leaves the session in doubt. */
    private boolean broken;
    /** The 421 with which the server ended the session: it answers every command not yet answered. */
    private Reply serverClosing;
    private boolean closed;

    private SmtpClient(Socket plain, InetSocketAddress remote, String heloName, Duration commandTimeout) throws IOException {
        this.plain = plain;
        this.remote = remote;
        this.heloName = heloName;
        this.commandTimeout = commandTimeout;
        attach(plain);
    }

    /**
     * Connects, reads the greeting, says EHLO (HELO if EHLO is refused permanently) and, when
     * {@code opportunisticTls} is given and the server offers it, starts TLS and says EHLO again.
     * A server that declines STARTTLS with a reply other than 421 is used in clear.
     *
     * @param address          the server; its host string is sent as the TLS server name
     * @param opportunisticTls the client context for STARTTLS ({@link TlsContexts#opportunisticClient()}), or null for none
     * @throws SmtpClientException when the greeting or EHLO/HELO is refused, or a reply is malformed
     * @throws SSLException        when the TLS handshake fails
     * @throws IOException         when the server cannot be reached or does not answer in time
     */
    public static SmtpClient connect(InetSocketAddress address, String heloName, Duration connectTimeout,
                                     Duration commandTimeout, SSLContext opportunisticTls) throws IOException {
        requireSingleLine(heloName);
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);   // commands are flushed when whole; Nagle would only delay them
            socket.connect(address, millis(connectTimeout));
        } catch (IOException e) {
            socket.close();
            String peer = SmtpClientException.peer(address);
            IOException failure = e instanceof SocketTimeoutException
                    ? new SocketTimeoutException("timeout connecting to " + peer)
                    : new ConnectException("cannot connect to " + peer + ": " + e.getMessage());
            failure.initCause(e);
            throw failure;
        }
        SmtpClient client = new SmtpClient(socket, address, heloName, commandTimeout);
        try {
            client.open(opportunisticTls);
            return client;
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private void open(SSLContext opportunisticTls) throws IOException {
        Reply greeting = await(Stage.GREETING);
        if (!isCompletion(greeting)) {
            throw SmtpClientException.refused(Stage.GREETING, remote, greeting);
        }
        greet();
        if (opportunisticTls != null && supports("STARTTLS")) {
            startTls(opportunisticTls);
        }
    }

    private void greet() throws IOException {
        Reply ehlo = command("EHLO " + heloName, Stage.EHLO);
        if (isCompletion(ehlo)) {
            extensions = extensions(ehlo);
            return;
        }
        if (!ehlo.isPermanentFailure()) {
            throw SmtpClientException.refused(Stage.EHLO, remote, ehlo);
        }
        // RFC 5321 3.2: a server that does not know EHLO still knows HELO.
        Reply helo = command("HELO " + heloName, Stage.HELO);
        if (!isCompletion(helo)) {
            throw SmtpClientException.refused(Stage.HELO, remote, helo);
        }
        extensions = Map.of();
    }

    /** The EHLO keywords (RFC 5321 4.1.1.1), upper case, each with its parameters ("" when none). */
    private static Map<String, String> extensions(Reply ehlo) {
        Map<String, String> keywords = new HashMap<>();
        for (String line : ehlo.lines().subList(1, ehlo.lines().size())) {
            String[] keywordAndParameters = line.strip().split(" ", 2);
            if (!keywordAndParameters[0].isEmpty()) {
                keywords.put(keywordAndParameters[0].toUpperCase(Locale.ROOT),
                        keywordAndParameters.length > 1 ? keywordAndParameters[1].strip() : "");
            }
        }
        return Map.copyOf(keywords);
    }

    private void startTls(SSLContext context) throws IOException {
        Reply reply = command("STARTTLS", Stage.STARTTLS);
        if (serverClosing != null) {
            throw SmtpClientException.refused(Stage.STARTTLS, remote, reply);
        }
        if (reply.code() != 220) {
            return;   // RFC 3207 4: the server may decline (454); the session goes on in clear
        }
        if (in.hasBufferedInput()) {
            broken = true;
            throw SmtpClientException.protocolError(Stage.STARTTLS, remote, "data after the reply, before TLS (CVE-2011-0411)");
        }
        try {
            plain.setSoTimeout(millis(commandTimeout));   // bounds each read of the handshake
            attach(TlsContexts.startTls(plain, context, true, remote.getHostString()));
        } catch (IOException e) {
            broken = true;
            throw new SSLException("TLS handshake with " + SmtpClientException.peer(remote)
                    + " failed after STARTTLS: " + e.getMessage(), e);
        }
        tls = true;
        // RFC 3207 4.2: forget what the server said before TLS and ask again.
        extensions = Map.of();
        greet();
    }

    private void attach(Socket socket) throws IOException {
        if (deadlineOut != null) {
            deadlineOut.stopWatching();
        }
        this.socket = socket;
        this.in = new ReplyReader(socket, remote);
        this.deadlineOut = new DeadlineOutputStream(socket.getOutputStream(), plain, remote, commandTimeout);
        this.out = new BufferedOutputStream(deadlineOut, OUTPUT_BUFFER);
    }

    /** Whether the server listed the EHLO keyword (case-insensitive): "PIPELINING", "8BITMIME". */
    public boolean supports(String keyword) {
        return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
    }

    /** The server's fixed message size limit (RFC 1870), when it declared one. */
    public OptionalLong maxSize() {
        try {
            String size = extensions.get("SIZE");
            long limit = size == null || size.isEmpty() ? 0 : Long.parseLong(size);
            return limit > 0 ? OptionalLong.of(limit) : OptionalLong.empty();   // RFC 1870: 0 means no limit
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    public boolean isTlsActive() {
        return tls;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** Whether another transaction may be started: not closed, no I/O failure, no 421. */
    public boolean isUsable() {
        return !closed && !broken && serverClosing == null;
    }

    /** Whether the server ended the session with {@code 421}: for the pool, a sign it had dropped an idle one. */
    boolean closedByServer() {
        return serverClosing != null;
    }

    /**
     * Runs one mail transaction. Per recipient the outcome is in the result: nothing in it is
     * thrown. With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go in one write; without it, one
     * command at a time. The content is sent only if some recipient was accepted.
     *
     * <p>Parameters: {@code SIZE} when the server offers it; {@code BODY=8BITMIME} when it offers
     * 8BITMIME and the content has an octet above 127 (the content is read once more to find out);
     * {@code SMTPUTF8} when an address is not ASCII and the server offers it. When it does not,
     * non-ASCII recipients get {@link #SMTPUTF8_UNAVAILABLE} without being sent, and so does every
     * recipient when the reverse path is not ASCII. 8-bit content goes to a server without 8BITMIME
     * as it is: most take it, and the alternative is to bounce it.
     *
     * @param reversePath the sender, "" for the null reverse path
     * @param recipients  the forward paths, at least one
     * @throws IOException when the session fails: recipients not already refused stay undecided
     */
    public TransactionResult send(String reversePath, List<String> recipients, MessageContent content) throws IOException {
        requireUsable();
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipients for a transaction with " + SmtpClientException.peer(remote));
        }
        requireSingleLine(reversePath);
        recipients.forEach(SmtpClient::requireSingleLine);

        Reply[] replies = new Reply[recipients.size()];
        List<Integer> sent = new ArrayList<>();
        boolean smtpUtf8 = supports("SMTPUTF8");
        for (int i = 0; i < replies.length; i++) {
            if (smtpUtf8 || isAscii(reversePath) && isAscii(recipients.get(i))) {
                sent.add(i);
            } else {
                replies[i] = SMTPUTF8_UNAVAILABLE;
            }
        }
        if (sent.isEmpty()) {
            return new TransactionResult(SMTPUTF8_UNAVAILABLE, List.of(replies), Reply.NO_VALID_RECIPIENTS);
        }

        String mail = mailCommand(reversePath, recipients, content);
        Reply mailReply;
        Reply dataReply;
        if (supports("PIPELINING")) {
            write(mail);
            for (int i : sent) {
                write("RCPT TO:<" + recipients.get(i) + ">");
            }
            write("DATA");
            flush();
            mailReply = await(Stage.MAIL);
            for (int i : sent) {
                replies[i] = await(Stage.RCPT);
            }
            dataReply = await(Stage.DATA);
        } else {
            mailReply = command(mail, Stage.MAIL);
            for (int i : sent) {
                replies[i] = isCompletion(mailReply) ? command("RCPT TO:<" + recipients.get(i) + ">", Stage.RCPT) : mailReply;
            }
            dataReply = isCompletion(mailReply) && anyAccepted(replies, sent) ? command("DATA", Stage.DATA) : null;
        }
        if (!isCompletion(mailReply)) {
            sent.forEach(i -> replies[i] = mailReply);
        }

        boolean accepted = anyAccepted(replies, sent);
        boolean dataInvited = dataReply != null && dataReply.code() == 354;
        if (dataReply != null && isCompletion(dataReply)) {
            broken = true;
            throw SmtpClientException.protocolError(Stage.DATA, remote, "2xx instead of 354: " + dataReply);
        }
        if (accepted && dataInvited) {
            return new TransactionResult(mailReply, List.of(replies), transmit(content));
        }
        if (dataInvited) {
            abandonData();
        }
        if (isCompletion(mailReply) && isUsable()) {
            try {
                endTransaction(command("RSET", Stage.RSET));   // RFC 2920 3.1: the server may still hold MAIL and RCPTs
            } catch (IOException e) {
                // The client is marked unusable; what the server answered above stands.
            }
        }
        Reply data = accepted ? dataReply : serverClosing != null ? serverClosing : Reply.NO_VALID_RECIPIENTS;
        return new TransactionResult(mailReply, List.of(replies), data);
    }

    private String mailCommand(String reversePath, List<String> recipients, MessageContent content) throws IOException {
        StringBuilder mail = new StringBuilder("MAIL FROM:<").append(reversePath).append('>');
        if (supports("SIZE")) {
            mail.append(" SIZE=").append(content.size());   // RFC 1870
        }
        if (supports("8BITMIME") && hasEightBitOctets(content)) {
            mail.append(" BODY=8BITMIME");   // RFC 6152
        }
        if (supports("SMTPUTF8") && !(isAscii(reversePath) && recipients.stream().allMatch(SmtpClient::isAscii))) {
            mail.append(" SMTPUTF8");   // RFC 6531 3.4
        }
        return mail.toString();
    }

    private Reply transmit(MessageContent content) throws IOException {
        try {
            var stuffed = new DotStuffingOutputStream(out);
            content.writeTo(stuffed);
            stuffed.finish();
            out.flush();
        } catch (IOException e) {
            // Half a message must never be ended with a dot: only closing the connection discards it.
            broken = true;
            throw e;
        }
        return await(Stage.END_OF_DATA);
    }

    /** RFC 2920 3.1: DATA was accepted although no recipient was; a lone dot ends an empty message, reply ignored. */
    private void abandonData() throws IOException {
        write(".");
        flush();
        await(Stage.END_OF_DATA);
    }

    /** Aborts the current transaction (RFC 5321 4.1.1.5). */
    public void reset() throws IOException {
        requireUsable();
        endTransaction(command("RSET", Stage.RSET));
    }

    private void endTransaction(Reply rset) throws SmtpClientException {
        if (!isCompletion(rset)) {
            broken = true;   // the server's state is unknown: do not start another transaction in it
            throw SmtpClientException.refused(Stage.RSET, remote, rset);
        }
    }

    /**
     * Asks whether the server would take mail from {@code sender} to {@code recipient}: MAIL,
     * RCPT, RSET (in one write with PIPELINING), never DATA. Returns the RCPT reply, or
     * {@link #SMTPUTF8_UNAVAILABLE} without asking. If RSET is refused, the answer still holds and
     * the client is no longer usable.
     *
     * @throws SmtpClientException at stage MAIL when the server refuses the sender: that says
     *                             nothing about the recipient, and must never be taken for a
     *                             refusal of it (a back-end that refuses the null sender would
     *                             otherwise seem to reject every address)
     */
    public Reply probe(String sender, String recipient) throws IOException {
        requireUsable();
        requireSingleLine(sender);
        requireSingleLine(recipient);
        boolean ascii = isAscii(sender) && isAscii(recipient);
        if (!ascii && !supports("SMTPUTF8")) {
            return SMTPUTF8_UNAVAILABLE;
        }
        String mail = "MAIL FROM:<" + sender + ">" + (ascii ? "" : " SMTPUTF8");
        String rcpt = "RCPT TO:<" + recipient + ">";
        Reply mailReply;
        Reply rcptReply;
        Reply rsetReply;
        if (supports("PIPELINING")) {
            write(mail);
            write(rcpt);
            write("RSET");
            flush();
            mailReply = await(Stage.MAIL);
            rcptReply = await(Stage.RCPT);
            rsetReply = await(Stage.RSET);
        } else {
            mailReply = command(mail, Stage.MAIL);
            if (!isCompletion(mailReply)) {
                throw SmtpClientException.refused(Stage.MAIL, remote, mailReply);
            }
            rcptReply = command(rcpt, Stage.RCPT);
            rsetReply = command("RSET", Stage.RSET);
        }
        if (!isCompletion(rsetReply)) {
            broken = true;
        }
        if (!isCompletion(mailReply)) {
            throw SmtpClientException.refused(Stage.MAIL, remote, mailReply);
        }
        return rcptReply;
    }

    /** Says QUIT if the session is sound, waiting briefly for the reply, then closes. Never throws. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            if (isUsable()) {
                write("QUIT");
                flush();
                in.read(Stage.QUIT, commandTimeout.compareTo(MAX_QUIT_WAIT) < 0 ? commandTimeout : MAX_QUIT_WAIT);
            }
        } catch (IOException | RuntimeException e) {
            // Best effort: the server learns of the end from the closed connection.
        } finally {
            closed = true;
            deadlineOut.stopWatching();
            if (socket != plain && !broken) {
                closeQuietly(socket);   // TLS close_notify; not into a connection that may have stalled
            }
            closeQuietly(plain);
        }
    }

    private Reply command(String line, Stage stage) throws IOException {
        if (serverClosing != null) {
            return serverClosing;
        }
        write(line);
        flush();
        return await(stage);
    }

    /** Buffers a command line: RFC 5321 2.3.8, CRLF ends it; UTF-8 for SMTPUTF8 addresses. */
    private void write(String line) throws IOException {
        try {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    private void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    private Reply await(Stage stage) throws IOException {
        if (serverClosing != null) {
            return serverClosing;
        }
        try {
            Reply reply = in.read(stage, commandTimeout);
            if (reply.code() == 421) {
                serverClosing = reply;   // RFC 5321 3.8: the server is closing the transmission channel
            }
            return reply;
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    private void requireUsable() {
        if (!isUsable()) {
            throw new IllegalStateException("session with " + SmtpClientException.peer(remote) + " is "
                    + (closed ? "closed" : serverClosing != null ? "closed by the server: " + serverClosing : "broken"));
        }
    }

    private static boolean anyAccepted(Reply[] replies, List<Integer> sent) {
        return sent.stream().anyMatch(i -> isCompletion(replies[i]));
    }

    private static boolean isCompletion(Reply reply) {
        return reply.code() / 100 == 2;
    }

    private static boolean isAscii(String value) {
        return value.chars().allMatch(c -> c < 0x80);
    }

    /** An address or name with CR or LF in it would smuggle a command of its own. */
    private static void requireSingleLine(String value) {
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("line break in SMTP parameter: " + value.strip());
        }
    }

    /** RFC 6152: BODY=8BITMIME is declared only for content that needs it. */
    private static boolean hasEightBitOctets(MessageContent content) throws IOException {
        var scanner = new OutputStream() {
            boolean found;

            @Override
            public void write(int b) {
                found |= (b & 0x80) != 0;
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                for (int i = offset; i < offset + length && !found; i++) {
                    found = bytes[i] < 0;
                }
            }
        };
        content.writeTo(scanner);
        return scanner.found;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing more to release.
        }
    }

    private static int millis(Duration duration) {
        return Math.clamp(duration.toMillis(), 1, Integer.MAX_VALUE);
    }
}
