package net.gatehouse.queue;

import java.util.Optional;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.route.Routes;
import net.gatehouse.smtp.protocol.MailboxAddress;

/**
 * Where a recipient's mail goes: the back-end servers of a protected domain, or the mail
 * exchangers of any other domain (outbound mail from trusted hosts, and DSNs).
 *
 * @param key the unit of connection reuse and concurrency limits
 */
record Destination(String key, Optional<ProtectedDomain> backend, String domain) {

    /** Routes a recipient path ({@code <user@domain>}) by the current routes (the policy). */
    static Destination of(String recipientPath, Routes routes) {
        String address = recipientPath.startsWith("<") && recipientPath.endsWith(">")
                ? recipientPath.substring(1, recipientPath.length() - 1) : recipientPath;
        String domain = MailboxAddress.asciiDomain(address.substring(address.lastIndexOf('@') + 1));
        if (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        Optional<ProtectedDomain> backend = routes.domain(domain);
        return new Destination(backend.isPresent() ? "backend:" + domain : "mx:" + domain, backend, domain);
    }

    boolean isBackend() {
        return backend.isPresent();
    }

    boolean isAddressLiteral() {
        return domain.startsWith("[");
    }
}
