package net.gatehouse.smtp.protocol;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Reads the DATA stream of RFC 5321 4.1.1.4 as bytes arrive: removes dot-stuffing (4.5.2), finds
 * the end of the message, counts its size and writes the content to a sink. Pure state machine,
 * no I/O of its own: the caller feeds it whatever the socket delivered.
 *
 * <p><b>SMTP smuggling.</b> Only {@code <CRLF>.<CRLF>} ends the data. A bare CR or LF (one not in a
 * CRLF pair) never starts a line here: a dot after it is content, not an end and not stuffing.
 * Every bare CR or LF is written out as CRLF, and the delivery agent dot-stuffs every line it
 * sends, so what a server after Gatehouse reads is exactly one message whose lines are the ones
 * this reader saw. The reader also records that it saw one, so that the session can refuse the
 * message instead when the administrator prefers that.
 *
 * <p>Content is always normalised to CRLF line endings; the stored message is what a strict
 * RFC 5322 reader expects. Lines longer than {@link #MAX_LINE_OCTETS} are noted, so that the
 * session refuses what a strict server after Gatehouse would refuse after Gatehouse said 250.
 */
public final class DataReader {

    private enum State { LINE_START, DOT_AT_LINE_START, DOT_CR, MIDDLE, CR }

    /** RFC 5321 4.5.3.1.6: 1000 octets with the CRLF, not counting a dot added for transparency. */
    public static final int MAX_LINE_OCTETS = 998;

    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private final long maxSize;
    private final OutputStream sink;
    private final byte[] out = new byte[16 * 1024];
    private int outLength;
    private State state = State.LINE_START;
    private long size;
    private boolean done;
    private boolean sizeExceeded;
    private boolean bareLineEnding;
    private boolean eightBit;
    private int lineOctets;
    private boolean longLine;

    /**
     * @param maxSize content beyond this many bytes is counted but not written
     * @param sink    receives the unstuffed, CRLF-normalised content
     */
    public DataReader(long maxSize, OutputStream sink) {
        this.maxSize = maxSize;
        this.sink = sink;
    }

    /**
     * Consumes bytes up to and including the end-of-data marker.
     *
     * @return how many of the {@code length} bytes were consumed; fewer than {@code length} only
     *         when the end was found (the rest belongs to the next command, RFC 2920 pipelining)
     */
    public int feed(byte[] buffer, int offset, int length) throws IOException {
        int end = offset + length;
        int i = offset;
        while (i < end && !done) {
            byte b = buffer[i++];
            switch (state) {
                case LINE_START -> {
                    if (b == '.') {
                        state = State.DOT_AT_LINE_START;
                    } else {
                        middle(b);
                    }
                }
                case DOT_AT_LINE_START -> {
                    if (b == CR) {
                        state = State.DOT_CR;
                    } else {
                        middle(b); // the leading dot was stuffing: drop it
                    }
                }
                case DOT_CR -> {
                    if (b == LF) {
                        done = true;
                    } else {
                        bareCr();
                        middle(b);
                    }
                }
                case CR -> {
                    if (b == LF) {
                        endLine();
                        state = State.LINE_START;
                    } else {
                        bareCr();
                        middle(b);
                    }
                }
                case MIDDLE -> middle(b);
            }
        }
        if (done) {
            flush();
        }
        return i - offset;
    }

    /** A byte inside a line: the only place a new CR or a bare LF can appear. */
    private void middle(byte b) throws IOException {
        if (b == CR) {
            state = State.CR;
            return;
        }
        if (b == LF) {
            bareLineEnding = true;
            endLine();
        } else {
            if (b < 0) {
                eightBit = true;
            }
            if (++lineOctets > MAX_LINE_OCTETS) {
                longLine = true;
            }
            emit(b);
        }
        state = State.MIDDLE;
    }

    private void endLine() throws IOException {
        emit(CR);
        emit(LF);
        lineOctets = 0;
    }

    /** The CR just before was not followed by LF. */
    private void bareCr() throws IOException {
        bareLineEnding = true;
        endLine();
        state = State.MIDDLE;
    }

    private void emit(byte b) throws IOException {
        if (++size > maxSize) {
            sizeExceeded = true;
            return;
        }
        if (outLength == out.length) {
            flush();
        }
        out[outLength++] = b;
    }

    private void flush() throws IOException {
        if (outLength > 0) {
            sink.write(out, 0, outLength);
            outLength = 0;
        }
    }

    /** Whether the end-of-data marker has been read. */
    public boolean isDone() {
        return done;
    }

    /** Bytes of content seen, including any beyond the limit. */
    public long size() {
        return size;
    }

    public boolean sizeExceeded() {
        return sizeExceeded;
    }

    /** A bare CR or LF was seen (and normalised to CRLF). */
    public boolean sawBareLineEnding() {
        return bareLineEnding;
    }

    /** A line of more than {@link #MAX_LINE_OCTETS} octets was seen. */
    public boolean sawLongLine() {
        return longLine;
    }

    /** A byte with the high bit set was seen (RFC 6152). */
    public boolean sawEightBit() {
        return eightBit;
    }
}
