package net.gatehouse.store;

import java.net.IDN;
import java.util.Locale;

/**
 * The grammar of a valid-list entry and its stored form, shared by the store, the command line and
 * the directory that matches recipients against the lists.
 *
 * <p>An entry is either an address of the list's domain, {@code alice@example.com}, or the domain
 * itself, {@code @example.com}, which accepts every address of it (SPEC §3). Stored form: the local
 * part lower-cased ({@link Locale#ROOT}, as the matching does) and the domain in its ASCII form,
 * lower case, IDN labels as {@code xn--}, without a trailing dot.
 *
 * <p>The local part must be an RFC 5321 Dot-string (atext and dots, with UTF-8 beyond ASCII as
 * RFC 6531 allows) of at most 64 octets. Quoted local parts ({@code "john doe"@example.com}) are
 * not accepted: they are vanishingly rare, and leaving them out keeps every entry a plain token,
 * unambiguous in a CSV file. A recipient that quotes a plain local part needlessly
 * ({@code "alice"@example.com}) still matches {@code alice@example.com}.
 */
public final class ValidRecipientEntry {

    /** RFC 5321 4.5.3.1.1. */
    private static final int MAX_LOCAL_PART_OCTETS = 64;
    /** RFC 1035 2.3.4, without the root's dot. */
    private static final int MAX_DOMAIN_LENGTH = 253;
    private static final int MAX_QUOTED = 80;
    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    private ValidRecipientEntry() {
    }

    /**
     * The stored form of a domain name: ASCII, lower case, no trailing dot.
     *
     * @throws IllegalArgumentException saying what is wrong with the name
     */
    public static String domain(String text) {
        String name = text.strip();
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("the domain is empty");
        }
        String ascii;
        try {
            // STD3 rules: letters, digits and inner hyphens; labels of 1 to 63 characters
            ascii = IDN.toASCII(name, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(quote(text) + " is not a valid domain name: " + e.getMessage(), e);
        }
        if (ascii.length() > MAX_DOMAIN_LENGTH || ascii.startsWith(".") || ascii.contains("..")
                || ascii.endsWith(".")) {
            throw new IllegalArgumentException(quote(text) + " is not a valid domain name");
        }
        if (ascii.substring(ascii.lastIndexOf('.') + 1).chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(quote(text) + " is not a valid domain name: it ends in a number");
        }
        return ascii;
    }

    /**
     * The stored form of an entry of a domain's list.
     *
     * @param domain the list's domain, in stored form ({@link #domain})
     * @param text   the entry as written: {@code Alice@Example.COM}, {@code @example.com}
     * @throws IllegalArgumentException saying what is wrong with the entry, quoting it
     */
    public static String normalize(String domain, String text) {
        String entry = text.strip();
        int at = entry.lastIndexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException(quote(entry) + " is not an address: expected alice@" + domain
                    + ", or @" + domain + " for every address of the domain");
        }
        int domainLength = entry.length() - at - 1;
        // the usual case, the list's own domain in ASCII, needs no IDN conversion: a million-line
        // import then costs a comparison per line rather than a conversion
        boolean sameDomain = domainLength == domain.length() && entry.regionMatches(true, at + 1, domain, 0, domainLength);
        if (!sameDomain) {
            String entryDomain;
            try {
                entryDomain = domain(entry.substring(at + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(quote(entry) + ": " + e.getMessage(), e);
            }
            sameDomain = entryDomain.equals(domain);
        }
        if (!sameDomain) {
            throw new IllegalArgumentException(quote(entry) + " is not an address of " + domain);
        }
        if (at == 0) {
            return "@" + domain;
        }
        String local = entry.substring(0, at);
        String problem = localPartProblem(local);
        if (problem != null) {
            throw new IllegalArgumentException(quote(entry) + " is not a valid address: " + problem);
        }
        return local.toLowerCase(Locale.ROOT) + "@" + domain;
    }

    /** What is wrong with a local part, or null if nothing is. */
    private static String localPartProblem(String local) {
        if (local.startsWith("\"")) {
            return "quoted local parts are not supported in valid lists";
        }
        if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            return "dots must separate words (none at the start or end, never two in a row)";
        }
        int octets = 0;
        for (int i = 0; i < local.length(); ) {
            int c = local.codePointAt(i);
            i += Character.charCount(c);
            if (c != '.' && !isAtext(c)) {
                return c == '@' ? "it has two @" : "the local part contains " + describe(c);
            }
            octets += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; // its length in UTF-8
        }
        if (octets > MAX_LOCAL_PART_OCTETS) {
            return "the local part is longer than " + MAX_LOCAL_PART_OCTETS + " octets";
        }
        return null;
    }

    /** RFC 5322 atext, and UTF-8 beyond ASCII (RFC 6531) that is a visible character. */
    private static boolean isAtext(int c) {
        if (c < 0x80) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || ATEXT_SPECIALS.indexOf(c) >= 0;
        }
        return !Character.isISOControl(c) && !Character.isWhitespace(c) && !Character.isSpaceChar(c)
                && Character.getType(c) != Character.SURROGATE && Character.isDefined(c);
    }

    private static String describe(int c) {
        return c == ' ' ? "a space" : c < 0x20 || c == 0x7f ? "a control character"
                : quote(new String(Character.toChars(c)));
    }

    /** Quotes text for a message, shortened so that one bad line stays one readable line. */
    static String quote(String text) {
        String shown = text.length() > MAX_QUOTED ? text.substring(0, MAX_QUOTED) + "..." : text;
        return '"' + shown.replaceAll("\\p{Cntrl}", "?") + '"';
    }
}
