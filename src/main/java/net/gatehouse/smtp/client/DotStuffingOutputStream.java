package net.gatehouse.smtp.client;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Turns message content into the DATA stream of RFC 5321 4.5.2: a line that starts with "." gets
 * another, and {@link #finish()} ends the content with CRLF if it lacks one, then the lone dot.
 *
 * <p>A line starts after any LF, not only after CRLF. Content reaches the client with CRLF endings,
 * but should a bare LF slip through, no receiver can then read a dot line in it as the end of the
 * data, however leniently it splits lines ("SMTP smuggling").
 *
 * <p>{@link #close()} is not the end of the data and does not close the stream below.
 */
final class DotStuffingOutputStream extends FilterOutputStream {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] END_OF_DATA = {'.', '\r', '\n'};

    private boolean empty = true;
    private byte previous;
    private byte last;

    DotStuffingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        int run = offset;
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] == '.' && (empty || last == '\n')) {
                out.write(bytes, run, i - run);
                out.write('.');
                run = i;
            }
            empty = false;
            previous = last;
            last = bytes[i];
        }
        out.write(bytes, run, offset + length - run);
    }

    /** Ends the data: CRLF unless the content ended with one (or was empty), then ".". */
    void finish() throws IOException {
        if (!empty && !(previous == '\r' && last == '\n')) {
            out.write(CRLF);
        }
        out.write(END_OF_DATA);
    }

    @Override
    public void close() {
        // The socket's stream outlives the message.
    }
}
