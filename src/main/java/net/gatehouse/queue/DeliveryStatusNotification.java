package net.gatehouse.queue;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import net.gatehouse.smtp.protocol.Reply;

/**
 * The non-delivery report sent to a message's sender when a recipient fails for good: a
 * {@code multipart/report} of RFC 6522 with a {@code message/delivery-status} part (RFC 3464) and
 * the original headers. Never sent to the null sender (RFC 5321 6.1), so a DSN cannot loop.
 *
 * <p>For a protected domain the back-end's host name and raw reply are not disclosed to the outside
 * sender (SPEC §3): the report gives the status code and a plain explanation only.
 */
final class DeliveryStatusNotification {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    /** One recipient that failed, with what to tell the sender about it. */
    record Failure(String recipient, Reply reply, String remoteMta, boolean disclose) {
    }

    private DeliveryStatusNotification() {
    }

    static byte[] build(String hostname, Envelope original, List<Failure> failures, byte[] originalHeaders,
                        ZonedDateTime now) {
        String boundary = original.id().value() + "/" + hostname;
        String sender = Envelope.address(original.sender());
        StringBuilder text = new StringBuilder(2048);
        text.append("From: Mail Delivery System <MAILER-DAEMON@").append(hostname).append(">\r\n")
                .append("To: <").append(sender).append(">\r\n")
                .append("Subject: Undelivered Mail Returned to Sender\r\n")
                .append("Date: ").append(DATE.format(now)).append("\r\n")
                .append("Message-ID: <").append(original.id()).append(".dsn.").append(now.toEpochSecond())
                .append("@").append(hostname).append(">\r\n")
                .append("Auto-Submitted: auto-replied\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"")
                .append(boundary).append("\"\r\n")
                .append("\r\n")
                .append("This is a MIME-encapsulated message.\r\n\r\n")
                .append("--").append(boundary).append("\r\n")
                .append("Content-Description: Notification\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n\r\n")
                .append("This is the mail system at host ").append(hostname).append(".\r\n\r\n")
                .append("Your message could not be delivered to one or more recipients.\r\n")
                .append("The reasons are given below.\r\n\r\n");
        for (Failure failure : failures) {
            text.append("<").append(Envelope.address(failure.recipient())).append(">: ")
                    .append(diagnostic(failure)).append("\r\n");
        }
        text.append("\r\n--").append(boundary).append("\r\n")
                .append("Content-Description: Delivery report\r\n")
                .append("Content-Type: message/delivery-status\r\n\r\n")
                .append("Reporting-MTA: dns; ").append(hostname).append("\r\n")
                .append("X-Gatehouse-Queue-ID: ").append(original.id()).append("\r\n")
                .append("Arrival-Date: ").append(DATE.format(original.received().atZone(now.getZone()))).append("\r\n");
        for (Failure failure : failures) {
            text.append("\r\n")
                    .append("Final-Recipient: rfc822; ").append(Envelope.address(failure.recipient())).append("\r\n")
                    .append("Action: failed\r\n")
                    .append("Status: ").append(status(failure.reply())).append("\r\n");
            if (failure.disclose() && !failure.remoteMta().equals("none")) {
                text.append("Remote-MTA: dns; ").append(failure.remoteMta()).append("\r\n");
            }
            text.append("Diagnostic-Code: smtp; ").append(diagnostic(failure)).append("\r\n")
                    .append("Last-Attempt-Date: ").append(DATE.format(now)).append("\r\n");
        }
        text.append("\r\n--").append(boundary).append("\r\n")
                .append("Content-Description: Undelivered Message Headers\r\n")
                .append("Content-Type: text/rfc822-headers\r\n\r\n");
        byte[] head = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] message = new byte[head.length + originalHeaders.length + tail.length];
        System.arraycopy(head, 0, message, 0, head.length);
        System.arraycopy(originalHeaders, 0, message, head.length, originalHeaders.length);
        System.arraycopy(tail, 0, message, head.length + originalHeaders.length, tail.length);
        return message;
    }

    private static String diagnostic(Failure failure) {
        Reply reply = failure.reply();
        if (failure.disclose()) {
            return reply.toString().replaceAll("\\p{Cntrl}", " ");
        }
        return reply.code() + " " + status(reply) + " rejected by the destination's mail server";
    }

    private static String status(Reply reply) {
        return reply.enhanced().isEmpty() ? (reply.code() / 100) + ".0.0" : reply.enhanced();
    }
}
