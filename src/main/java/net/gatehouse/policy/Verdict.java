package net.gatehouse.policy;

import java.util.List;
import net.gatehouse.smtp.protocol.Reply;

/**
 * The answer to one RCPT TO: the reason, which carries the reply the client gets, and the chain of
 * steps behind it, in the order they were considered (printed by {@code gatehouse check} and
 * written to the log).
 *
 * <p>The rollout settings (SPEC §9) may change how the reason's refusal is applied: observed
 * rather than sent ({@code enforce: false}), or sent as {@code 450 4.1.1} rather than {@code 550
 * 5.1.1} ({@code unknown_recipient_reply: 450}). The reason stays what verification found, so
 * that logs and metrics say why.
 *
 * @param recipient the address that will be delivered to: the RCPT address, or
 *                  {@code postmaster@<first protected domain>} for the bare {@code <postmaster>}
 * @param applied   how the reason's reply is applied
 */
public record Verdict(Reason reason, String recipient, List<String> chain, Applied applied) {

    /** {@code 450 4.1.1}: an unknown recipient under {@code unknown_recipient_reply: 450}; Postfix's words. */
    public static final Reply UNKNOWN_RECIPIENT_TEMPORARILY =
            Reply.of(450, "4.1.1", "Recipient address rejected: User unknown");

    /** How the reason's reply reaches the client. */
    public enum Applied {
        /** The reason's own reply. */
        AS_IS,
        /** Observe mode: the refusal is only logged and counted ({@code would_reject}); the recipient is accepted. */
        OBSERVED,
        /** An unknown recipient answered {@code 450 4.1.1} rather than {@code 550 5.1.1}. */
        TEMPORARY
    }

    public Verdict {
        chain = List.copyOf(chain);
    }

    public Verdict(Reason reason, String recipient, List<String> chain) {
        this(reason, recipient, chain, Applied.AS_IS);
    }

    /** The reply the client gets. */
    public Reply reply() {
        return switch (applied) {
            case AS_IS -> reason.reply();
            case OBSERVED -> Reply.RECIPIENT_OK;
            case TEMPORARY -> UNKNOWN_RECIPIENT_TEMPORARILY;
        };
    }

    /** The reply the reason calls for: what an observed verdict would have sent. */
    public Reply reasonReply() {
        return reason.reply();
    }

    public enum Kind { ACCEPT, TEMPORARY, PERMANENT }

    public Kind kind() {
        if (reply().isPositive()) {
            return Kind.ACCEPT;
        }
        return reply().isTransientFailure() ? Kind.TEMPORARY : Kind.PERMANENT;
    }

    /**
     * {@code accept}, {@code tempfail}, {@code reject} or {@code would_reject}: the word in metrics
     * and the message log.
     */
    public String word() {
        if (applied == Applied.OBSERVED) {
            return "would_reject";
        }
        return switch (kind()) {
            case ACCEPT -> "accept";
            case TEMPORARY -> "tempfail";
            case PERMANENT -> "reject";
        };
    }

    public boolean accepted() {
        return reply().isPositive();
    }

    /** Whether the recipient was accepted only because observe mode is on. */
    public boolean observed() {
        return applied == Applied.OBSERVED;
    }

    /**
     * The recipient does not exist and was refused: what directory-harvest protection counts. An
     * observed refusal is not counted: in observe mode the administrator does not trust
     * verification's "unknown" yet, and a sender must not be slowed or blocked on it.
     */
    public boolean unknownRecipient() {
        return applied != Applied.OBSERVED && reason.unknownRecipient();
    }
}
