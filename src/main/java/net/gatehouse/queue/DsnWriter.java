package net.gatehouse.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.gatehouse.log.MailEvent;
import net.gatehouse.smtp.protocol.MailDsn;
import net.gatehouse.smtp.protocol.MessageIdFinder;
import net.gatehouse.smtp.protocol.RcptDsn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a message's sender which recipients failed for good, or were relayed when the sender asked
 * to hear of success: builds the delivery status notification ({@link DeliveryStatusNotification})
 * and writes it to the spool as a message of its own, from the null sender, for the scheduler to
 * deliver. Never to the null sender (RFC 5321 6.1), so that DSNs cannot loop.
 *
 * <p>What the sender asked for decides (RFC 3461 4.1): a recipient with NOTIFY=NEVER is never
 * reported, one whose NOTIFY lacks FAILURE never as failed, and one is reported as relayed only
 * with NOTIFY=SUCCESS. RET=FULL returns the whole message in a failure report when it is at most
 * {@value #MAX_MESSAGE_BYTES_IN_DSN} octets, its header section otherwise, as every other report.
 */
final class DsnWriter {

    /** The delivery agent's logger: the name its lines have always had in the JSON log. */
    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);
    /** The original's header section goes into the DSN's third part up to this size. */
    private static final int MAX_HEADER_BYTES_IN_DSN = 64 * 1024;
    /** RET=FULL: larger messages are returned as their header section (Postfix's bounce_size_limit is 50 000). */
    static final int MAX_MESSAGE_BYTES_IN_DSN = 1024 * 1024;

    private final Spool spool;
    private final String hostname;
    private final Clock clock;

    DsnWriter(Spool spool, String hostname, Clock clock) {
        this.spool = spool;
        this.hostname = hostname;
        this.clock = clock;
    }

    /**
     * Queues the non-delivery report for {@code failures} of {@code message}, those the sender did
     * not ask to hear nothing of: durable when this returns.
     *
     * @return the DSN as spooled, to be scheduled; empty when the sender is the null sender or no
     *         recipient is to be reported
     */
    Optional<SpooledMessage> write(SpooledMessage message, List<DeliveryStatusNotification.Failure> failures)
            throws IOException {
        return write(message, DeliveryStatusNotification.Action.FAILED, failures);
    }

    /**
     * Queues the report of {@code action} for {@code recipients} of {@code message}, keeping only the
     * recipients whose NOTIFY asks for it: durable when this returns.
     *
     * @return the DSN as spooled, to be scheduled; empty when none is sent
     */
    Optional<SpooledMessage> write(SpooledMessage message, DeliveryStatusNotification.Action action,
                                   List<DeliveryStatusNotification.Failure> recipients) throws IOException {
        Envelope original = message.envelope();
        List<DeliveryStatusNotification.Failure> reported = recipients.stream()
                .filter(r -> wanted(original.dsn(r.recipient()), action)).toList();
        if (reported.isEmpty()) {
            if (action == DeliveryStatusNotification.Action.FAILED && !recipients.isEmpty()) {
                log.info("queue_id={} dsn_suppressed reason=notify recipients={}", message.id(), recipients.size());
            }
            return Optional.empty();
        }
        if (original.hasNullSender()) {
            log.info("queue_id={} dsn_suppressed reason=null_sender", message.id());
            return Optional.empty();
        }
        boolean whole = action == DeliveryStatusNotification.Action.FAILED
                && original.dsn().ret().equals(Optional.of(MailDsn.Ret.FULL))
                && message.contentLength() <= MAX_MESSAGE_BYTES_IN_DSN;
        DeliveryStatusNotification.Returned returned = new DeliveryStatusNotification.Returned(
                whole ? wholeMessage(message) : originalHeaders(message), whole);
        byte[] dsn = DeliveryStatusNotification.build(hostname, original, action, reported, returned,
                ZonedDateTime.now(clock));
        QueueId dsnId = QueueId.next(clock.millis());
        Envelope envelope = new Envelope(dsnId, clock.instant(), "127.0.0.1", hostname, "<>",
                List.of(original.sender()), original.smtpUtf8());
        SpooledMessage queued;
        try (Spool.Writer writer = spool.begin(envelope)) {
            writer.content().write(dsn);
            queued = writer.commit();
        }
        new MailEvent.Dsn(message.id().value(), dsnId.value(), Envelope.address(original.sender()), reported.size(),
                queued.contentLength(), messageId(dsn), action.word()).logTo(log);
        return Optional.of(queued);
    }

    /** RFC 3461 4.1: whether the sender asked for a report of {@code action} about this recipient. */
    private static boolean wanted(RcptDsn dsn, DeliveryStatusNotification.Action action) {
        return switch (action) {
            case FAILED -> dsn.wantsFailure();
            case RELAYED -> dsn.wantsSuccess();
        };
    }

    private static String messageId(byte[] message) {
        MessageIdFinder finder = new MessageIdFinder();
        finder.feed(message, 0, message.length);
        return finder.messageId();
    }

    /** The original message as received, for RET=FULL. */
    private static byte[] wholeMessage(SpooledMessage message) throws IOException {
        try (InputStream in = Files.newInputStream(message.file())) {
            in.skipNBytes(message.contentOffset());
            return in.readNBytes((int) message.contentLength());
        }
    }

    /** The original message's header section, for the third part of the DSN. */
    private static byte[] originalHeaders(SpooledMessage message) throws IOException {
        try (InputStream in = Files.newInputStream(message.file())) {
            in.skipNBytes(message.contentOffset());
            byte[] head = in.readNBytes((int) Math.min(message.contentLength(), MAX_HEADER_BYTES_IN_DSN));
            for (int i = 0; i + 3 < head.length; i++) {
                if (head[i] == '\r' && head[i + 1] == '\n' && head[i + 2] == '\r' && head[i + 3] == '\n') {
                    return Arrays.copyOf(head, i + 2);
                }
            }
            return head;
        }
    }
}
