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
import net.gatehouse.smtp.protocol.MessageIdFinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a message's sender which recipients failed for good: builds the delivery status
 * notification ({@link DeliveryStatusNotification}) and writes it to the spool as a message of
 * its own, from the null sender, for the scheduler to deliver. Never to the null sender (RFC 5321
 * 6.1), so that DSNs cannot loop.
 */
final class DsnWriter {

    /** The delivery agent's logger: the name its lines have always had in the JSON log. */
    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);
    /** The original's header section goes into the DSN's third part up to this size. */
    private static final int MAX_HEADER_BYTES_IN_DSN = 64 * 1024;

    private final Spool spool;
    private final String hostname;
    private final Clock clock;

    DsnWriter(Spool spool, String hostname, Clock clock) {
        this.spool = spool;
        this.hostname = hostname;
        this.clock = clock;
    }

    /**
     * Queues the DSN for {@code failures} of {@code message}: durable when this returns.
     *
     * @return the DSN as spooled, to be scheduled; empty when the sender is the null sender
     */
    Optional<SpooledMessage> write(SpooledMessage message, List<DeliveryStatusNotification.Failure> failures)
            throws IOException {
        Envelope original = message.envelope();
        if (original.hasNullSender()) {
            log.info("queue_id={} dsn_suppressed reason=null_sender", message.id());
            return Optional.empty();
        }
        byte[] dsn = DeliveryStatusNotification.build(hostname, original, failures, originalHeaders(message),
                ZonedDateTime.now(clock));
        QueueId dsnId = QueueId.next(clock.millis());
        Envelope envelope = new Envelope(dsnId, clock.instant(), "127.0.0.1", hostname, "<>",
                List.of(original.sender()), original.smtpUtf8());
        SpooledMessage queued;
        try (Spool.Writer writer = spool.begin(envelope)) {
            writer.content().write(dsn);
            queued = writer.commit();
        }
        new MailEvent.Dsn(message.id().value(), dsnId.value(), Envelope.address(original.sender()), failures.size(),
                queued.contentLength(), messageId(dsn)).logTo(log);
        return Optional.of(queued);
    }

    private static String messageId(byte[] message) {
        MessageIdFinder finder = new MessageIdFinder();
        finder.feed(message, 0, message.length);
        return finder.messageId();
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
