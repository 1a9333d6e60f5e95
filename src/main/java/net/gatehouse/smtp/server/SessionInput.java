package net.gatehouse.smtp.server;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import net.gatehouse.smtp.protocol.DataReader;

/**
 * The client's bytes, buffered once and shared by command lines and DATA, so that commands a
 * client pipelines behind its DATA (RFC 2920) are not lost between the two readers.
 */
final class SessionInput {

    /** Command lines longer than this are refused; RFC 5321 4.5.3.1.4 allows 512 octets, extensions more. */
    static final int MAX_COMMAND_LINE = 2048;

    private InputStream in;
    private final byte[] buffer = new byte[16 * 1024];
    private int position;
    private int limit;

    SessionInput(InputStream in) {
        this.in = in;
    }

    /** Thrown when a command line exceeds {@link #MAX_COMMAND_LINE}; the rest of the line is skipped. */
    static final class LineTooLongException extends IOException {
        LineTooLongException() {
            super("command line too long");
        }
    }

    /**
     * Reads one command line, without its line ending. CRLF ends a line; so does a bare LF,
     * tolerated in commands (not in DATA) as most servers do.
     *
     * @return the line, or null when the client closed the connection
     */
    String readLine() throws IOException {
        byte[] line = null;
        int lineLength = 0;
        boolean tooLong = false;
        while (true) {
            if (position == limit && !fill()) {
                return null;
            }
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            int chunk = position - start;
            if (!tooLong) {
                if (lineLength + chunk > MAX_COMMAND_LINE) {
                    tooLong = true;
                } else {
                    if (line == null) {
                        line = new byte[Math.max(128, chunk)];
                    } else if (line.length < lineLength + chunk) {
                        line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, lineLength + chunk));
                    }
                    System.arraycopy(buffer, start, line, lineLength, chunk);
                    lineLength += chunk;
                }
            }
            if (position < limit) {
                position++; // the LF
                if (tooLong) {
                    throw new LineTooLongException();
                }
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return new String(line == null ? new byte[0] : line, 0, lineLength, StandardCharsets.UTF_8);
            }
        }
    }

    /** Feeds the DATA stream to the reader until its end-of-data marker. */
    void readData(DataReader reader) throws IOException {
        while (!reader.isDone()) {
            if (position == limit && !fill()) {
                throw new EOFException("connection closed during DATA");
            }
            position += reader.feed(buffer, position, limit - position);
        }
    }

    /** Whether the client has sent more than we have read: then replies can wait (RFC 2920). */
    boolean hasPendingInput() throws IOException {
        return position < limit || in.available() > 0;
    }

    /**
     * Switches to the TLS stream after STARTTLS. Anything the client sent in plaintext after the
     * command is dropped, never executed inside TLS (RFC 3207 section 6; the CVE-2011-0411 attack).
     */
    void switchTo(InputStream tlsStream) {
        in = tlsStream;
        position = 0;
        limit = 0;
    }

    private boolean fill() throws IOException {
        int read = in.read(buffer, 0, buffer.length);
        if (read < 0) {
            return false;
        }
        position = 0;
        limit = read;
        return true;
    }
}
