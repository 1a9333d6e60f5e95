package net.gatehouse.policy;

import java.util.List;
import net.gatehouse.smtp.protocol.Reply;

/**
 * The answer to one RCPT TO: the reason, which carries the reply the client gets, and the chain of
 * steps behind it, in the order they were considered (printed by {@code gatehouse check} and
 * written to the log).
 *
 * @param recipient the address that will be delivered to: the RCPT address, or
 *                  {@code postmaster@<first protected domain>} for the bare {@code <postmaster>}
 */
public record Verdict(Reason reason, String recipient, List<String> chain) {

    public Verdict {
        chain = List.copyOf(chain);
    }

    public Reply reply() {
        return reason.reply();
    }

    public enum Kind { ACCEPT, TEMPORARY, PERMANENT }

    public Kind kind() {
        if (reply().isPositive()) {
            return Kind.ACCEPT;
        }
        return reply().isTransientFailure() ? Kind.TEMPORARY : Kind.PERMANENT;
    }

    /** {@code accept}, {@code tempfail} or {@code reject}: the word in metrics and the message log. */
    public String word() {
        return switch (kind()) {
            case ACCEPT -> "accept";
            case TEMPORARY -> "tempfail";
            case PERMANENT -> "reject";
        };
    }

    public boolean accepted() {
        return reply().isPositive();
    }

    /** The recipient does not exist: what directory-harvest protection counts. */
    public boolean unknownRecipient() {
        return reason.unknownRecipient();
    }
}
