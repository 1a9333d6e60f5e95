package net.gatehouse.smtp.client;

import java.util.List;
import java.util.Objects;
import net.gatehouse.smtp.protocol.Reply;

/**
 * What the server answered to one mail transaction of {@link SmtpClient#send}.
 *
 * <p>A reply the client synthesized instead of sending a command is one of
 * {@link SmtpClient#SMTPUTF8_UNAVAILABLE} and {@link Reply#NO_VALID_RECIPIENTS}. When the server
 * closed the session with {@code 421} (RFC 5321 3.8), that 421 stands for every reply that did not
 * come; {@link SmtpClient#isUsable()} is then false.
 *
 * @param mail       the reply to {@code MAIL FROM}; {@link SmtpClient#SMTPUTF8_UNAVAILABLE} when no
 *                   address could be sent for want of SMTPUTF8, and nothing was
 * @param recipients one reply per recipient, in the order given to {@code send}: the reply to its
 *                   {@code RCPT TO}, the {@code mail} reply when MAIL was refused, or
 *                   {@link SmtpClient#SMTPUTF8_UNAVAILABLE} for an address not sent
 * @param data       the reply after the final dot; or the refusal of the {@code DATA} command; or
 *                   {@link Reply#NO_VALID_RECIPIENTS} when no recipient was accepted and no content sent
 */
public record TransactionResult(Reply mail, List<Reply> recipients, Reply data) {

    public TransactionResult {
        Objects.requireNonNull(mail, "mail");
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(data, "data");
    }

    /** Whether the server took responsibility for recipient {@code index}: its RCPT and the final reply were 2xx. */
    public boolean delivered(int index) {
        return isCompletion(recipients.get(index)) && isCompletion(data);
    }

    /** The reply that decides recipient {@code index}: its RCPT reply if that failed, else the data reply. */
    public Reply outcome(int index) {
        Reply recipient = recipients.get(index);
        return isCompletion(recipient) ? data : recipient;
    }

    private static boolean isCompletion(Reply reply) {
        return reply.code() / 100 == 2;
    }
}
