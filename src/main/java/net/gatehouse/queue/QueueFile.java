package net.gatehouse.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.gatehouse.queue.Spool.CorruptMessageException;
import net.gatehouse.smtp.protocol.MailDsn;
import net.gatehouse.smtp.protocol.RcptDsn;

/**
 * The format of a committed message's file in the spool: a text envelope, a blank line, the
 * content, and a fixed-size end record holding the content length.
 *
 * <p>The end record is written last, after the content, as Postfix finishes its queue files; a
 * file whose end record is missing or does not fit the file was cut short by a crash or garbled on
 * disk, and is never taken for a message. Reading starts from the end record for that reason, and
 * because it gives where the content starts without scanning the content for the blank line.
 *
 * <p>Versions: 1 has no DSN parameters; 2 adds those of RFC 3461, {@code ret:} and {@code envid:}
 * after {@code from:}, {@code notify:} and {@code orcpt:} after the {@code to:} they belong to. A
 * message without DSN parameters is still written as version 1, byte for byte as before, so that
 * the version before this one can deliver it after a downgrade; both versions are read. (The
 * previous version refuses a version 2 file as corrupt: it moves it to {@code corrupt/}, where
 * nothing is lost, and never delivers it without its parameters.)
 */
final class QueueFile {

    private static final String MAGIC = "gatehouse-spool: 1";
    /** Version 2: with the DSN parameters of RFC 3461. */
    private static final String MAGIC_DSN = "gatehouse-spool: 2";
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
        boolean dsn = !envelope.dsn().isEmpty() || !envelope.recipientDsn().isEmpty();
        StringBuilder text = new StringBuilder(256).append(dsn ? MAGIC_DSN : MAGIC).append('\n');
        text.append("id: ").append(envelope.id()).append('\n');
        text.append("received: ").append(envelope.received()).append('\n');
        text.append("client: ").append(oneLine(envelope.client())).append('\n');
        text.append("helo: ").append(oneLine(envelope.helo())).append('\n');
        text.append("smtputf8: ").append(envelope.smtpUtf8() ? "yes" : "no").append('\n');
        text.append("from: ").append(oneLine(envelope.sender())).append('\n');
        // Validated values (RCPT's parser, RcptDsn's constructor): xtext and names, no line breaks.
        envelope.dsn().ret().ifPresent(ret -> text.append("ret: ").append(ret).append('\n'));
        envelope.dsn().envelopeId().ifPresent(id -> text.append("envid: ").append(id).append('\n'));
        for (String recipient : envelope.recipients()) {
            text.append("to: ").append(oneLine(recipient)).append('\n');
            RcptDsn recipientDsn = envelope.dsn(recipient);
            if (!recipientDsn.notifications().isEmpty()) {
                text.append("notify: ").append(recipientDsn.notifyValue()).append('\n');
            }
            recipientDsn.originalRecipient().ifPresent(orcpt -> text.append("orcpt: ").append(orcpt).append('\n'));
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
        if (lines.length == 0 || !(lines[0].equals(MAGIC) || lines[0].equals(MAGIC_DSN)) || !header.endsWith("\n\n")) {
            throw new IllegalArgumentException("not a Gatehouse spool file");
        }
        Instant received = null;
        String client = "";
        String helo = "";
        String sender = null;
        boolean smtpUtf8 = false;
        List<String> recipients = new ArrayList<>();
        Optional<MailDsn.Ret> ret = Optional.empty();
        Optional<String> envelopeId = Optional.empty();
        Map<String, Set<RcptDsn.Notify>> notify = new HashMap<>();
        Map<String, String> originalRecipients = new HashMap<>();
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
                case "ret" -> ret = Optional.of(MailDsn.parseRet(value).orElseThrow(() -> bad(line)));
                case "envid" -> envelopeId = Optional.of(value);
                case "notify" -> notify.put(lastRecipient(recipients, line),
                        RcptDsn.parseNotify(value).orElseThrow(() -> bad(line)));
                case "orcpt" -> originalRecipients.put(lastRecipient(recipients, line), value);
                default -> throw new IllegalArgumentException("unknown envelope field: " + line);
            }
        }
        if (received == null || sender == null) {
            throw new IllegalArgumentException("envelope lacks received time or sender");
        }
        Map<String, RcptDsn> recipientDsn = new HashMap<>();
        for (String recipient : recipients) {
            RcptDsn dsn = new RcptDsn(notify.getOrDefault(recipient, Set.of()),
                    Optional.ofNullable(originalRecipients.get(recipient)));
            if (!dsn.isEmpty()) {
                recipientDsn.put(recipient, dsn);
            }
        }
        // the records' constructors validate ENVID and ORCPT: a bad value is an IllegalArgumentException, corrupt
        return new Envelope(id, received, client, helo, sender, recipients, smtpUtf8, new MailDsn(ret, envelopeId),
                recipientDsn);
    }

    /** The recipient a {@code notify:} or {@code orcpt:} line belongs to: the {@code to:} before it. */
    private static String lastRecipient(List<String> recipients, String line) {
        if (recipients.isEmpty()) {
            throw bad(line);
        }
        return recipients.getLast();
    }

    private static IllegalArgumentException bad(String line) {
        return new IllegalArgumentException("bad envelope line: " + line);
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
