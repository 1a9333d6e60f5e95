package net.gatehouse.smtp.server;

import java.io.IOException;
import net.gatehouse.config.SmtpConfig;
import net.gatehouse.config.SmtpConfig.BareLineEndings;
import net.gatehouse.log.MailEvent;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.queue.SpooledMessage;
import net.gatehouse.smtp.protocol.DataReader;
import net.gatehouse.smtp.protocol.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The final dot of a session's messages: whether what the client sent may be queued, and if so the
 * commit that makes it durable before the 250 is sent. The data is read to its end whatever it
 * holds, so a refusal here is a clean reply at the dot rather than a broken connection; the spool
 * file of a refused message is never committed. One per session, counting the messages it queued.
 */
final class EndOfMessage {

    /** The session's logger, so that queued and reject lines keep the logger name administrators filter on. */
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    private final SessionContext context;
    private final SmtpConfig config;
    private int queued;

    EndOfMessage(SessionContext context) {
        this.context = context;
        this.config = context.config();
    }

    /** Refuses or queues the message {@code reader} has just read into {@code writer}; returns the reply to the dot. */
    Reply finish(Spool.Writer writer, DataReader reader, SpoolSink sink, Envelope envelope, boolean extended,
            boolean tls) {
        QueueId id = envelope.id();
        if (reader.sizeExceeded()) {
            refused(envelope, extended, Reply.MESSAGE_TOO_BIG, "size", "the message has " + reader.size()
                    + " bytes, more than smtp.max_message_size (" + config.maxMessageSize() + ")");
            context.metrics().messageRefused("size");
            return Reply.MESSAGE_TOO_BIG;
        }
        if (reader.sawBareLineEnding() && config.bareLineEndings() == BareLineEndings.REJECT) {
            refused(envelope, extended, Reply.BARE_LINE_ENDING, "bare_line_ending",
                    "a bare CR or LF in the data, and smtp.bare_line_endings is reject");
            context.metrics().messageRefused("bare_line_ending");
            return Reply.BARE_LINE_ENDING;
        }
        if (reader.sawLongLine()) {
            refused(envelope, extended, Reply.DATA_LINE_TOO_LONG, "line_too_long", "a line of the data is longer than "
                    + DataReader.MAX_LINE_OCTETS + " octets (RFC 5322 2.1.1)");
            context.metrics().messageRefused("line_too_long");
            return Reply.DATA_LINE_TOO_LONG;
        }
        if (sink.failure() != null) {
            log.error("queue_id={} spool_write_failed error=\"{}\"", id, sink.failure().getMessage());
            context.metrics().messageRefused("spool_write");
            return Reply.INSUFFICIENT_STORAGE;
        }
        SpooledMessage message;
        try {
            message = writer.commit();
        } catch (IOException e) {
            log.error("queue_id={} spool_commit_failed error=\"{}\"", id, e.getMessage());
            context.metrics().messageRefused("spool_write");
            return Reply.INSUFFICIENT_STORAGE;
        }
        queued++;
        context.metrics().messageAccepted(message.contentLength());
        new MailEvent.Queued(id.value(), envelope.client(), envelope.helo(), Envelope.address(envelope.sender()),
                envelope.recipients().stream().map(Envelope::address).toList(), message.contentLength(),
                sink.messageId(), tls, reader.sawBareLineEnding()).logTo(log);
        context.onQueued().accept(message);
        return Reply.queued(id.value());
    }

    /** A message refused at its final dot; as Postfix, the line names its first recipient. */
    private static void refused(Envelope envelope, boolean extended, Reply reply, String reason, String why) {
        new MailEvent.Reject(envelope.id().value(), "END-OF-MESSAGE", envelope.client(), envelope.helo(), extended,
                Envelope.address(envelope.sender()), Envelope.address(envelope.recipients().getFirst()), reply, reason, why)
                .logTo(log);
    }

    /** Messages queued in this session so far, for its disconnect line. */
    int queued() {
        return queued;
    }
}
