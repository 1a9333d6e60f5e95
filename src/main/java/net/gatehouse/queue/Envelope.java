package net.gatehouse.queue;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.gatehouse.smtp.protocol.MailDsn;
import net.gatehouse.smtp.protocol.RcptDsn;

/**
 * What the queue knows of a message besides its content.
 *
 * @param sender       the reverse-path with brackets, {@code <>} for the null sender
 * @param recipients   forward-paths with brackets, in RCPT order
 * @param client       the client's IP address, as text
 * @param helo         what the client said in EHLO/HELO, made printable
 * @param dsn          the RET and ENVID of MAIL FROM (RFC 3461)
 * @param recipientDsn the NOTIFY and ORCPT of the recipients that had any, by recipient; a recipient
 *                     missing here had none ({@link #dsn(String)})
 */
public record Envelope(QueueId id, Instant received, String client, String helo, String sender,
                       List<String> recipients, boolean smtpUtf8, MailDsn dsn, Map<String, RcptDsn> recipientDsn) {

    public Envelope {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient: " + id);
        }
        recipientDsn = Map.copyOf(recipientDsn);
        for (var entry : recipientDsn.entrySet()) {
            if (!recipients.contains(entry.getKey())) {
                throw new IllegalArgumentException("DSN parameters for " + entry.getKey() + ", not a recipient of " + id);
            }
            if (entry.getValue().isEmpty()) {
                throw new IllegalArgumentException("empty DSN parameters for " + entry.getKey() + " of " + id);
            }
        }
    }

    /** A message without DSN parameters. */
    public Envelope(QueueId id, Instant received, String client, String helo, String sender, List<String> recipients,
                    boolean smtpUtf8) {
        this(id, received, client, helo, sender, recipients, smtpUtf8, MailDsn.NONE, Map.of());
    }

    /** A stored path without its angle brackets: {@code <a@b>} → {@code a@b}, {@code <>} → "". */
    public static String address(String path) {
        return path.startsWith("<") && path.endsWith(">") ? path.substring(1, path.length() - 1) : path;
    }

    public boolean hasNullSender() {
        return sender.equals("<>");
    }

    /** The NOTIFY and ORCPT given for {@code recipient}, {@link RcptDsn#NONE} when none were. */
    public RcptDsn dsn(String recipient) {
        return recipientDsn.getOrDefault(recipient, RcptDsn.NONE);
    }

    /** The same message for only some of its recipients, each keeping its DSN parameters. */
    public Envelope withRecipients(List<String> kept) {
        Map<String, RcptDsn> keptDsn = new HashMap<>(recipientDsn);
        keptDsn.keySet().retainAll(kept);
        return new Envelope(id, received, client, helo, sender, kept, smtpUtf8, dsn, keptDsn);
    }
}
