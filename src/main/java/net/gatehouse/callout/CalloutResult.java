package net.gatehouse.callout;

import net.gatehouse.smtp.protocol.Reply;

/**
 * What Gatehouse found out about one recipient by asking the domain's back-end (SPEC §3). The
 * policy turns it into the client's reply; nothing here is ever sent to an SMTP client, so reasons
 * may name back-end hosts and quote their replies, for the logs and {@code gatehouse check}.
 *
 * <p>Each result also says {@link #how()} it was obtained: "probe to backend 1 of 2
 * (mail1.internal:25), 4 ms", "cache hit (age 3 min)", "shared a probe in flight: ...", "held down
 * after a temporary failure 12 s ago".
 */
public sealed interface CalloutResult {

    String how();

    /**
     * The back-end accepted {@code RCPT TO} for the address.
     *
     * @param backendReply its reply as received ({@code 250 2.1.5 Ok}), for administrators only;
     *                     empty when not known (a verdict cached by an older version)
     */
    record Accepted(String how, String backendReply) implements CalloutResult {

        public Accepted(String how) {
            this(how, "");
        }
    }

    /**
     * The back-end refused the address permanently.
     *
     * @param backendReply its 5xx, for logs only
     */
    record Rejected(Reply backendReply, String how) implements CalloutResult {
    }

    /**
     * No answer to rely on now: a 4xx, no back-end reachable, the connection dropped, or no answer
     * within the budget. The client is asked to try again later.
     */
    record TemporaryFailure(String reason, String how) implements CalloutResult {
    }

    /**
     * The domain's back-end accepts addresses that cannot exist (a catch-all), so its answer proves
     * nothing: the address is neither confirmed nor refused.
     */
    record Unverifiable(String reason, String how) implements CalloutResult {
    }

    /** The same finding, obtained another way: from the cache, or from another caller's probe. */
    default CalloutResult withHow(String how) {
        return switch (this) {
            case Accepted accepted -> new Accepted(how, accepted.backendReply());
            case Rejected rejected -> new Rejected(rejected.backendReply(), how);
            case TemporaryFailure failure -> new TemporaryFailure(failure.reason(), how);
            case Unverifiable unverifiable -> new Unverifiable(unverifiable.reason(), how);
        };
    }
}
