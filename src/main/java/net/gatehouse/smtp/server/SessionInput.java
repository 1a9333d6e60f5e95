package net.gatehouse.smtp.server;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import net.gatehouse.smtp.protocol.DataReader;

/**
 * The client's bytes, buffered once and shared by command lines and DATA, so that commands a
 * client pipelines behind its DATA (RFC 2920) are not lost between the two readers.
 *
 * <p>Every read has a deadline, not just a timeout: a client that sends one byte every few
 * seconds does not get to keep a command line open for longer than the command's time in all,
 * nor DATA for longer than its time plus what it has sent at the minimum rate (Postfix's
 * {@code smtpd_per_request_deadline} and {@code smtpd_min_data_rate}). Past the deadline a read
 * ends in {@link SocketTimeoutException}.
 */
final class SessionInput {

    /** Sets the socket's read timeout; the socket changes at STARTTLS, so it is asked each time. */
    @FunctionalInterface
    interface ReadTimeout {
        void set(int millis) throws IOException;
    }

    /** Command lines longer than this are refused; RFC 5321 4.5.3.1.4 allows 512 octets, extensions more. */
    static final int MAX_COMMAND_LINE = 2048;

    /*
     * Between commands a session waits with this buffer, and most connections never get further
     * (a botnet holding thousands open): it is what each of them costs, so it is small. A longer
     * line, or a large pipelined batch, just takes more than one read. DATA is read in large reads
     * for throughput; its buffer lives only until the bytes after the dot have been used.
     */
    static final int COMMAND_BUFFER = 1024;
    static final int DATA_BUFFER = 16 * 1024;

    private InputStream in;
    private final ReadTimeout timeout;
    private byte[] buffer = new byte[COMMAND_BUFFER];
    private int position;
    private int limit;
    private long deadline; // System.nanoTime() past which no read may wait

    SessionInput(InputStream in, ReadTimeout timeout) {
        this.in = in;
        this.timeout = timeout;
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
     * @param allowed how long the whole line may take to arrive, from now
     * @return the line, or null when the client closed the connection
     * @throws SocketTimeoutException when the line is not complete within {@code allowed}
     */
    String readLine(Duration allowed) throws IOException {
        deadline = System.nanoTime() + allowed.toNanos();
        byte[] line = null;
        int lineLength = 0;
        boolean tooLong = false;
        while (true) {
            if (position == limit && !fill(COMMAND_BUFFER)) {
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

    /**
     * Feeds the DATA stream to the reader until its end-of-data marker.
     *
     * @param allowed      how long DATA may take, from now, before any credit for bytes received
     * @param minByteRate  each byte received adds 1/minByteRate seconds to the deadline, so that
     *                     a large message sent at this rate or faster is never cut off
     * @throws SocketTimeoutException when the deadline passes first
     */
    void readData(DataReader reader, Duration allowed, int minByteRate) throws IOException {
        deadline = System.nanoTime() + allowed.toNanos();
        long nanosPerByte = TimeUnit.SECONDS.toNanos(1) / minByteRate;
        while (!reader.isDone()) {
            if (position == limit && !fill(DATA_BUFFER)) {
                throw new EOFException("connection closed during DATA");
            }
            int fed = reader.feed(buffer, position, limit - position);
            position += fed;
            deadline += fed * nanosPerByte;
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

    /** Reads into a buffer of {@code size}: the one in use is empty, so it may be replaced. */
    private boolean fill(int size) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        if (buffer.length != size) {
            buffer = new byte[size];
            position = 0;
            limit = 0;
        }
        timeout.set((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(remaining))));
        int read = in.read(buffer, 0, buffer.length);
        if (read < 0) {
            return false;
        }
        position = 0;
        limit = read;
        return true;
    }
}
