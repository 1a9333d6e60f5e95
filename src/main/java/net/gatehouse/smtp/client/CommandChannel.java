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
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import net.gatehouse.smtp.client.SmtpClient.Stage;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.tls.TlsContexts;

/**
 * The connection under one outbound session: command lines out, replies in, over the plain socket
 * or, after STARTTLS, the TLS one. Each reply and each write has the command timeout as deadline.
 *
 * <p>It remembers what leaves the session unusable, so that {@link SmtpClient} asks once rather
 * than after every step: any I/O failure ({@link #isBroken}), and a {@code 421} from the server,
 * which then stands as the answer to every command not yet answered ({@link #serverClosing}).
 */
final class CommandChannel {

    private static final int OUTPUT_BUFFER = 16 * 1024;

    private final Socket plain;
    private final InetSocketAddress remote;
    private final Duration commandTimeout;
    private Socket socket;
    private ReplyReader in;
    private DeadlineOutputStream deadlineOut;
    private OutputStream out;
    /** An I/O failure, or a reply that leaves the session in doubt. */
    private boolean broken;
    /** The 421 with which the server ended the session: it answers every command not yet answered. */
    private Reply serverClosing;
    /**
     * A {@link System#nanoTime()} by which every reply must have come, when a caller's budget is
     * shorter than the command timeout (a callout probe); only while {@code hasReplyDeadline}.
     */
    private long replyDeadline;
    private boolean hasReplyDeadline;

    private CommandChannel(Socket plain, InetSocketAddress remote, Duration commandTimeout) throws IOException {
        this.plain = plain;
        this.remote = remote;
        this.commandTimeout = commandTimeout;
        attach(plain);
    }

    /** Connects within {@code connectTimeout}; the exception names the server. */
    static CommandChannel connect(InetSocketAddress address, Duration connectTimeout, Duration commandTimeout)
            throws IOException {
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
        return new CommandChannel(socket, address, commandTimeout);
    }

    /**
     * Goes on over TLS, after the server's 220 to STARTTLS.
     *
     * @throws SmtpClientException when the server sent more after its 220 (CVE-2011-0411: it would
     *                             be taken as said over TLS)
     * @throws SSLException        when the handshake fails
     */
    void startTls(SSLContext context) throws IOException {
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

    boolean isBroken() {
        return broken;
    }

    /**
     * Until {@link #clearReplyDeadline}, each reply is awaited until {@code deadline} (a
     * {@link System#nanoTime()} value) at the latest, however long the command timeout: a reply
     * that comes after the caller's budget is of no use to it, and the connection is better closed
     * than held for it (a tarpitting server). One that times out so leaves the channel broken.
     */
    void replyDeadline(long deadline) {
        replyDeadline = deadline;
        hasReplyDeadline = true;
    }

    void clearReplyDeadline() {
        hasReplyDeadline = false;
    }

    /** The command timeout, or less when a reply deadline comes sooner. */
    private Duration replyTimeout() {
        if (!hasReplyDeadline) {
            return commandTimeout;
        }
        Duration left = Duration.ofNanos(replyDeadline - System.nanoTime());
        // At least a millisecond: a socket timeout of 0 would wait for ever.
        left = left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
        return left.compareTo(commandTimeout) < 0 ? left : commandTimeout;
    }

    /** A reply left the server's state unknown: no further transaction may start on this connection. */
    void markBroken() {
        broken = true;
    }

    /** The {@code 421} with which the server ended the session, if it did. */
    Optional<Reply> serverClosing() {
        return Optional.ofNullable(serverClosing);
    }

    /** Sends one command and awaits its reply; after a {@code 421}, sends nothing and returns it. */
    Reply command(String line, Stage stage) throws IOException {
        if (serverClosing != null) {
            return serverClosing;
        }
        write(line);
        flush();
        return await(stage);
    }

    /** Buffers a command line: RFC 5321 2.3.8, CRLF ends it; UTF-8 for SMTPUTF8 addresses. */
    void write(String line) throws IOException {
        try {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    /** The reply to the command sent at {@code stage}; after a {@code 421}, that. */
    Reply await(Stage stage) throws IOException {
        if (serverClosing != null) {
            return serverClosing;
        }
        try {
            Reply reply = in.read(stage, replyTimeout());
            if (reply.code() == 421) {
                serverClosing = reply;   // RFC 5321 3.8: the server is closing the transmission channel
            }
            return reply;
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    /** Sends QUIT and reads its reply within {@code wait}, leaving the channel's state as it is: nothing follows. */
    void quit(Duration wait) throws IOException {
        write("QUIT");
        flush();
        in.read(Stage.QUIT, commandTimeout.compareTo(wait) < 0 ? commandTimeout : wait);
    }

    /** Sends the content, dot-stuffed and ended with the lone dot. */
    void transmit(MessageContent content) throws IOException {
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
    }

    /** Closes the connection; never throws. */
    void close() {
        deadlineOut.stopWatching();
        if (socket != plain && !broken) {
            closeQuietly(socket);   // TLS close_notify; not into a connection that may have stalled
        }
        closeQuietly(plain);
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
