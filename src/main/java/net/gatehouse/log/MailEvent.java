package net.gatehouse.log;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import org.slf4j.Logger;

/**
 * The events of the mail path that administrators and their tools read in the log (SPEC §7, §10):
 * what {@code smtpd}, {@code cleanup}, {@code qmgr}, {@code smtp} and {@code bounce} would log in
 * Postfix. Each is logged as one SLF4J event whose message is {@link #event()} and whose key-value
 * pair {@link #KEY} holds the record; {@link LogLayout} writes it in Postfix's shapes or as JSON.
 *
 * <p>Addresses are given without angle brackets ({@code ""} for the null sender), client addresses
 * as IP literals. Nothing here is escaped: the formats do that, for every field, because HELO names
 * and addresses are chosen by whoever connects.
 */
public sealed interface MailEvent {

    /** The key of the record among the SLF4J event's key-value pairs. */
    String KEY = "mail_event";

    /** The word for the event: the SLF4J message, and {@code event} in JSON. */
    String event();

    /** The Postfix program that logs the event's main line. */
    String daemon();

    /** Whether the event says something is wrong: logged at WARN, else at INFO. */
    default boolean warning() {
        return false;
    }

    default void logTo(Logger log) {
        (warning() ? log.atWarn() : log.atInfo()).addKeyValue(KEY, this).log(event());
    }

    /** A client connected ({@code smtpd}: {@code connect from unknown[addr]}). */
    record Connect(String client) implements MailEvent {
        public String event() {
            return "connect";
        }

        public String daemon() {
            return "smtpd";
        }
    }

    /** STARTTLS succeeded; {@code protocol} and {@code cipher} as the JDK names them. */
    record Tls(String client, String protocol, String cipher) implements MailEvent {
        public String event() {
            return "tls";
        }

        public String daemon() {
            return "smtpd";
        }
    }

    /**
     * A recipient (at RCPT) or a message (at the end of DATA) was refused.
     *
     * @param queueId the message's ID once it has a queue file, else null ({@code NOQUEUE})
     * @param stage   {@code RCPT} or {@code END-OF-MESSAGE}, as Postfix names the moment
     * @param helo    the client's HELO/EHLO name, made printable; null before HELO
     * @param esmtp   whether the client said EHLO ({@code proto=ESMTP}) rather than HELO
     * @param reply   the reply the client got: Gatehouse's own text, never a back-end's
     * @param reason  the verdict's reason word ({@code not_in_valid_list}, {@code relay_denied})
     * @param why     the last step of the verdict's chain, for administrators only
     * @param warning   observe mode ({@code enforce: false}): the recipient was accepted, and {@code reply}
     *                  is the refusal it would have got; Postfix's {@code reject_warning} of {@code warn_if_reject}
     */
    record Reject(String queueId, String stage, String client, String helo, boolean esmtp, String sender,
                  String recipient, Reply reply, String reason, String why, boolean warning) implements MailEvent {

        /** A refusal sent to the client. */
        public Reject(String queueId, String stage, String client, String helo, boolean esmtp, String sender,
                      String recipient, Reply reply, String reason, String why) {
            this(queueId, stage, client, helo, esmtp, sender, recipient, reply, reason, why, false);
        }

        public String event() {
            return warning ? "reject_warning" : "reject";
        }

        public String daemon() {
            return "smtpd";
        }
    }

    /** Directory-harvest protection blocked the client until {@code until}. */
    record HarvestBlock(String client, String helo, Instant until) implements MailEvent {
        public String event() {
            return "harvest_block";
        }

        @Override
        public boolean warning() {
            return true;
        }

        public String daemon() {
            return "gatehouse";
        }
    }

    /**
     * A message is on disk and acknowledged with 250: what Postfix's {@code smtpd} ({@code client=}),
     * {@code cleanup} ({@code message-id=}) and {@code qmgr} ({@code from=, size=, nrcpt=}) log.
     *
     * @param messageId the Message-ID header's value as the client sent it, or {@code ""}
     * @param bareLineEndingsNormalised whether a bare CR or LF in the data was turned into CRLF
     */
    record Queued(String queueId, String client, String helo, String sender, List<String> recipients, long size,
                  String messageId, boolean tls, boolean bareLineEndingsNormalised) implements MailEvent {
        public Queued {
            recipients = List.copyOf(recipients);
        }

        public String event() {
            return "queued";
        }

        public String daemon() {
            return "smtpd";
        }
    }

    /**
     * The session ended.
     *
     * @param commands Postfix's summary of the commands: {@code ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6}
     * @param end      how: {@code quit}, {@code client_closed}, {@code lost}, {@code timeout},
     *                 {@code too_many_errors}, {@code harvest_block}, {@code shutdown}, {@code early_talker}
     *                 or {@code internal_error}
     * @param after    the last command, as Postfix names it in "timeout after RCPT" ({@code CONNECT}
     *                 before any, {@code END-OF-MESSAGE} after a message's final dot)
     * @param error    what the connection's failure said, for {@code lost}; else {@code ""}
     */
    record Disconnect(String client, String helo, String commands, String end, String after, String error,
                      int messages, int recipientsAccepted, int recipientsRejected, int errors, long durationMillis,
                      boolean tls) implements MailEvent {
        public String event() {
            return "disconnect";
        }

        public String daemon() {
            return "smtpd";
        }
    }

    /**
     * One recipient's result in one delivery attempt ({@code smtp}).
     *
     * @param relay         the server that answered, {@code name[addr]:port}, or {@code none}
     * @param status        {@code sent}, {@code deferred} or {@code bounced}
     * @param reply         the server's reply, or Gatehouse's own when no server gave one
     * @param delay         since the message arrived
     * @param beforeAttempt from the message's arrival to the start of this attempt
     * @param inAttempt     the attempt itself: connection, TLS and transaction together
     */
    record Delivery(String queueId, String recipient, String relay, String status, Reply reply, Duration delay,
                    Duration beforeAttempt, Duration inAttempt, int attempt) implements MailEvent {
        public String event() {
            return "delivery";
        }

        public String daemon() {
            return "smtp";
        }
    }

    /** Nothing is left to do for the message: it left the queue ({@code qmgr}). */
    record Removed(String queueId) implements MailEvent {
        public String event() {
            return "removed";
        }

        public String daemon() {
            return "qmgr";
        }
    }

    /** An administrator deleted the message from the queue ({@code postsuper}). */
    record Deleted(String queueId) implements MailEvent {
        public String event() {
            return "deleted";
        }

        public String daemon() {
            return "postsuper";
        }
    }

    /**
     * A delivery status notification for {@code queueId}'s failed recipients (or, {@code action}
     * "relayed", its recipients relayed to a server without DSN, RFC 3461 6.2.3) was queued as
     * {@code dsnQueueId}, to {@code recipient} (the original sender) ({@code bounce}).
     *
     * @param failed the recipients reported, whatever the action
     * @param action "failed" or "relayed"
     */
    record Dsn(String queueId, String dsnQueueId, String recipient, int failed, long size, String messageId,
               String action) implements MailEvent {

        public Dsn(String queueId, String dsnQueueId, String recipient, int failed, long size, String messageId) {
            this(queueId, dsnQueueId, recipient, failed, size, messageId, "failed");
        }

        public String event() {
            return "dsn";
        }

        public String daemon() {
            return "bounce";
        }
    }

    /** The delivery agent could not connect to {@code relay} ({@code smtp}: {@code connect to ...}). */
    record ConnectFailed(String queueId, String relay, String error) implements MailEvent {
        public String event() {
            return "connect_failed";
        }

        public String daemon() {
            return "smtp";
        }
    }
}
