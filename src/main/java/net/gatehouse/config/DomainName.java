package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.net.IDN;
import java.util.Locale;

/**
 * Domain and host names as the configuration stores them: lower case, ASCII, without the root's
 * trailing dot. Internationalised names are converted to their A-label ({@code xn--}) form, the
 * form they have in DNS and in SMTP without SMTPUTF8, so that {@code bücher.example} and
 * {@code xn--bcher-kva.example} are one domain.
 *
 * <p>Syntax: RFC 1123 2.1 host names (letters, digits, hyphens; labels of 1 to 63 characters not
 * starting or ending with a hyphen; 253 characters in all), and a last label that is not all
 * digits so that a mistyped IP address is not taken for a name (RFC 3696 2).
 */
final class DomainName {

    private static final int MAX_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;

    private DomainName() {
    }

    /**
     * The stored form of a domain or host name.
     *
     * @throws IllegalArgumentException saying what is wrong with the name
     */
    static String normalize(String text) {
        // a fully-qualified name may be written with the root's dot, as in DNS zone files
        String name = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        if (name.isEmpty()) {
            throw invalid(text, "it is empty");
        }
        String ascii = name;
        if (!name.chars().allMatch(c -> c < 0x80)) {
            try {
                ascii = IDN.toASCII(name, IDN.USE_STD3_ASCII_RULES);
            } catch (IllegalArgumentException e) {
                throw invalid(text, "it has no ASCII (xn--) form: " + e.getMessage());
            }
        }
        ascii = ascii.toLowerCase(Locale.ROOT);
        if (ascii.length() > MAX_LENGTH) {
            throw invalid(text, "it is longer than " + MAX_LENGTH + " characters");
        }
        String[] labels = ascii.split("\\.", -1);
        for (String label : labels) {
            checkLabel(text, label);
        }
        if (labels[labels.length - 1].chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(text, "it ends in a number, so it is an IP address or a typing mistake");
        }
        return ascii;
    }

    private static void checkLabel(String text, String label) {
        if (label.isEmpty()) {
            throw invalid(text, "it has an empty label (two dots in a row, or a dot at the start)");
        }
        if (label.length() > MAX_LABEL_LENGTH) {
            throw invalid(text, "label " + quote(label) + " is longer than " + MAX_LABEL_LENGTH + " characters");
        }
        if (label.startsWith("-") || label.endsWith("-")) {
            throw invalid(text, "label " + quote(label) + " starts or ends with a hyphen");
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                throw invalid(text, "it contains " + quote(String.valueOf(c))
                        + "; names have letters, digits, hyphens and dots only");
            }
        }
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException(quote(text) + " is not a valid domain name: " + why);
    }
}
