package net.gatehouse.smtp.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import net.gatehouse.smtp.protocol.MailDsn;
import net.gatehouse.smtp.protocol.RcptDsn;
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
 * then closes it and treats what is left as a temporary failure. The connection and that
 * bookkeeping are the {@link CommandChannel}'s; this class holds the dialogue.
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

    private final CommandChannel channel;
    private final InetSocketAddress remote;
    private final String heloName;
    private EhloKeywords extensions = EhloKeywords.NONE;
    private boolean tls;
    private boolean closed;

    private SmtpClient(CommandChannel channel, InetSocketAddress remote, String heloName) {
        this.channel = channel;
        this.remote = remote;
        this.heloName = heloName;
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
        return connect(address, heloName, connectTimeout, commandTimeout, opportunisticTls, OptionalLong.empty());
    }

    /**
     * As above, with the greeting and the replies to EHLO (and STARTTLS) awaited until
     * {@code replyDeadline} (a {@link System#nanoTime()} value) at the latest: for a callout
     * probe, whose whole budget may be shorter than a command timeout. Later exchanges on the
     * session have the command timeout again.
     */
    public static SmtpClient connect(InetSocketAddress address, String heloName, Duration connectTimeout,
                                     Duration commandTimeout, SSLContext opportunisticTls, long replyDeadline)
            throws IOException {
        return connect(address, heloName, connectTimeout, commandTimeout, opportunisticTls, OptionalLong.of(replyDeadline));
    }

    private static SmtpClient connect(InetSocketAddress address, String heloName, Duration connectTimeout,
                                      Duration commandTimeout, SSLContext opportunisticTls, OptionalLong replyDeadline)
            throws IOException {
        requireSingleLine(heloName);
        CommandChannel channel = CommandChannel.connect(address, connectTimeout, commandTimeout);
        SmtpClient client = new SmtpClient(channel, address, heloName);
        replyDeadline.ifPresent(channel::replyDeadline);
        try {
            client.open(opportunisticTls);
            return client;
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        } finally {
            channel.clearReplyDeadline();
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
            extensions = EhloKeywords.of(ehlo);
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
        extensions = EhloKeywords.NONE;
    }

    private void startTls(SSLContext context) throws IOException {
        Reply reply = command("STARTTLS", Stage.STARTTLS);
        if (channel.serverClosing().isPresent()) {
            throw SmtpClientException.refused(Stage.STARTTLS, remote, reply);
        }
        if (reply.code() != 220) {
            return;   // RFC 3207 4: the server may decline (454); the session goes on in clear
        }
        channel.startTls(context);
        tls = true;
        // RFC 3207 4.2: forget what the server said before TLS and ask again.
        extensions = EhloKeywords.NONE;
        greet();
    }

    /** Whether the server listed the EHLO keyword (case-insensitive): "PIPELINING", "8BITMIME". */
    public boolean supports(String keyword) {
        return extensions.supports(keyword);
    }

    /** The server's fixed message size limit (RFC 1870), when it declared one. */
    public OptionalLong maxSize() {
        return extensions.maxSize();
    }

    public boolean isTlsActive() {
        return tls;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** Whether another transaction may be started: not closed, no I/O failure, no 421. */
    public boolean isUsable() {
        return !closed && !channel.isBroken() && channel.serverClosing().isEmpty();
    }

    /** Whether the server ended the session with {@code 421}: for the pool, a sign it had dropped an idle one. */
    boolean closedByServer() {
        return channel.serverClosing().isPresent();
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
        return send(reversePath, recipients, content, MailDsn.NONE, recipients.stream().map(r -> RcptDsn.NONE).toList());
    }

    /**
     * {@link #send(String, List, MessageContent)} with the DSN parameters of RFC 3461: RET and ENVID
     * on MAIL, NOTIFY and ORCPT on each RCPT, as they were received, when the server offers DSN
     * ({@link #supports supports("DSN")}); when it does not, they are left out (RFC 3461 4.2), and
     * what the sender asked for is the caller's to honour.
     *
     * @param recipientDsn the parameters of each recipient, in the order of {@code recipients}
     */
    public TransactionResult send(String reversePath, List<String> recipients, MessageContent content, MailDsn mailDsn,
                                  List<RcptDsn> recipientDsn) throws IOException {
        requireUsable();
        if (recipientDsn.size() != recipients.size()) {
            throw new IllegalArgumentException("DSN parameters for " + recipientDsn.size() + " of " + recipients.size()
                    + " recipients");
        }
        boolean dsn = supports("DSN");
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

        String mail = MailCommand.of(reversePath, recipients, content, extensions) + (dsn ? mailDsn.parameters() : "");
        String[] rcpts = new String[recipients.size()];
        for (int i = 0; i < rcpts.length; i++) {
            rcpts[i] = "RCPT TO:<" + recipients.get(i) + ">" + (dsn ? recipientDsn.get(i).parametersForRelay() : "");
        }
        Reply mailReply;
        Reply dataReply;
        if (supports("PIPELINING")) {
            channel.write(mail);
            for (int i : sent) {
                channel.write(rcpts[i]);
            }
            channel.write("DATA");
            channel.flush();
            mailReply = await(Stage.MAIL);
            for (int i : sent) {
                replies[i] = await(Stage.RCPT);
            }
            dataReply = await(Stage.DATA);
        } else {
            mailReply = command(mail, Stage.MAIL);
            for (int i : sent) {
                replies[i] = isCompletion(mailReply) ? command(rcpts[i], Stage.RCPT) : mailReply;
            }
            dataReply = isCompletion(mailReply) && anyAccepted(replies, sent) ? command("DATA", Stage.DATA) : null;
        }
        if (!isCompletion(mailReply)) {
            sent.forEach(i -> replies[i] = mailReply);
        }

        boolean accepted = anyAccepted(replies, sent);
        boolean dataInvited = dataReply != null && dataReply.code() == 354;
        if (dataReply != null && isCompletion(dataReply)) {
            channel.markBroken();
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
        Reply data = accepted ? dataReply : channel.serverClosing().orElse(Reply.NO_VALID_RECIPIENTS);
        return new TransactionResult(mailReply, List.of(replies), data);
    }

    private Reply transmit(MessageContent content) throws IOException {
        channel.transmit(content);
        return await(Stage.END_OF_DATA);
    }

    /** RFC 2920 3.1: DATA was accepted although no recipient was; a lone dot ends an empty message, reply ignored. */
    private void abandonData() throws IOException {
        channel.write(".");
        channel.flush();
        await(Stage.END_OF_DATA);
    }

    /** Aborts the current transaction (RFC 5321 4.1.1.5). */
    public void reset() throws IOException {
        requireUsable();
        endTransaction(command("RSET", Stage.RSET));
    }

    private void endTransaction(Reply rset) throws SmtpClientException {
        if (!isCompletion(rset)) {
            channel.markBroken();   // the server's state is unknown: do not start another transaction in it
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
        return probe(sender, recipient, OptionalLong.empty());
    }

    /**
     * As above, with every reply awaited until {@code replyDeadline} (a {@link System#nanoTime()}
     * value) at the latest: the probe's budget. A reply that has not come by then (a tarpitting
     * server) fails the probe with a {@link java.net.SocketTimeoutException} and leaves the
     * session unusable, so that no later probe waits behind the late reply.
     */
    public Reply probe(String sender, String recipient, long replyDeadline) throws IOException {
        return probe(sender, recipient, OptionalLong.of(replyDeadline));
    }

    private Reply probe(String sender, String recipient, OptionalLong replyDeadline) throws IOException {
        requireUsable();
        replyDeadline.ifPresent(channel::replyDeadline);
        try {
            return probeNow(sender, recipient);
        } finally {
            channel.clearReplyDeadline();
        }
    }

    private Reply probeNow(String sender, String recipient) throws IOException {
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
            channel.write(mail);
            channel.write(rcpt);
            channel.write("RSET");
            channel.flush();
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
            channel.markBroken();
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
                channel.quit(MAX_QUIT_WAIT);
            }
        } catch (IOException | RuntimeException e) {
            // Best effort: the server learns of the end from the closed connection.
        } finally {
            closed = true;
            channel.close();
        }
    }

    private Reply command(String line, Stage stage) throws IOException {
        return channel.command(line, stage);
    }

    private Reply await(Stage stage) throws IOException {
        return channel.await(stage);
    }

    private void requireUsable() {
        if (!isUsable()) {
            throw new IllegalStateException("session with " + SmtpClientException.peer(remote) + " is "
                    + (closed ? "closed" : channel.serverClosing().map(r -> "closed by the server: " + r).orElse("broken")));
        }
    }

    private static boolean anyAccepted(Reply[] replies, List<Integer> sent) {
        return sent.stream().anyMatch(i -> isCompletion(replies[i]));
    }

    private static boolean isCompletion(Reply reply) {
        return reply.code() / 100 == 2;
    }

    static boolean isAscii(String value) {
        return value.chars().allMatch(c -> c < 0x80);
    }

    /** An address or name with CR or LF in it would smuggle a command of its own. */
    private static void requireSingleLine(String value) {
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("line break in SMTP parameter: " + value.strip());
        }
    }
}
