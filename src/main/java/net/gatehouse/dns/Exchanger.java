package net.gatehouse.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One mail exchanger of a domain: its host name (lower case, no trailing dot), its MX preference
 * and its addresses, IPv4 first. Never without addresses: {@link MxResolver} drops exchangers it
 * could not resolve.
 */
public record Exchanger(String host, int preference, List<InetAddress> addresses) {

    public Exchanger {
        Objects.requireNonNull(host, "host");
        // RFC 1035 3.3.9: PREFERENCE is a 16-bit unsigned integer
        if (preference < 0 || preference > 0xFFFF) {
            throw new IllegalArgumentException("MX preference out of range: " + preference);
        }
        addresses = List.copyOf(addresses);
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("exchanger without addresses: " + host);
        }
    }

    /** For logs: {@code MX 10 mx1.example.test [192.0.2.1, 2001:db8::1]}. */
    @Override
    public String toString() {
        return "MX " + preference + " " + host + " "
                + addresses.stream().map(InetAddress::getHostAddress).collect(Collectors.joining(", ", "[", "]"));
    }
}
