package net.gatehouse.directory;

import java.util.Locale;
import java.util.Optional;
import net.gatehouse.smtp.protocol.MailboxAddress;

/**
 * The address in one value of a directory attribute, as Active Directory and OpenLDAP write them:
 *
 * <ul>
 *   <li>{@code proxyAddresses}: {@code type:address}; only the type {@code smtp} counts, in any case
 *       ({@code SMTP:} marks the primary address, {@code smtp:} the others); {@code x500:},
 *       {@code sip:}, {@code x400:} and the rest are not mail addresses and are ignored;
 *   <li>{@code otherMailbox} in RFC 1274's form {@code type $ mailbox}: the types {@code internet},
 *       {@code smtp} and {@code rfc822} count;
 *   <li>every other attribute ({@code mail}, {@code mailAlternativeAddress}, Active Directory's
 *       {@code otherMailbox}): a plain address; an {@code smtp:} prefix is tolerated.
 * </ul>
 *
 * The result is in stored form, as valid lists keep it: lower case, the domain in ASCII. A value
 * that is not an address gives nothing.
 */
final class AddressValues {

    private static final int MAX_LOCAL_PART = 64; // RFC 5321 4.5.3.1.1

    private AddressValues() {
    }

    static Optional<String> address(String attribute, String value) {
        String text = value.strip();
        if (attribute.equalsIgnoreCase("proxyAddresses")) {
            int colon = text.indexOf(':');
            if (colon < 0 || !text.substring(0, colon).equalsIgnoreCase("smtp")) {
                return Optional.empty();
            }
            return normalize(text.substring(colon + 1));
        }
        int dollar = text.indexOf('$');
        if (dollar >= 0) {
            String type = text.substring(0, dollar).strip().toLowerCase(Locale.ROOT);
            if (!type.equals("internet") && !type.equals("smtp") && !type.equals("rfc822")) {
                return Optional.empty();
            }
            return normalize(text.substring(dollar + 1));
        }
        if (text.regionMatches(true, 0, "smtp:", 0, 5)) {
            text = text.substring(5);
        }
        return normalize(text);
    }

    private static Optional<String> normalize(String text) {
        String address = text.strip();
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1 || at > MAX_LOCAL_PART
                || address.chars().anyMatch(c -> c <= ' ' || c == 0x7f || c == '<' || c == '>')) {
            return Optional.empty();
        }
        try {
            return Optional.of(address.substring(0, at).toLowerCase(Locale.ROOT) + "@"
                    + MailboxAddress.asciiDomain(address.substring(at + 1).toLowerCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // a domain that is no domain name
        }
    }
}
