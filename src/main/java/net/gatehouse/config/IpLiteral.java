package net.gatehouse.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * IPv4 and IPv6 address literals, read and written by hand so that nothing in the configuration
 * ever triggers a DNS lookup ({@code InetAddress.getByName} resolves anything that is not a
 * literal, and {@code InetAddress.ofLiteral} only exists from Java 22).
 *
 * <p>IPv4 is the dotted quad with decimal parts and no leading zeros ({@code 010.0.0.1} is octal
 * to some parsers and decimal to others, so it is refused). IPv6 follows RFC 4291 section 2.2,
 * with {@code ::} and a trailing dotted quad; zone indexes ({@code fe80::1%eth0}) are refused.
 */
public final class IpLiteral {

    private IpLiteral() {
    }

    /** The 4 or 16 bytes of an IPv4 or IPv6 literal, or empty if the text is neither. */
    public static Optional<byte[]> parse(String text) {
        return text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
    }

    /** The 4 bytes of a dotted-quad IPv4 literal, or empty. */
    static Optional<byte[]> parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !allDigits(part)
                    || (part.length() > 1 && part.charAt(0) == '0')) {
                return Optional.empty();
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return Optional.empty();
            }
            address[i] = (byte) value;
        }
        return Optional.of(address);
    }

    /** The 16 bytes of an IPv6 literal (without brackets), or empty. */
    static Optional<byte[]> parseIpv6(String text) {
        String hex = text;
        List<Integer> ipv4Groups = List.of();
        if (text.indexOf('.') >= 0) {
            // RFC 4291 2.2 form 3: the last 32 bits may be written as a dotted quad
            int lastColon = text.lastIndexOf(':');
            if (lastColon < 0) {
                return Optional.empty();
            }
            Optional<byte[]> ipv4 = parseIpv4(text.substring(lastColon + 1));
            if (ipv4.isEmpty()) {
                return Optional.empty();
            }
            byte[] b = ipv4.get();
            ipv4Groups = List.of((b[0] & 0xff) << 8 | (b[1] & 0xff), (b[2] & 0xff) << 8 | (b[3] & 0xff));
            // keep the colon: "::1.2.3.4" leaves "::", "a::1.2.3.4" leaves "a::", "a:b:1.2.3.4" leaves "a:b:"
            hex = text.substring(0, lastColon + 1);
            if (hex.endsWith(":") && !hex.endsWith("::")) {
                hex = hex.substring(0, hex.length() - 1);
            }
        }
        int gap = hex.indexOf("::");
        if (gap >= 0 && hex.indexOf("::", gap + 1) >= 0) {
            return Optional.empty();
        }
        Optional<List<Integer>> head = groups(gap >= 0 ? hex.substring(0, gap) : hex);
        Optional<List<Integer>> tail = groups(gap >= 0 ? hex.substring(gap + 2) : "");
        if (head.isEmpty() || tail.isEmpty()) {
            return Optional.empty();
        }
        List<Integer> after = new ArrayList<>(tail.get());
        after.addAll(ipv4Groups);
        int written = head.get().size() + after.size();
        // "::" stands for at least one group of zeros (RFC 4291 2.2 form 2)
        if (gap < 0 ? written != 8 : written > 7) {
            return Optional.empty();
        }
        byte[] address = new byte[16];
        int at = 0;
        for (int group : head.get()) {
            address[at++] = (byte) (group >> 8);
            address[at++] = (byte) group;
        }
        at = 16 - 2 * after.size();
        for (int group : after) {
            address[at++] = (byte) (group >> 8);
            address[at++] = (byte) group;
        }
        return Optional.of(address);
    }

    /** The 16-bit groups of "a:b:c", none for "", or empty if a group is not 1 to 4 hex digits. */
    private static Optional<List<Integer>> groups(String text) {
        if (text.isEmpty()) {
            return Optional.of(List.of());
        }
        List<Integer> groups = new ArrayList<>();
        for (String group : text.split(":", -1)) {
            if (group.isEmpty() || group.length() > 4 || !group.chars().allMatch(IpLiteral::isHexDigit)) {
                return Optional.empty();
            }
            groups.add(Integer.parseInt(group, 16));
        }
        return Optional.of(groups);
    }

    // ASCII only: Character.digit also accepts the digits of other scripts
    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean allDigits(String text) {
        return text.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /**
     * The canonical text of 4 or 16 bytes: the dotted quad, or RFC 5952 for IPv6 (lower case, no
     * leading zeros, the longest run of two or more zero groups, the first of equal runs, as {@code ::}).
     */
    public static String format(byte[] address) {
        if (address.length == 4) {
            return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
        }
        if (address.length != 16) {
            throw new IllegalArgumentException("not an IP address: " + address.length + " bytes");
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (address[2 * i] & 0xff) << 8 | (address[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // RFC 5952 4.2.2: a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}
