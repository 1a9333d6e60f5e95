package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@code host:port} values: addresses to listen on, back-end servers, DNS servers. An IPv6
 * address is written in brackets when a port follows ({@code [::]:25}, as in URLs, RFC 3986
 * 3.2.2); without a port it may be written bare ({@code ::1}). IP literals are stored in their
 * canonical form and host names in the form of {@link DomainName}, so that equal addresses
 * compare equal.
 */
final class HostPort {

    private static final int MAX_PORT = 65535;

    private HostPort() {
    }

    /** An address to listen on: host name or IP literal, and a port, which may be 0 (any free port). */
    static ListenAddress listener(String text) {
        return parse(text, true, OptionalInt.empty(), 0);
    }

    /** A server to connect to: host name or IP literal, and a port from 1, {@code defaultPort} if omitted. */
    static ListenAddress server(String text, int defaultPort) {
        return parse(text, true, OptionalInt.of(defaultPort), 1);
    }

    /**
     * A server given by IP literal only, {@code defaultPort} if omitted: DNS servers, whose names
     * could only be found with the DNS they are meant to provide.
     */
    static ListenAddress ipServer(String text, int defaultPort) {
        return parse(text, false, OptionalInt.of(defaultPort), 1);
    }

    private static ListenAddress parse(String text, boolean namesAllowed, OptionalInt defaultPort, int minPort) {
        String host;
        Optional<String> port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing \"]\" in " + quote(text));
            }
            String literal = text.substring(1, close);
            host = IpLiteral.parseIpv6(literal).map(IpLiteral::format).orElseThrow(() ->
                    new IllegalArgumentException(quote(literal) + " in brackets is not an IPv6 address"));
            String rest = text.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                throw new IllegalArgumentException("unexpected " + quote(rest) + " after \"]\" in " + quote(text));
            }
            port = rest.isEmpty() ? Optional.empty() : Optional.of(rest.substring(1));
        } else if (text.indexOf(':') != text.lastIndexOf(':')) {
            // several colons without brackets: a bare IPv6 address, which cannot carry a port
            host = IpLiteral.parseIpv6(text).map(IpLiteral::format).orElseThrow(() ->
                    new IllegalArgumentException(quote(text) + " is not an IPv6 address; "
                            + "with a port, an IPv6 address is written in brackets, e.g. [2001:db8::1]:25"));
            port = Optional.empty();
        } else {
            int colon = text.indexOf(':');
            host = host(colon < 0 ? text : text.substring(0, colon), text, namesAllowed);
            port = colon < 0 ? Optional.empty() : Optional.of(text.substring(colon + 1));
        }
        int portNumber;
        if (port.isPresent()) {
            portNumber = port(port.get(), text, minPort);
        } else if (defaultPort.isPresent()) {
            portNumber = defaultPort.getAsInt();
        } else {
            throw new IllegalArgumentException("missing port in " + quote(text) + ", write for example "
                    + new ListenAddress(host, 25));
        }
        return new ListenAddress(host, portNumber);
    }

    private static String host(String host, String text, boolean namesAllowed) {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("missing host in " + quote(text)
                    + "; for all addresses write 0.0.0.0 (IPv4) or [::] (IPv6)");
        }
        Optional<byte[]> ipv4 = IpLiteral.parseIpv4(host);
        if (ipv4.isPresent()) {
            return IpLiteral.format(ipv4.get());
        }
        if (!namesAllowed) {
            throw new IllegalArgumentException("expected an IP address, got " + quote(host));
        }
        // DomainName explains a bad name, and a bad IPv4 address such as 999.1.1.1 too (it ends in a number)
        return DomainName.normalize(host);
    }

    private static int port(String port, String text, int minPort) {
        int number = port.matches("[0-9]{1,5}") ? Integer.parseInt(port) : -1;
        if (number < minPort || number > MAX_PORT) {
            throw new IllegalArgumentException("the port in " + quote(text) + " must be a number from "
                    + minPort + " to " + MAX_PORT);
        }
        return number;
    }
}
