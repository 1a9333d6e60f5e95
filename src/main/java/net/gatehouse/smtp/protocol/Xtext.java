package net.gatehouse.smtp.protocol;

/**
 * The xtext encoding of RFC 3461 4: the values of the DSN parameters ENVID and ORCPT, in which
 * every octet that is not a printable ASCII character other than {@code +} and {@code =} is
 * written as {@code +} and two hexadecimal digits. An MTA relays these values as they came
 * (RFC 3461 4.2, 4.4) and decodes them only to show them in a report.
 */
public final class Xtext {

    private Xtext() {
    }

    /**
     * Whether {@code value} is xtext: xchars (0x21 to 0x7E, except {@code +} and {@code =}) and
     * hexchars. The RFC writes the hexadecimal digits in upper case; lower case is taken too, as
     * Postfix takes it, since refusing it would refuse mail for nothing.
     */
    public static boolean isValid(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '+') {
                if (i + 2 >= value.length() || !isHexDigit(value.charAt(i + 1)) || !isHexDigit(value.charAt(i + 2))) {
                    return false;
                }
                i += 2;
            } else if (c < 0x21 || c > 0x7E || c == '=') {
                return false;
            }
        }
        return true;
    }

    /** The octets {@code value} stands for, as ISO-8859-1 characters; {@code value} must be {@link #isValid valid}. */
    public static String decode(String value) {
        StringBuilder decoded = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '+') {
                decoded.append((char) Integer.parseInt(value, i + 1, i + 3, 16));
                i += 2;
            } else {
                decoded.append(c);
            }
        }
        return decoded.toString();
    }

    /** {@code value} (characters up to 0xFF) as xtext. */
    public static String encode(String value) {
        StringBuilder encoded = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0xFF) {
                throw new IllegalArgumentException("xtext encodes octets, not U+" + Integer.toHexString(c));
            }
            if (c < 0x21 || c > 0x7E || c == '+' || c == '=') {
                encoded.append('+').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            } else {
                encoded.append(c);
            }
        }
        return encoded.toString();
    }

    /** Whether every character is printable ASCII, space included: what a report may show as it is. */
    static boolean isPrintableAscii(String value) {
        return value.chars().allMatch(c -> c >= 0x20 && c <= 0x7E);
    }

    private static boolean isHexDigit(char c) {
        return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f';
    }
}
