package net.gatehouse.policy;

import java.util.Optional;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.protocol.MailPath;
import net.gatehouse.smtp.protocol.MailboxAddress;

/**
 * Never an open relay: for a client outside the trusted networks, a recipient is acceptable only
 * when it is plainly a mailbox of a protected domain. Like Postfix with
 * {@code allow_untrusted_routing = no}, addresses that ask the next server to route further are
 * refused, because a back-end that honours them would relay for the world:
 * <ul>
 * <li>{@code user%other.example@protected} (the percent hack),</li>
 * <li>{@code "user@other.example"@protected} and {@code user@other.example@protected},</li>
 * <li>{@code other.example!user@protected} (bang paths),</li>
 * <li>{@code <@protected:user@other.example>} (source routes, RFC 5321 appendix C).</li>
 * </ul>
 * A trailing dot, an address literal or an encoding variant of a domain never matches a protected
 * domain by accident: domains are compared in their ASCII form exactly.
 */
final class RelayControl {

    private RelayControl() {
    }

    /** Why an untrusted client may not send to this recipient, or empty when it may. */
    static Optional<String> refusal(MailPath recipient, Optional<ProtectedDomain> domain) {
        MailboxAddress mailbox = recipient.mailbox().orElseThrow();
        if (recipient.hasSourceRoute()) {
            return Optional.of("source route " + recipient.sourceRoute() + " (routing through us is not allowed)");
        }
        if (domain.isEmpty()) {
            return Optional.of("recipient domain " + mailbox.domain() + " is not protected and client is not trusted");
        }
        String local = mailbox.localPart();
        for (char routing : new char[] {'%', '!', '@'}) {
            if (local.indexOf(routing) >= 0) {
                return Optional.of("local part contains '" + routing + "' (a routing trick for the back-end)");
            }
        }
        return Optional.empty();
    }
}
