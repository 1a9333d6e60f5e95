package net.gatehouse.policy;

import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import net.gatehouse.smtp.protocol.MailboxAddress;

/**
 * A protected domain's list of valid recipients: addresses matched case-insensitively, and
 * {@code @domain} entries that accept the whole domain.
 */
public final class ValidRecipients {

    public static final ValidRecipients EMPTY = new ValidRecipients(Set.of());

    private final Set<String> addresses;
    private final Set<String> wholeDomains;

    private ValidRecipients(Collection<String> entries) {
        Set<String> exact = new HashSet<>();
        Set<String> domains = new HashSet<>();
        for (String entry : entries) {
            String lower = entry.trim().toLowerCase(Locale.ROOT);
            int at = lower.lastIndexOf('@');
            if (at == 0) {
                domains.add(MailboxAddress.asciiDomain(lower.substring(1)));
            } else if (at > 0) {
                exact.add(lower.substring(0, at) + "@" + MailboxAddress.asciiDomain(lower.substring(at + 1)));
            }
        }
        this.addresses = Set.copyOf(exact);
        this.wholeDomains = Set.copyOf(domains);
    }

    public static ValidRecipients of(Collection<String> entries) {
        return entries.isEmpty() ? EMPTY : new ValidRecipients(entries);
    }

    public boolean contains(MailboxAddress address) {
        String domain = address.asciiDomain();
        return wholeDomains.contains(domain)
                || addresses.contains(address.localPart().toLowerCase(Locale.ROOT) + "@" + domain);
    }

    public int size() {
        return addresses.size() + wholeDomains.size();
    }
}
