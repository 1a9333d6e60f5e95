package net.gatehouse.smtp.protocol;

import java.net.IDN;
import java.util.Locale;

/**
 * A mailbox from an SMTP path: {@code local-part@domain} as the client wrote it.
 *
 * <p>The local part keeps its case and quoting (RFC 5321 2.4: only the destination may interpret
 * it). The domain is compared in its ASCII form, lower-cased, with IDN labels in punycode, so that
 * {@code Example.COM} and {@code exämple.com}/{@code xn--exmple-cua.com} each match one protected
 * domain and no case or encoding variant slips past relay control.
 *
 * @param localPart the local part, without quotes when it was quoted; {@code postmaster} when the
 *                  client wrote the bare {@code <postmaster>} (then {@code domain} is empty)
 * @param domain    the domain or address literal ({@code [192.0.2.1]}) exactly as written
 * @param quoted    whether the local part was a quoted string
 */
public record MailboxAddress(String localPart, String domain, boolean quoted) {

    /** The bare {@code <postmaster>} recipient of RFC 5321 4.5.1, which has no domain. */
    public static final MailboxAddress BARE_POSTMASTER = new MailboxAddress("postmaster", "", false);

    public static MailboxAddress of(String localPart, String domain) {
        return new MailboxAddress(localPart, domain, false);
    }

    /** The domain as compared: ASCII (punycode), lower case; the literal itself for address literals. */
    public String asciiDomain() {
        return asciiDomain(domain);
    }

    /** Converts a domain to the form used for comparisons; unconvertible input is only lower-cased. */
    public static String asciiDomain(String domain) {
        if (domain.startsWith("[") || isAscii(domain)) {
            // IDN.toASCII leaves an ASCII name as it is (or refuses it, and then it is only
            // lower-cased below): skip its label-by-label work on the RCPT path.
            return domain.toLowerCase(Locale.ROOT);
        }
        try {
            return IDN.toASCII(domain, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException notIdn) {
            return domain.toLowerCase(Locale.ROOT);
        }
    }

    public boolean isAddressLiteral() {
        return domain.startsWith("[");
    }

    public boolean isBarePostmaster() {
        return domain.isEmpty();
    }

    /** Whether local part or domain has characters beyond ASCII (RFC 6531 SMTPUTF8). */
    public boolean isInternational() {
        return !isAscii(localPart) || !isAscii(domain);
    }

    /** The address as written in a path, quoting the local part when needed. */
    public String address() {
        if (domain.isEmpty()) {
            return localPart;
        }
        return (quoted ? quote(localPart) : localPart) + "@" + domain;
    }

    /** The address in angle brackets, as in {@code RCPT TO:<...>}. */
    public String path() {
        return "<" + address() + ">";
    }

    @Override
    public String toString() {
        return address();
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.append('"').toString();
    }

    static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
