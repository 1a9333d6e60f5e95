package net.gatehouse.smtp.server;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import net.gatehouse.config.SmtpConfig;
import net.gatehouse.log.MailEvent;
import net.gatehouse.policy.Policy;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.smtp.protocol.Command;
import net.gatehouse.smtp.protocol.CommandParser;
import net.gatehouse.smtp.protocol.DataReader;
import net.gatehouse.smtp.protocol.MailPath;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.smtp.protocol.ReceivedHeader;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.tls.TlsContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inbound SMTP connection: greeting → EHLO → MAIL → RCPT* → DATA, as RFC 5321 and its
 * extensions describe. Blocking I/O on its own virtual thread; every read has a deadline.
 *
 * <p>Replies are buffered and flushed only when the client has nothing more waiting to be read,
 * which is exactly the batching RFC 2920 (PIPELINING) asks of a server.
 */
final class SmtpSession {

    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    private final SessionContext context;
    private final SmtpConfig config;
    private Socket socket;
    private final InetAddress client;
    /** The client's address as every log line gives it. */
    private final String clientAddress;
    private final SessionInput input;
    private OutputStream output;

    private String helo;
    private boolean extended;
    private boolean tls;
    private int errors;
    private final CommandCounts commands = new CommandCounts();
    /** The last command, as Postfix names it in "lost connection after RCPT". */
    private String after = "CONNECT";
    /** The code of the last reply sent: whether the command it answered succeeded. */
    private int lastReplyCode;

    // The transaction in progress (between MAIL and the end of DATA or RSET).
    private Command.Mail mail;
    private Policy policy;
    /** Given at MAIL, so that the log of every RCPT of the transaction carries it. */
    private QueueId queueId;
    private final TransactionRecipients recipients;
    private final EndOfMessage endOfMessage;

    SmtpSession(SessionContext context, Socket socket, InetAddress client) throws IOException {
        this.context = context;
        this.config = context.config();
        this.socket = socket;
        this.client = client;
        this.clientAddress = client.getHostAddress();
        this.input = new SessionInput(socket.getInputStream(), millis -> this.socket.setSoTimeout(millis));
        // No size given: made on a virtual thread, the JDK's buffer starts at 512 bytes and grows
        // (to 8 KiB) only for a batch of pipelined replies that needs it, so an idle connection
        // holds 512 bytes rather than a fixed 4 KiB.
        this.output = new BufferedOutputStream(socket.getOutputStream());
        this.endOfMessage = new EndOfMessage(context);
        this.recipients = new TransactionRecipients(context, client, new TransactionRecipients.Replies() {
            @Override
            public void send(Reply reply) throws IOException {
                reply(reply);
            }

            @Override
            public void flush() throws IOException {
                output.flush();
            }
        });
    }

    /** Runs the dialogue to its end. Never throws: the connection is closed on return. */
    void run() {
        long started = System.nanoTime();
        new MailEvent.Connect(clientAddress).logTo(log);
        String end = "quit";
        String error = "";
        try {
            end = dialogue();
        } catch (SocketTimeoutException e) {
            end = "timeout";
            replyQuietly(Reply.TIMEOUT);
        } catch (IOException e) {
            end = "lost";
            error = String.valueOf(e.getMessage());
        } catch (RuntimeException e) {
            end = "internal_error";
            log.error("session_error client={} error=\"{}\"", clientAddress, e.toString(), e);
            replyQuietly(Reply.LOCAL_ERROR);
        } finally {
            new MailEvent.Disconnect(clientAddress, printableHelo(), commands.toString(), end, after, error,
                    endOfMessage.queued(), recipients.accepted(), recipients.rejected(), errors,
                    (System.nanoTime() - started) / 1_000_000, tls).logTo(log);
        }
    }

    private String dialogue() throws IOException {
        if (isEarlyTalker()) {
            reply(Reply.EARLY_TALKER);
            output.flush();
            return "early_talker";
        }
        reply(Reply.plain(220, context.hostname() + " ESMTP Gatehouse"));
        socket.setSoTimeout(millis(config.commandTimeout())); // for the TLS handshake; reads set their own
        while (true) {
            if (!input.hasPendingInput()) {
                output.flush();
            }
            Reply reply;
            CommandCounts.Verb verb;
            try {
                String line = input.readLine(config.commandTimeout());
                if (line == null) {
                    return "client_closed";
                }
                Command command = CommandParser.parse(line);
                verb = CommandCounts.Verb.of(command, line);
                after = verb.name();
                reply = context.draining() && mail == null ? Reply.SHUTTING_DOWN : handle(command);
            } catch (SessionInput.LineTooLongException e) {
                verb = CommandCounts.Verb.UNKNOWN;
                reply = countError(Reply.LINE_TOO_LONG);
            }
            if (reply != null) { // else the handler sent its own replies (RCPT refusals, DATA, STARTTLS)
                reply(reply);
            }
            commands.count(verb, lastReplyCode < 400);
            if (reply != null && reply.closesConnection()) {
                output.flush();
                return end(reply);
            }
        }
    }

    /** How a session that the server closes with {@code reply} ended, in the words of the disconnect line. */
    private static String end(Reply reply) {
        if (reply.code() == 221) {
            return "quit";
        }
        if (reply == Reply.TOO_MANY_ERRORS) {
            return "too_many_errors";
        }
        if (reply == Reply.HARVEST_BLOCKED) {
            return "harvest_block";
        }
        return reply == Reply.SHUTTING_DOWN ? "shutdown" : reply.toString();
    }

    /**
     * RFC 5321 4.3.1: the client waits for the greeting. One that talks first is usually a
     * spam engine that does not read replies; with {@code greet_pause} the wait is made longer.
     */
    private boolean isEarlyTalker() throws IOException {
        if (config.greetPause().isZero()) {
            return input.hasPendingInput();
        }
        socket.setSoTimeout(millis(config.greetPause()));
        try {
            return socket.getInputStream().read() >= 0;
        } catch (SocketTimeoutException quiet) {
            return false;
        }
    }

    /** Answers one command; returns the reply to send, or null when the handler sent its own. */
    private Reply handle(Command command) throws IOException {
        Reply reply = switch (command) {
            case Command.Hello hello -> hello(hello);
            case Command.Mail mail -> mail(mail);
            case Command.Rcpt rcpt -> rcpt(rcpt);
            case Command.Data data -> data();
            case Command.Rset rset -> {
                resetTransaction();
                yield Reply.OK;
            }
            case Command.Noop noop -> Reply.OK;
            case Command.Quit quit -> Reply.CLOSING;
            case Command.Help help -> Reply.HELP;
            case Command.Vrfy vrfy -> Reply.CANNOT_VRFY; // discloses nothing (SPEC §3)
            case Command.Expn expn -> Reply.EXPN_DISABLED;
            case Command.StartTls startTls -> startTls();
            case Command.NotImplemented notImplemented -> Reply.COMMAND_NOT_IMPLEMENTED;
            case Command.Invalid invalid -> invalid.reply();
        };
        // "No valid recipients" follows policy refusals of every RCPT: not a protocol error either.
        if (reply == null || reply.isPositive() || reply.closesConnection() || reply == Reply.NO_VALID_RECIPIENTS) {
            return reply;
        }
        return countError(reply);
    }

    private Reply hello(Command.Hello hello) {
        resetTransaction();
        helo = hello.domain();
        extended = hello.extended();
        if (!extended) {
            return Reply.plain(250, context.hostname());
        }
        List<String> lines = new ArrayList<>(8);
        lines.add(context.hostname());
        lines.add("PIPELINING");
        lines.add("SIZE " + config.maxMessageSize());
        if (context.tls().isPresent() && !tls) {
            lines.add("STARTTLS");
        }
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("8BITMIME");
        lines.add("DSN");
        lines.add("SMTPUTF8");
        return new Reply(250, "", lines);
    }

    private Reply mail(Command.Mail command) {
        if (helo == null) {
            return Reply.SEND_HELO_FIRST;
        }
        if (mail != null) {
            return Reply.NESTED_MAIL;
        }
        if (command.size().isPresent() && command.size().getAsLong() > config.maxMessageSize()) {
            return Reply.MESSAGE_TOO_BIG;
        }
        if (!command.smtpUtf8() && command.sender().mailbox().map(MailboxAddress::isInternational).orElse(false)) {
            return Reply.NON_ASCII_NEEDS_SMTPUTF8;
        }
        if (!context.spool().hasRoom()) {
            log.warn("spool_full client={} min_free_space={}", clientAddress, config.minFreeSpace());
            return Reply.INSUFFICIENT_STORAGE;
        }
        mail = command;
        policy = context.recipientPolicy().currentPolicy();
        queueId = QueueId.next(context.clock().millis());
        return Reply.SENDER_OK;
    }

    private Reply rcpt(Command.Rcpt command) throws IOException {
        if (mail == null) {
            return Reply.NEED_MAIL;
        }
        MailPath recipient = command.recipient();
        if (!mail.smtpUtf8() && recipient.mailbox().orElseThrow().isInternational()) {
            return Reply.NON_ASCII_NEEDS_SMTPUTF8;
        }
        return recipients.rcpt(mail, policy, queueId, helo, extended, recipient, command.dsn());
    }

    /** The HELO name as logs and headers show it (attacker-chosen text, reduced to printable ASCII); null before HELO. */
    private String printableHelo() {
        return helo == null ? null : ReceivedHeader.printable(helo);
    }

    private Reply data() throws IOException {
        if (mail == null) {
            return Reply.NEED_MAIL;
        }
        if (recipients.isEmpty()) {
            return Reply.NO_VALID_RECIPIENTS;
        }
        QueueId id = queueId;
        List<String> accepted = recipients.list();
        Envelope envelope = new Envelope(id, context.clock().instant(), client.getHostAddress(),
                ReceivedHeader.printable(helo), mail.sender().toString(), accepted, mail.smtpUtf8(), mail.dsn(),
                recipients.dsn());
        Spool.Writer writer;
        try {
            writer = context.spool().begin(envelope);
            writer.content().write(ReceivedHeader.format(helo, client.getHostAddress(), context.hostname(), extended,
                    tls, mail.smtpUtf8(), id.value(), accepted.size() == 1 ? accepted.getFirst() : null,
                    ZonedDateTime.now(context.clock())).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.error("queue_id={} spool_write_failed error=\"{}\"", id, e.getMessage());
            context.metrics().messageRefused("spool_write");
            return Reply.INSUFFICIENT_STORAGE;
        }
        reply(Reply.START_MAIL_INPUT);
        output.flush();
        Reply result;
        try (writer) {
            SpoolSink sink = new SpoolSink(writer.content());
            DataReader reader = new DataReader(config.maxMessageSize(), sink);
            input.readData(reader, config.dataTimeout(), config.minDataRate());
            after = "END-OF-MESSAGE";
            result = endOfMessage.finish(writer, reader, sink, envelope, extended, tls);
        } finally {
            socket.setSoTimeout(millis(config.commandTimeout()));
        }
        reply(result);
        resetTransaction();
        return null;
    }

    private Reply startTls() throws IOException {
        if (context.tls().isEmpty()) {
            return Reply.COMMAND_NOT_IMPLEMENTED;
        }
        if (tls) {
            return Reply.ALREADY_TLS;
        }
        reply(Reply.READY_TO_START_TLS);
        output.flush();
        SSLSocket secured = TlsContexts.startTls(socket, context.tls().get(), false, null);
        SSLSession session = secured.getSession();
        new MailEvent.Tls(clientAddress, session.getProtocol(), session.getCipherSuite()).logTo(log);
        socket = secured;
        input.switchTo(secured.getInputStream());
        output = new BufferedOutputStream(secured.getOutputStream());
        tls = true;
        // RFC 3207 4.2: discard everything known from the client before TLS.
        helo = null;
        extended = false;
        resetTransaction();
        return null;
    }

    private void resetTransaction() {
        mail = null;
        policy = null;
        queueId = null;
        recipients.clear();
    }

    /** Counts a client error: the reply to send, or 421 once the session has had too many. */
    private Reply countError(Reply reply) {
        return ++errors >= config.maxErrors() ? Reply.TOO_MANY_ERRORS : reply;
    }

    private void reply(Reply reply) throws IOException {
        lastReplyCode = reply.code();
        output.write(reply.wire().getBytes(StandardCharsets.UTF_8));
    }

    private void replyQuietly(Reply reply) {
        try {
            reply(reply);
            output.flush();
        } catch (IOException ignored) {
            // the connection is going away anyway
        }
    }

    private static int millis(java.time.Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, duration.toMillis()));
    }
}
