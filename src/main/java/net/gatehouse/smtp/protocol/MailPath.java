package net.gatehouse.smtp.protocol;

import java.util.Optional;

/**
 * A reverse-path or forward-path of RFC 5321 4.1.2: a mailbox, possibly behind an obsolete source
 * route ({@code <@relay.example:user@example.com>}), or the null reverse-path {@code <>}.
 *
 * @param mailbox     empty for the null reverse-path
 * @param sourceRoute the route before the colon, without it, or empty; kept so that relay control
 *                    can refuse routing tricks instead of silently ignoring them
 */
public record MailPath(Optional<MailboxAddress> mailbox, String sourceRoute) {

    public static final MailPath NULL = new MailPath(Optional.empty(), "");

    public static MailPath of(MailboxAddress mailbox) {
        return new MailPath(Optional.of(mailbox), "");
    }

    public boolean isNull() {
        return mailbox.isEmpty();
    }

    public boolean hasSourceRoute() {
        return !sourceRoute.isEmpty();
    }

    /** {@code <>} or {@code <local@domain>}, without the source route. */
    @Override
    public String toString() {
        return mailbox.map(MailboxAddress::path).orElse("<>");
    }
}
