package net.gatehouse.smtp.protocol;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The trace field Gatehouse adds to every message it accepts (RFC 5321 4.4, RFC 5322 3.6.7), with
 * the protocol names of RFC 3848 and RFC 6531 ({@code ESMTPS}, {@code UTF8SMTPS}...).
 */
public final class ReceivedHeader {

    private static final DateTimeFormatter RFC_5322_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private ReceivedHeader() {
    }

    /**
     * @param helo       the client's EHLO/HELO argument; attacker-chosen, so reduced to printable ASCII
     * @param recipient  named in a {@code for} clause only when the message has exactly one recipient,
     *                   so that a Bcc recipient is not disclosed to the others
     */
    public static String format(String helo, String clientAddress, String hostname, boolean extended,
                                boolean tls, boolean smtpUtf8, String queueId, String recipient,
                                ZonedDateTime when) {
        String protocol = (smtpUtf8 ? "UTF8SMTP" : extended ? "ESMTP" : "SMTP") + (tls ? "S" : "");
        StringBuilder header = new StringBuilder(200)
                .append("Received: from ").append(printable(helo))
                .append(" ([").append(clientAddress).append("])\r\n")
                .append("\tby ").append(hostname).append(" (Gatehouse) with ").append(protocol)
                .append(" id ").append(queueId);
        if (recipient != null) {
            header.append("\r\n\tfor ").append(printable(recipient));
        }
        return header.append("; ").append(RFC_5322_DATE.format(when)).append("\r\n").toString();
    }

    /** Keeps a header from being broken or extended by what a client sent: visible ASCII only. */
    public static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length() && i < 255; i++) {
            char c = text.charAt(i);
            out.append(c > 32 && c < 127 && c != '(' && c != ')' ? c : '?');
        }
        return out.toString();
    }
}
