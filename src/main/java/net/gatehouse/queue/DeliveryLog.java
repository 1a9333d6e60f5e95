package net.gatehouse.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import net.gatehouse.log.LogEntry;
import net.gatehouse.log.MailEvent;
import net.gatehouse.log.MessageSink;
import net.gatehouse.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What became of one recipient in one attempt, told to the three that keep count of it: the mail
 * log (Postfix's {@code smtp} line: {@code to=, relay=, delay=, delays=, dsn=, status=}), the
 * message log (the console's search) and the metrics.
 */
final class DeliveryLog {

    /** The delivery agent's logger: the name its lines have always had in the JSON log. */
    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);

    private final GatewayMetrics metrics;
    private final MessageSink messageLog;
    private final Clock clock;

    DeliveryLog(GatewayMetrics metrics, MessageSink messageLog, Clock clock) {
        this.metrics = metrics;
        this.messageLog = messageLog;
        this.clock = clock;
    }

    /** @param started when the attempt began, for the log's delays */
    void record(SpooledMessage message, String recipient, Outcome outcome, int attempt, Instant started) {
        String result = switch (outcome.kind()) {
            case DELIVERED -> "sent";
            case DEFERRED -> "deferred";
            case FAILED -> "bounced";
        };
        metrics.delivery(result);
        Envelope envelope = message.envelope();
        messageLog.record(new LogEntry(clock.instant(), LogEntry.Kind.DELIVERY, envelope.client(), envelope.helo(),
                envelope.sender(), recipient, result, outcome.relay(), outcome.reply().toString(), message.id().value()));
        Instant now = clock.instant();
        new MailEvent.Delivery(message.id().value(), Envelope.address(recipient), outcome.relay(), result, outcome.reply(),
                Duration.between(envelope.received(), now), Duration.between(envelope.received(), started),
                Duration.between(started, now), attempt).logTo(log);
    }
}
