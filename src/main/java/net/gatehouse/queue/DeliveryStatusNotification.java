package net.gatehouse.queue;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import net.gatehouse.smtp.protocol.Reply;

/**
 * A delivery status notification to a message's sender: a {@code multipart/report} of RFC 6522
 * with a {@code message/delivery-status} part (RFC 3464) and the original message or its headers.
 * Two kinds: the non-delivery report for recipients that failed for good, and the "relayed" report
 * for recipients whose sender asked to hear of success (NOTIFY=SUCCESS, RFC 3461 6.2.3) and that
 * went to a server without DSN, which will not report it. Never sent to the null sender (RFC 5321
 * 6.1), so a DSN cannot loop.
 *
 * <p>The sender's ENVID is the report's Original-Envelope-Id, each recipient's ORCPT its
 * Original-Recipient (RFC 3464 2.2.1, 2.3.1). For a protected domain the back-end's host name and
 * raw reply are not disclosed to the outside sender (SPEC §3): the report gives the status code
 * and a plain explanation only.
 */
final class DeliveryStatusNotification {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    /** What a report says happened to its recipients (RFC 3464 2.3.3); one kind per report. */
    enum Action {
        FAILED("failed"), RELAYED("relayed");

        private final String word;

        Action(String word) {
            this.word = word;
        }

        /** As the Action field and the log write it. */
        String word() {
            return word;
        }
    }

    /** One recipient that failed (or was relayed), with what to tell the sender about it. */
    record Failure(String recipient, Reply reply, String remoteMta, boolean disclose) {
    }

    /**
     * What goes back to the sender in the third part: the original's header section, or the whole
     * original as {@code message/rfc822} when the sender asked for it (RET=FULL) and it is small
     * enough.
     */
    record Returned(byte[] content, boolean whole) {
    }

    private DeliveryStatusNotification() {
    }

    static byte[] build(String hostname, Envelope original, Action action, List<Failure> recipients, Returned returned,
                        ZonedDateTime now) {
        boolean failed = action == Action.FAILED;
        String boundary = original.id().value() + "/" + hostname;
        String sender = Envelope.address(original.sender());
        StringBuilder text = new StringBuilder(2048);
        text.append("From: Mail Delivery System <MAILER-DAEMON@").append(hostname).append(">\r\n")
                .append("To: <").append(sender).append(">\r\n")
                .append("Subject: ").append(failed ? "Undelivered Mail Returned to Sender" : "Successful Mail Delivery Report")
                .append("\r\n")
                .append("Date: ").append(DATE.format(now)).append("\r\n")
                .append("Message-ID: <").append(original.id()).append(failed ? ".dsn." : ".relayed.")
                .append(now.toEpochSecond()).append("@").append(hostname).append(">\r\n")
                .append("Auto-Submitted: auto-replied\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"")
                .append(boundary).append("\"\r\n")
                .append("\r\n")
                .append("This is a MIME-encapsulated message.\r\n\r\n")
                .append("--").append(boundary).append("\r\n")
                .append("Content-Description: Notification\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n\r\n")
                .append("This is the mail system at host ").append(hostname).append(".\r\n\r\n");
        if (failed) {
            text.append("Your message could not be delivered to one or more recipients.\r\n")
                    .append("The reasons are given below.\r\n\r\n");
        } else {
            text.append("Your message was relayed to the recipients listed below, as you asked\r\n")
                    .append("to be told. The server it was relayed to does not offer delivery status\r\n")
                    .append("notifications, so no further notice of its delivery will be sent.\r\n\r\n");
        }
        for (Failure recipient : recipients) {
            text.append("<").append(Envelope.address(recipient.recipient())).append(">: ")
                    .append(diagnostic(recipient, failed)).append("\r\n");
        }
        text.append("\r\n--").append(boundary).append("\r\n")
                .append("Content-Description: Delivery report\r\n")
                .append("Content-Type: message/delivery-status\r\n\r\n");
        original.dsn().decodedEnvelopeId().ifPresent(id -> text.append("Original-Envelope-Id: ").append(id).append("\r\n"));
        text.append("Reporting-MTA: dns; ").append(hostname).append("\r\n")
                .append("X-Gatehouse-Queue-ID: ").append(original.id()).append("\r\n")
                .append("Arrival-Date: ").append(DATE.format(original.received().atZone(now.getZone()))).append("\r\n");
        for (Failure recipient : recipients) {
            text.append("\r\n");
            original.dsn(recipient.recipient()).originalRecipientForReport()
                    .ifPresent(orcpt -> text.append("Original-Recipient: ").append(orcpt).append("\r\n"));
            text.append("Final-Recipient: rfc822; ").append(Envelope.address(recipient.recipient())).append("\r\n")
                    .append("Action: ").append(action.word()).append("\r\n")
                    .append("Status: ").append(status(recipient.reply())).append("\r\n");
            if (recipient.disclose() && !recipient.remoteMta().equals("none")) {
                text.append("Remote-MTA: dns; ").append(recipient.remoteMta()).append("\r\n");
            }
            text.append("Diagnostic-Code: smtp; ").append(diagnostic(recipient, failed)).append("\r\n")
                    .append("Last-Attempt-Date: ").append(DATE.format(now)).append("\r\n");
        }
        text.append("\r\n--").append(boundary).append("\r\n");
        if (returned.whole()) {
            text.append("Content-Description: ").append(failed ? "Undelivered Message" : "Message").append("\r\n")
                    .append("Content-Type: message/rfc822\r\n")
                    .append("Content-Transfer-Encoding: 8bit\r\n\r\n");
        } else {
            text.append("Content-Description: ").append(failed ? "Undelivered Message Headers" : "Message Headers")
                    .append("\r\n")
                    .append("Content-Type: text/rfc822-headers\r\n\r\n");
        }
        byte[] head = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] content = returned.content();
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] message = new byte[head.length + content.length + tail.length];
        System.arraycopy(head, 0, message, 0, head.length);
        System.arraycopy(content, 0, message, head.length, content.length);
        System.arraycopy(tail, 0, message, head.length + content.length, tail.length);
        return message;
    }

    private static String diagnostic(Failure recipient, boolean failed) {
        Reply reply = recipient.reply();
        if (recipient.disclose()) {
            return reply.toString().replaceAll("\\p{Cntrl}", " ");
        }
        return reply.code() + " " + status(reply) + (failed ? " rejected by the destination's mail server"
                : " accepted by the destination's mail server");
    }

    private static String status(Reply reply) {
        return reply.enhanced().isEmpty() ? (reply.code() / 100) + ".0.0" : reply.enhanced();
    }
}
