package net.gatehouse.queue;

import java.time.Instant;
import java.util.List;

/**
 * What the queue knows of a message besides its content.
 *
 * @param sender     the reverse-path with brackets, {@code <>} for the null sender
 * @param recipients forward-paths with brackets, in RCPT order
 * @param client     the client's IP address, as text
 * @param helo       what the client said in EHLO/HELO, made printable
 */
public record Envelope(QueueId id, Instant received, String client, String helo, String sender,
                       List<String> recipients, boolean smtpUtf8) {

    public Envelope {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient: " + id);
        }
    }

    /** A stored path without its angle brackets: {@code <a@b>} → {@code a@b}, {@code <>} → "". */
    public static String address(String path) {
        return path.startsWith("<") && path.endsWith(">") ? path.substring(1, path.length() - 1) : path;
    }

    public boolean hasNullSender() {
        return sender.equals("<>");
    }
}
