import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Buffered input for SMTP lines. {@link java.io.BufferedInputStream} would do, but it takes a lock
 * per {@code read()}; the benchmark's own processes share the CPUs with the gateway under test, so
 * their own cost per octet is kept low.
 */
final class LineReader {

    private static final byte[] CRLF = {'\r', '\n'};

    private final InputStream in;
    private final byte[] buffer;
    private int position;
    private int limit;

    LineReader(InputStream in, int bufferSize) {
        this.in = in;
        this.buffer = new byte[bufferSize];
    }

    /** Writes one line and its CRLF. */
    static void writeLine(OutputStream out, String line) throws IOException {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write(CRLF);
    }

    /** Whether more input is waiting: then replies can wait too (RFC 2920). */
    boolean hasPendingInput() throws IOException {
        return position < limit || in.available() > 0;
    }

    /**
     * Reads one line up to LF into {@code into}, without the LF; octets beyond its capacity are
     * dropped. Returns the whole line's length (CR included), or -1 at end of stream.
     */
    int readLine(byte[] into) throws IOException {
        int length = 0;
        while (true) {
            if (position == limit) {
                int read = in.read(buffer, 0, buffer.length);
                if (read < 0) {
                    if (length == 0) {
                        return -1;
                    }
                    throw new EOFException("connection closed in the middle of a line");
                }
                position = 0;
                limit = read;
            }
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            int chunk = position - start;
            if (length < into.length) {
                System.arraycopy(buffer, start, into, length, Math.min(chunk, into.length - length));
            }
            length += chunk;
            if (position < limit) {
                position++;   // the LF
                return length;
            }
        }
    }

    /** A command or reply line without CRLF (its first 1024 octets); null at end of stream. */
    String readLine() throws IOException {
        byte[] line = new byte[1024];
        int length = readLine(line);
        if (length < 0) {
            return null;
        }
        length = Math.min(length, line.length);
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        return new String(line, 0, length, StandardCharsets.UTF_8);
    }
}
