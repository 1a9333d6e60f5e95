package net.gatehouse.smtp.server;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.gatehouse.log.LogEntry;
import net.gatehouse.log.MailEvent;
import net.gatehouse.policy.HarvestGuard;
import net.gatehouse.policy.Policy;
import net.gatehouse.policy.Verdict;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.QueueId;
import net.gatehouse.smtp.protocol.Command;
import net.gatehouse.smtp.protocol.MailPath;
import net.gatehouse.smtp.protocol.RcptDsn;
import net.gatehouse.smtp.protocol.ReceivedHeader;
import net.gatehouse.smtp.protocol.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recipients of the mail transaction in progress, and how an RCPT earns its place among them:
 * the max_recipients limit, the policy's verdict, the message log's entry, and the harvest guard's
 * count of unknown recipients. One per session; {@link #clear} starts the next transaction, while
 * the accepted and rejected totals run for the whole session, for its disconnect line.
 *
 * <p>Most refusals are sent here rather than returned, because a policy refusal is an answer and
 * not a protocol error: only what {@link #rcpt} returns goes through the session's error count.
 */
final class TransactionRecipients {

    /** The session's logger, so that reject and harvest lines keep the logger name administrators filter on. */
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);
    /** Postfix's smtpd_recipient_overshoot_limit: 452s past max_recipients before they count as errors. */
    static final int RECIPIENT_OVERSHOOT_LIMIT = 1000;

    /** The session's side of the wire; its output stream changes at STARTTLS, so it is asked each time. */
    interface Replies {
        void send(Reply reply) throws IOException;

        void flush() throws IOException;
    }

    private final SessionContext context;
    private final InetAddress client;
    private final String clientAddress;
    private final Replies replies;

    /**
     * Accepted recipients, in the order given, each once, with the DSN parameters of its first RCPT
     * (a second RCPT of the same address is answered as the first, and changes nothing).
     */
    private final Map<String, RcptDsn> recipients = new LinkedHashMap<>();
    /** Recipients accepted in this transaction: refused ones do not count (as Postfix's smtpd_recipient_limit). */
    private int recipientsInMessage;
    /** RCPTs past max_recipients in this transaction: answered 452, counted as errors only beyond the limit. */
    private int recipientOvershoot;
    private int accepted;
    private int rejected;

    TransactionRecipients(SessionContext context, InetAddress client, Replies replies) {
        this.context = context;
        this.client = client;
        this.clientAddress = client.getHostAddress();
        this.replies = replies;
    }

    /**
     * Answers the RCPT of a transaction opened by {@code mail}: returns the reply to send (counted
     * as an error by the session unless positive or closing), or null when the reply was sent here.
     * {@code queueId} is the one given at MAIL, so that the log of every RCPT carries it; {@code dsn}
     * the RCPT's NOTIFY and ORCPT, kept with the recipient.
     */
    Reply rcpt(Command.Mail mail, Policy policy, QueueId queueId, String helo, boolean extended, MailPath recipient,
               RcptDsn dsn) throws IOException {
        if (recipientsInMessage >= context.config().maxRecipients()) {
            context.metrics().recipient("tempfail", "max_recipients");
            // RFC 5321 4.5.3.1.8: the client sends the rest later. Not an error of the client's, as
            // in Postfix, until the overshoot is absurd (smtpd_recipient_overshoot_limit).
            if (++recipientOvershoot > RECIPIENT_OVERSHOOT_LIMIT) {
                return Reply.TOO_MANY_RECIPIENTS;
            }
            replies.send(Reply.TOO_MANY_RECIPIENTS);
            return null;
        }
        Verdict verdict = context.recipientPolicy().decide(policy, client, recipient);
        context.metrics().recipient(verdict.word(), verdict.reason().word());
        String printableHelo = ReceivedHeader.printable(helo);
        // Handed to the log's writer thread; never waited for (DESIGN: nothing on the RCPT path blocks).
        context.messageLog().record(new LogEntry(context.clock().instant(), LogEntry.Kind.RCPT, clientAddress,
                printableHelo, mail.sender().toString(), recipient.toString(), verdict.word(),
                verdict.reason().word(), verdict.reply().toString(), queueId.value()));
        if (verdict.observed()) {
            // Observe mode: Postfix's warn_if_reject line, with the refusal the client would have got.
            new MailEvent.Reject(null, "RCPT", clientAddress, printableHelo, extended,
                    Envelope.address(mail.sender().toString()), Envelope.address(recipient.toString()),
                    verdict.reasonReply(), verdict.reason().word(), verdict.chain().getLast(), true).logTo(log);
        }
        if (verdict.accepted()) {
            accepted++;
            recipientsInMessage++;
            recipients.putIfAbsent("<" + verdict.recipient() + ">", dsn);
            return verdict.reply();
        }
        rejected++;
        String sender = Envelope.address(mail.sender().toString());
        String address = Envelope.address(recipient.toString());
        if (verdict.unknownRecipient()) {
            switch (context.harvest().unknownRecipient(client)) {
                case HarvestGuard.Decision.Proceed proceed -> { }
                case HarvestGuard.Decision.Tarpit tarpit -> tarpit(tarpit.delay());
                case HarvestGuard.Decision.Block block -> {
                    new MailEvent.Reject(null, "RCPT", clientAddress, printableHelo, extended, sender, address,
                            Reply.HARVEST_BLOCKED, "harvest_block", "too many unknown recipients from this client, "
                            + verdict.chain().getLast()).logTo(log);
                    new MailEvent.HarvestBlock(clientAddress, printableHelo, block.until()).logTo(log);
                    return Reply.HARVEST_BLOCKED;
                }
            }
        }
        new MailEvent.Reject(null, "RCPT", clientAddress, printableHelo, extended, sender, address, verdict.reply(),
                verdict.reason().word(), verdict.chain().getLast()).logTo(log);
        // Policy refusals are answers, not protocol errors: the error limit does not count them.
        replies.send(verdict.reply());
        return null;
    }

    /** Slows a harvesting client down: its virtual thread sleeps, costing us next to nothing. */
    private void tarpit(Duration delay) throws IOException {
        replies.flush();
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted in tarpit", e);
        }
    }

    /** The accepted recipients of this transaction, in the order given, each once, as {@code <address>}. */
    List<String> list() {
        return List.copyOf(recipients.keySet());
    }

    /** The DSN parameters of the accepted recipients that had any, by recipient as {@link #list} gives it. */
    Map<String, RcptDsn> dsn() {
        Map<String, RcptDsn> given = new LinkedHashMap<>();
        recipients.forEach((recipient, dsn) -> {
            if (!dsn.isEmpty()) {
                given.put(recipient, dsn);
            }
        });
        return given;
    }

    boolean isEmpty() {
        return recipients.isEmpty();
    }

    /** Ends the transaction (RSET, HELO, STARTTLS, the end of DATA); the session's totals stay. */
    void clear() {
        recipients.clear();
        recipientsInMessage = 0;
        recipientOvershoot = 0;
    }

    int accepted() {
        return accepted;
    }

    int rejected() {
        return rejected;
    }
}
