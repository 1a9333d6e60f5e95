package net.gatehouse.smtp.protocol;

import java.util.Optional;

/**
 * Parses the path of MAIL FROM and RCPT TO (RFC 5321 4.1.2, with RFC 6531 UTF-8 where SMTPUTF8
 * allows it). Pure, no I/O.
 *
 * <p>Deliberately lenient in two places, so that relay control sees the trick and answers
 * {@code 554 5.7.1} rather than a syntax error the client could work around: an unquoted {@code @}
 * in the local part ({@code user@other@example.com}, split at the last {@code @}) and a trailing
 * dot on the domain ({@code user@example.com.}). Everything else follows the grammar.
 */
final class PathParser {

    /** RFC 5321 4.5.3.1.3: a path is at most 256 octets including the brackets. */
    static final int MAX_PATH_LENGTH = 256;
    /** RFC 5321 4.5.3.1.2: a domain is at most 255 octets. */
    static final int MAX_DOMAIN_LENGTH = 255;

    private PathParser() {
    }

    /**
     * @param text the path with its angle brackets, e.g. {@code <alice@example.com>}
     * @return the path, or empty when it is malformed
     */
    static Optional<MailPath> parse(String text, boolean allowNull, boolean allowBarePostmaster) {
        if (text.length() < 2 || text.length() > MAX_PATH_LENGTH
                || text.charAt(0) != '<' || text.charAt(text.length() - 1) != '>') {
            return Optional.empty();
        }
        String inner = text.substring(1, text.length() - 1);
        if (inner.isEmpty()) {
            return allowNull ? Optional.of(MailPath.NULL) : Optional.empty();
        }
        String route = "";
        if (inner.charAt(0) == '@') {
            int colon = inner.indexOf(':');
            if (colon < 0 || !isSourceRoute(inner.substring(0, colon))) {
                return Optional.empty();
            }
            route = inner.substring(0, colon);
            inner = inner.substring(colon + 1);
        }
        if (allowBarePostmaster && route.isEmpty() && inner.equalsIgnoreCase("postmaster")) {
            return Optional.of(MailPath.of(MailboxAddress.BARE_POSTMASTER));
        }
        String finalRoute = route;
        return parseMailbox(inner).map(mailbox -> new MailPath(Optional.of(mailbox), finalRoute));
    }

    static Optional<MailboxAddress> parseMailbox(String text) {
        if (text.startsWith("\"")) {
            return parseQuoted(text);
        }
        int at = text.lastIndexOf('@');
        if (at <= 0 || at == text.length() - 1) {
            return Optional.empty();
        }
        String local = text.substring(0, at);
        String domain = text.substring(at + 1);
        if (!isDotString(local) || !isDomainOrLiteral(domain)) {
            return Optional.empty();
        }
        return Optional.of(new MailboxAddress(local, domain, false));
    }

    private static Optional<MailboxAddress> parseQuoted(String text) {
        StringBuilder local = new StringBuilder();
        int i = 1;
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                // RFC 5321 quoted-pairSMTP: backslash followed by any ASCII graphic or space
                if (++i >= text.length() || text.charAt(i) < 32 || text.charAt(i) > 126) {
                    return Optional.empty();
                }
                local.append(text.charAt(i));
            } else if (c == '"') {
                break;
            } else if (!isQtext(c)) {
                return Optional.empty();
            } else {
                local.append(c);
            }
        }
        if (i >= text.length() - 1 || text.charAt(i + 1) != '@') {
            return Optional.empty();
        }
        String domain = text.substring(i + 2);
        if (!isDomainOrLiteral(domain)) {
            return Optional.empty();
        }
        return Optional.of(new MailboxAddress(local.toString(), domain, true));
    }

    /**
     * Dot-string of atext, plus the unquoted {@code @} noted in the class comment, but not first:
     * {@code <@x@example.com>} is printed as it was read, and read again it is a source route
     * (found by fuzzing, issue 11: {@code <@relay.example:@x@example.com>} was accepted).
     */
    private static boolean isDotString(String local) {
        if (local.isEmpty() || local.charAt(0) == '.' || local.charAt(0) == '@'
                || local.charAt(local.length() - 1) == '.') {
            return false;
        }
        char previous = 0;
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            if (c == '.' && previous == '.') {
                return false;
            }
            if (c != '.' && c != '@' && !isAtext(c)) {
                return false;
            }
            previous = c;
        }
        return true;
    }

    /**
     * RFC 5322 atext, and the non-ASCII characters of RFC 6531 UTF8-non-ascii except two: C1
     * controls, and U+FFFD, which is what a line's bytes that were not UTF-8 decode to. Such an
     * address is a syntax error here, as it is in the domain, rather than an address to probe.
     */
    private static boolean isAtext(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0 || (c >= 0xa0 && c != REPLACEMENT_CHARACTER);
    }

    /**
     * RFC 5321 qtextSMTP (the quote and backslash are handled before) and RFC 6531 UTF8-non-ascii,
     * less the same two as in {@link #isAtext}: quoting a local part must not let through what
     * the dot-string refuses.
     */
    private static boolean isQtext(char c) {
        return (c >= 32 && c <= 126) || (c >= 0xa0 && c != REPLACEMENT_CHARACTER);
    }

    private static final char REPLACEMENT_CHARACTER = '\uFFFD';

    private static boolean isSourceRoute(String route) {
        for (String hop : route.split(",", -1)) {
            if (hop.length() < 2 || hop.charAt(0) != '@' || !isDomain(hop.substring(1))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDomainOrLiteral(String domain) {
        if (domain.startsWith("[")) {
            return AddressLiteral.isValid(domain);
        }
        return isDomain(domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain);
    }

    /** Dot-separated labels of letters, digits and inner hyphens (RFC 5321 sub-domain, RFC 6531 U-labels). */
    static boolean isDomain(String domain) {
        if (domain.isEmpty() || domain.length() > MAX_DOMAIN_LENGTH) {
            return false;
        }
        for (String label : domain.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63
                    || label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || (c >= 0x80 && Character.isLetterOrDigit(c));
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }
}
