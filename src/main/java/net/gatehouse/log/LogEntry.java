package net.gatehouse.log;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One line of the message log: a decision at RCPT TO, or a delivery attempt's result for one
 * recipient. Absent values are empty strings (a RCPT refused before a queue ID exists has
 * {@code queueId} ""), never null.
 *
 * <p>HELO names and addresses are text chosen by whoever connected. They are stored as given,
 * except that each value is cut to {@value #MAX_LENGTH} characters (a conforming client cannot send
 * more: RFC 5321 4.5.3.1 limits lines to 512 octets) and control characters become {@code ?}, so
 * that no log entry can hold a NUL (which PostgreSQL refuses) or forge a line break in a report.
 * Escaping for HTML is the console's job.
 *
 * @param at        when; stored to the millisecond
 * @param kind      a RCPT decision or a delivery
 * @param client    the client's IP address (RCPT) or the server delivered to (delivery)
 * @param helo      the name the client gave in HELO/EHLO
 * @param sender    the envelope sender, as in MAIL FROM ({@code <>} for the null sender)
 * @param recipient the recipient
 * @param verdict   what happened: {@code accept}, {@code reject}, {@code tempfail} at RCPT;
 *                  {@code sent}, {@code deferred}, {@code bounced} for deliveries
 * @param reason    the short reason key of the decision ({@code not_in_valid_list}, {@code relay_denied})
 * @param reply     the reply given (RCPT) or received (delivery), {@code 550 5.1.1 ...}
 * @param queueId   the queue ID of the message, when it has one
 */
public record LogEntry(Instant at, Kind kind, String client, String helo, String sender, String recipient,
                       String verdict, String reason, String reply, String queueId) {

    /** Longest value kept in a text field. */
    public static final int MAX_LENGTH = 512;

    /** What an entry records. */
    public enum Kind {
        RCPT, DELIVERY;

        /** The word in the store, the console and the API. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind of(String word) {
            return valueOf(word.toUpperCase(Locale.ROOT));
        }
    }

    public LogEntry {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        client = clean(client, "client");
        helo = clean(helo, "helo");
        sender = clean(sender, "sender");
        recipient = clean(recipient, "recipient");
        verdict = clean(verdict, "verdict");
        reason = clean(reason, "reason");
        reply = clean(reply, "reply");
        queueId = clean(queueId, "queueId");
    }

    private static String clean(String value, String name) {
        Objects.requireNonNull(value, name);
        String kept = value.length() > MAX_LENGTH ? value.substring(0, MAX_LENGTH) : value;
        for (int i = 0; i < kept.length(); i++) {
            char c = kept.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return replaceControls(kept);
            }
        }
        return kept;
    }

    private static String replaceControls(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return out.toString();
    }
}
