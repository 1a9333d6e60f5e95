package net.gatehouse.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import net.gatehouse.queue.Spool.CorruptMessageException;

/**
 * The format of a committed message's file in the spool: a text envelope, a blank line, the
 * content, and a fixed-size end record holding the content length.
 *
 * <p>The end record is written last, after the content, as Postfix finishes its queue files; a
 * file whose end record is missing or does not fit the file was cut short by a crash or garbled on
 * disk, and is never taken for a message. Reading starts from the end record for that reason, and
 * because it gives where the content starts without scanning the content for the blank line.
 */
final class QueueFile {

    private static final String MAGIC = "gatehouse-spool: 1";
    private static final String END_MARK = "\nGATEHOUSE-END ";
    /** End record: the mark, 16 hex digits of content length, newline. */
    private static final int END_RECORD_LENGTH = END_MARK.length() + 16 + 1;
    private static final int MAX_ENVELOPE_BYTES = 1 << 20;

    /** Where the parts of a file read back lie. */
    record Layout(Envelope envelope, long contentOffset, long contentLength) {
    }

    private QueueFile() {
    }

    /** What goes before the content: the envelope and the blank line that ends it. */
    static byte[] header(Envelope envelope) {
        StringBuilder text = new StringBuilder(256).append(MAGIC).append('\n');
        text.append("id: ").append(envelope.id()).append('\n');
        text.append("received: ").append(envelope.received()).append('\n');
        text.append("client: ").append(oneLine(envelope.client())).append('\n');
        text.append("helo: ").append(oneLine(envelope.helo())).append('\n');
        text.append("smtputf8: ").append(envelope.smtpUtf8() ? "yes" : "no").append('\n');
        text.append("from: ").append(oneLine(envelope.sender())).append('\n');
        for (String recipient : envelope.recipients()) {
            text.append("to: ").append(oneLine(recipient)).append('\n');
        }
        return text.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** What goes after {@code contentLength} octets of content, last. */
    static byte[] endRecord(long contentLength) {
        return (END_MARK + HexFormat.of().toHexDigits(contentLength) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads the end record and the envelope of message {@code id}'s file; the content is left
     * where it lies.
     *
     * @throws CorruptMessageException when the file is not a whole queue file of that message
     */
    static Layout read(QueueId id, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < END_RECORD_LENGTH) {
            throw new CorruptMessageException("file too short for an end record");
        }
        ByteBuffer end = ByteBuffer.allocate(END_RECORD_LENGTH);
        readFully(channel, end, fileSize - END_RECORD_LENGTH);
        String endRecord = new String(end.array(), StandardCharsets.US_ASCII);
        if (!endRecord.startsWith(END_MARK) || !endRecord.endsWith("\n")) {
            throw new CorruptMessageException("no end record");
        }
        try {
            long contentLength = HexFormat.fromHexDigitsToLong(endRecord, END_MARK.length(), END_MARK.length() + 16);
            long contentOffset = fileSize - END_RECORD_LENGTH - contentLength;
            if (contentOffset <= 0 || contentOffset > MAX_ENVELOPE_BYTES) {
                throw new CorruptMessageException("content length does not fit the file");
            }
            ByteBuffer header = ByteBuffer.allocate((int) contentOffset);
            readFully(channel, header, 0);
            Envelope envelope = parseEnvelope(id, new String(header.array(), StandardCharsets.UTF_8));
            return new Layout(envelope, contentOffset, contentLength);
        } catch (IllegalArgumentException e) {
            throw new CorruptMessageException(e.getMessage());
        }
    }

    private static Envelope parseEnvelope(QueueId id, String header) {
        String[] lines = header.split("\n");
        if (lines.length == 0 || !lines[0].equals(MAGIC) || !header.endsWith("\n\n")) {
            throw new IllegalArgumentException("not a Gatehouse spool file");
        }
        Instant received = null;
        String client = "";
        String helo = "";
        String sender = null;
        boolean smtpUtf8 = false;
        List<String> recipients = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(": ");
            if (colon < 0) {
                throw new IllegalArgumentException("bad envelope line: " + line);
            }
            String value = line.substring(colon + 2);
            switch (line.substring(0, colon)) {
                case "id" -> {
                    if (!value.equals(id.value())) {
                        throw new IllegalArgumentException("file holds message " + value);
                    }
                }
                case "received" -> received = Instant.parse(value);
                case "client" -> client = value;
                case "helo" -> helo = value;
                case "smtputf8" -> smtpUtf8 = value.equals("yes");
                case "from" -> sender = value;
                case "to" -> recipients.add(value);
                default -> throw new IllegalArgumentException("unknown envelope field: " + line);
            }
        }
        if (received == null || sender == null) {
            throw new IllegalArgumentException("envelope lacks received time or sender");
        }
        return new Envelope(id, received, client, helo, sender, recipients, smtpUtf8);
    }

    private static String oneLine(String value) {
        return value.replace('\n', ' ').replace('\r', ' ');
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new CorruptMessageException("file ends early");
            }
        }
    }
}
