package net.gatehouse.smtp.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Finds the Message-ID header field (RFC 5322 3.6.4) in a message's header section as its bytes
 * go by, for the log ({@code message-id=} as Postfix's cleanup writes it). It looks at the header
 * section only, and at most {@value #MAX_HEADER_BYTES} bytes of it; the value is kept as the
 * sender wrote it (angle brackets included), unfolded, at most {@value #MAX_VALUE_LENGTH} characters.
 * Pure: no I/O, fed whatever the data reader writes.
 */
public final class MessageIdFinder {

    static final int MAX_HEADER_BYTES = 64 * 1024;
    static final int MAX_VALUE_LENGTH = 998; // RFC 5322 2.1.1: a line's limit
    private static final byte[] NAME = "message-id:".getBytes(StandardCharsets.US_ASCII);

    private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    private final StringBuilder value = new StringBuilder();
    private boolean inField;
    private boolean done;
    private int seen;

    /** Looks at the next bytes of the message (CRLF line endings, as {@link DataReader} writes). */
    public void feed(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length && !done; i++) {
            byte b = bytes[i];
            if (++seen > MAX_HEADER_BYTES) {
                done = true;
            } else if (b == '\n') {
                endOfLine();
            } else if (b != '\r' && line.size() <= MAX_VALUE_LENGTH + NAME.length) {
                line.write(b);
            }
        }
    }

    /** The Message-ID's value, or {@code ""} when the header section has none (or none so far). */
    public String messageId() {
        if (inField) {
            return finished();
        }
        return value.toString();
    }

    private void endOfLine() {
        byte[] text = line.toByteArray();
        line.reset();
        boolean continuation = text.length > 0 && (text[0] == ' ' || text[0] == '\t');
        if (inField && continuation) {
            value.append(new String(text, StandardCharsets.UTF_8));
            return;
        }
        if (inField) {
            finished();
            done = true; // the first Message-ID counts
            return;
        }
        if (text.length == 0) {
            done = true; // the end of the header section
            return;
        }
        if (startsWithName(text)) {
            inField = true;
            value.append(new String(text, NAME.length, text.length - NAME.length, StandardCharsets.UTF_8));
        }
    }

    private String finished() {
        String id = value.toString().strip();
        id = id.length() > MAX_VALUE_LENGTH ? id.substring(0, MAX_VALUE_LENGTH) : id;
        value.setLength(0);
        value.append(id);
        inField = false;
        return id;
    }

    private static boolean startsWithName(byte[] text) {
        if (text.length < NAME.length) {
            return false;
        }
        for (int i = 0; i < NAME.length; i++) {
            int c = text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i];
            if (c != NAME[i]) {
                return false;
            }
        }
        return true;
    }
}
