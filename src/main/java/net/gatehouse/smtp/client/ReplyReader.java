package net.gatehouse.smtp.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.gatehouse.smtp.client.SmtpClient.Stage;
import net.gatehouse.smtp.protocol.Reply;

/**
 * Reads the server's replies, each within a deadline for the whole reply: the socket timeout is set
 * to the time left before every read, so a server that trickles bytes cannot stretch it.
 */
final class ReplyReader {

    // RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers send longer texts.
    private static final int MAX_LINE_LENGTH = 4096;
    private static final int MAX_LINES = 100;

    private final Socket socket;
    private final InputStream in;
    private final InetSocketAddress remote;
    private final byte[] buffer = new byte[8192];
    private final byte[] line = new byte[MAX_LINE_LENGTH];
    private int position;
    private int limit;

    ReplyReader(Socket socket, InetSocketAddress remote) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.remote = remote;
    }

    Reply read(Stage stage, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> lines = new ArrayList<>();
        String last;
        do {
            if (lines.size() == MAX_LINES) {
                throw SmtpClientException.protocolError(stage, remote, "more than " + MAX_LINES + " lines");
            }
            last = readLine(stage, deadline);
            lines.add(last);
        } while (last.length() > 3 && last.charAt(3) == '-');
        try {
            return Reply.parse(lines);
        } catch (IllegalArgumentException e) {
            throw SmtpClientException.protocolError(stage, remote, e.getMessage());
        }
    }

    /** Whether the server sent more than was read: after a STARTTLS reply, an injection attempt (CVE-2011-0411). */
    boolean hasBufferedInput() {
        return position < limit;
    }

    private String readLine(Stage stage, long deadline) throws IOException {
        int length = 0;
        while (true) {
            if (position == limit) {
                fill(stage, deadline);
            }
            byte b = buffer[position++];
            if (b == '\n') {
                break;
            }
            if (length == MAX_LINE_LENGTH) {
                throw SmtpClientException.protocolError(stage, remote, "line longer than " + MAX_LINE_LENGTH + " octets");
            }
            line[length++] = b;
        }
        // Lenient on input: a bare LF ends a reply line too.
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        return new String(line, 0, length, StandardCharsets.UTF_8);
    }

    private void fill(Stage stage, long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw timeout(stage, null);
        }
        socket.setSoTimeout(Math.clamp(Duration.ofNanos(left).toMillis(), 1, Integer.MAX_VALUE));
        int read;
        try {
            read = in.read(buffer);
        } catch (SocketTimeoutException e) {
            throw timeout(stage, e);
        }
        if (read < 0) {
            throw new EOFException("connection closed by " + SmtpClientException.peer(remote)
                    + " while waiting for " + stage.awaited());
        }
        position = 0;
        limit = read;
    }

    private SocketTimeoutException timeout(Stage stage, SocketTimeoutException cause) {
        var timeout = new SocketTimeoutException(
                "timeout waiting for " + stage.awaited() + " from " + SmtpClientException.peer(remote));
        timeout.initCause(cause);
        return timeout;
    }
}
