package net.gatehouse.smtp.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The header a load balancer puts before the SMTP bytes when {@code proxy_protocol} is on: HAProxy's
 * PROXY protocol, version 1 (one text line) or version 2 (binary), as specified in HAProxy's
 * {@code doc/proxy-protocol.txt}. It tells the gateway the address of the real client.
 *
 * <p>{@link #read(InputStream)} takes exactly the header from the connection and not one byte
 * more, so the SMTP session reads on from the same stream. It never resolves a name: addresses are
 * IP literals or the header is refused. It sets no deadline of its own; the caller sets the
 * socket's read timeout first (section 1: abort "if the protocol header is not seen within a few
 * seconds (at least 3 seconds to cover a TCP retransmit)").
 *
 * <p>Section 1: a receiver "MUST not try to guess whether the protocol header is present", so a
 * listener with {@code proxy_protocol} on requires the header on every connection, and one without
 * it never calls this.
 *
 * @param source      the client as the balancer saw it; empty for a v1 {@code UNKNOWN}, a v2
 *                    {@code LOCAL} (the balancer's own health check) or a v2 {@code UNSPEC}
 *                    family: the caller then uses the socket's peer address, which is the
 *                    balancer's
 * @param destination the address the client connected to on the balancer; empty exactly when
 *                    {@code source} is. Both are resolved literals: call {@code getAddress()} or
 *                    {@code getHostString()} on them, never {@code getHostName()} (a reverse
 *                    lookup)
 */
public record ProxyHeader(Optional<InetSocketAddress> source, Optional<InetSocketAddress> destination) {

    /** Section 2.1: "PROXY" and exactly one space. */
    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);

    /** Section 2.1: the worst case, "PROXY UNKNOWN" with two full IPv6 addresses, is 107 bytes with CRLF. */
    private static final int V1_MAX_LENGTH = 107;

    /** Section 2.2: the 12-byte signature that starts every v2 header. */
    private static final byte[] V2_SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** Section 2.2: signature, version and command, family and transport, 16-bit length. */
    private static final int V2_FIXED_LENGTH = 16;

    /**
     * Our bound on the v2 length field (the protocol allows 65535). Addresses take at most 216
     * bytes; the rest is TLVs, and what balancers send there (ALPN, SNI, a unique ID of up to 128
     * bytes, TLS names, a VPC endpoint ID) stays far below this.
     */
    static final int V2_MAX_LENGTH = 2048;

    private static final int V2_VERSION = 0x2;
    private static final int V2_COMMAND_LOCAL = 0x0;
    private static final int V2_COMMAND_PROXY = 0x1;
    private static final int V2_UNSPEC = 0x00;
    private static final int V2_TCP_OVER_IPV4 = 0x11;
    private static final int V2_TCP_OVER_IPV6 = 0x21;
    private static final int V2_IPV4_ADDRESS_LENGTH = 2 * 4 + 2 * 2;
    private static final int V2_IPV6_ADDRESS_LENGTH = 2 * 16 + 2 * 2;

    /** Text that can only be an IPv6 literal: no letters beyond hex, no zone ID, no brackets. */
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private static final ProxyHeader NO_ADDRESSES = new ProxyHeader(Optional.empty(), Optional.empty());

    public ProxyHeader {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        if (source.isPresent() != destination.isPresent()) {
            throw new IllegalArgumentException("source and destination must both be present or both empty");
        }
    }

    /**
     * Reads one PROXY header, v1 or v2, from the start of a connection: for v1 byte by byte up to
     * and including the CRLF, for v2 the 16-byte fixed part and then exactly the number of bytes it
     * announces (address block and TLVs, the TLVs skipped). The stream is left at the first byte
     * after the header. The stream must be the socket's own, or one that does not read ahead.
     *
     * @throws ProxyProtocolException when the bytes are not a valid header, or the connection closes
     *                                inside one; the caller drops the connection (section 2.1: "Any
     *                                sequence which does not exactly match the protocol must be
     *                                discarded and cause the receiver to abort the connection")
     * @throws IOException            when reading fails, including the caller's read timeout
     */
    public static ProxyHeader read(InputStream in) throws IOException {
        int first = readByte(in, 0);
        if (first == V1_PREFIX[0]) {
            return readV1(in);
        }
        if (first == V2_SIGNATURE[0]) {
            return readV2(in);
        }
        throw new ProxyProtocolException("not a PROXY header: the connection starts with " + describe(first));
    }

    // --- version 1, section 2.1

    private static ProxyHeader readV1(InputStream in) throws IOException {
        byte[] line = new byte[V1_MAX_LENGTH];
        line[0] = V1_PREFIX[0];
        int length = 1;
        while (true) {
            if (length == V1_MAX_LENGTH) {
                throw new ProxyProtocolException("PROXY v1 line has no CRLF within " + V1_MAX_LENGTH
                        + " bytes: \"" + printable(line, length) + "\"");
            }
            int b = readByte(in, length);
            line[length++] = (byte) b;
            if (length <= V1_PREFIX.length && b != V1_PREFIX[length - 1]) {
                throw new ProxyProtocolException("not a PROXY header: the connection starts with \""
                        + printable(line, length) + "\"");
            }
            boolean afterCr = line[length - 2] == '\r';
            if (b == '\n') {
                if (!afterCr) {
                    // Section 2.1: "must not tolerate a single CR or LF character to end the line".
                    throw new ProxyProtocolException("PROXY v1 line ends with a bare LF: \""
                            + printable(line, length) + "\"");
                }
                // ISO 8859-1 keeps one char per byte, so that stray bytes are quoted as they came.
                return parseV1(new String(line, 0, length - 2, StandardCharsets.ISO_8859_1));
            }
            if (afterCr) {
                throw new ProxyProtocolException("PROXY v1 line has a bare CR: \"" + printable(line, length) + "\"");
            }
        }
    }

    /** The line without its CRLF; it starts with "PROXY ". */
    private static ProxyHeader parseV1(String line) throws ProxyProtocolException {
        String[] fields = line.split(" ", -1);
        String protocol = fields[1];
        boolean v4 = protocol.equals("TCP4");
        if (protocol.equals("UNKNOWN")) {
            // "the receiver must ignore anything presented before the CRLF is found"
            return NO_ADDRESSES;
        }
        if (!v4 && !protocol.equals("TCP6")) {
            throw new ProxyProtocolException("PROXY v1 protocol \"" + protocol
                    + "\" is none of TCP4, TCP6, UNKNOWN: \"" + printable(line) + "\"");
        }
        if (fields.length != 6) {
            throw new ProxyProtocolException("PROXY v1 line is not PROXY, protocol, two addresses and two ports"
                    + " separated by single spaces: \"" + printable(line) + "\"");
        }
        InetAddress sourceAddress = v4 ? ipv4(fields[2], "source", line) : ipv6(fields[2], "source", line);
        InetAddress destinationAddress = v4
                ? ipv4(fields[3], "destination", line) : ipv6(fields[3], "destination", line);
        int sourcePort = port(fields[4], "source", line);
        int destinationPort = port(fields[5], "destination", line);
        return new ProxyHeader(Optional.of(new InetSocketAddress(sourceAddress, sourcePort)),
                Optional.of(new InetSocketAddress(destinationAddress, destinationPort)));
    }

    /**
     * Section 2.1: "exactly 4 integers in the range [0..255] ... separated by exactly one dot",
     * without heading zeroes. Parsed here, not by {@code InetAddress}, which would accept a name.
     */
    private static InetAddress ipv4(String text, String which, String line) throws ProxyProtocolException {
        String[] parts = text.split("\\.", -1);
        byte[] bytes = new byte[4];
        boolean valid = parts.length == bytes.length;
        for (int i = 0; valid && i < bytes.length; i++) {
            int value = decimal(parts[i], 255);
            valid = value >= 0;
            bytes[i] = (byte) value;
        }
        if (!valid) {
            throw new ProxyProtocolException("PROXY v1 " + which + " address \"" + printable(text)
                    + "\" is not an IPv4 address in dotted-decimal form: \"" + printable(line) + "\"");
        }
        return address(bytes);
    }

    /**
     * Section 2.1: hexadecimal groups with at most one "::". Only text that cannot be a name goes to
     * {@code InetAddress}, and in brackets, where the JDK parses a literal or fails, never looks up.
     * An IPv4-mapped address ({@code ::ffff:192.0.2.1}) comes back as its IPv4 address, as from the
     * JDK's own sockets.
     */
    private static InetAddress ipv6(String text, String which, String line) throws ProxyProtocolException {
        if (text.indexOf(':') >= 0 && IPV6_CHARS.matcher(text).matches()) {
            try {
                return InetAddress.getByName("[" + text + "]");
            } catch (UnknownHostException e) {
                throw new ProxyProtocolException("PROXY v1 " + which + " address \"" + text
                        + "\" is not an IPv6 address: \"" + printable(line) + "\"", e);
            }
        }
        throw new ProxyProtocolException("PROXY v1 " + which + " address \"" + printable(text)
                + "\" is not an IPv6 address: \"" + printable(line) + "\"");
    }

    /** Section 2.1: "a decimal integer in the range [0..65535] inclusive", no heading zeroes. */
    private static int port(String text, String which, String line) throws ProxyProtocolException {
        int port = decimal(text, 0xFFFF);
        if (port < 0) {
            throw new ProxyProtocolException("PROXY v1 " + which + " port \"" + printable(text)
                    + "\" is not a decimal number from 0 to 65535 without leading zeros: \""
                    + printable(line) + "\"");
        }
        return port;
    }

    /** ASCII digits only (no sign, no other script's digits), no heading zero; -1 if not so. */
    private static int decimal(String text, int max) {
        if (text.isEmpty() || text.length() > 5 || (text.length() > 1 && text.charAt(0) == '0')) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value <= max ? value : -1;
    }

    // --- version 2, section 2.2

    private static ProxyHeader readV2(InputStream in) throws IOException {
        byte[] fixed = new byte[V2_FIXED_LENGTH];
        fixed[0] = V2_SIGNATURE[0];
        readFully(in, fixed, 1, V2_FIXED_LENGTH - 1, 1);
        if (!Arrays.equals(fixed, 0, V2_SIGNATURE.length, V2_SIGNATURE, 0, V2_SIGNATURE.length)) {
            throw new ProxyProtocolException("not a PROXY header: the connection starts with \""
                    + printable(fixed, V2_SIGNATURE.length) + "\", not the v2 signature");
        }
        int version = (fixed[12] & 0xF0) >>> 4;
        int command = fixed[12] & 0x0F;
        int family = fixed[13] & 0xFF;
        int length = ((fixed[14] & 0xFF) << 8) | (fixed[15] & 0xFF);
        if (version != V2_VERSION) {
            // "it must always be sent as \x2 and the receiver must only accept this value"
            throw new ProxyProtocolException("PROXY v2 header has version " + version + ", only 2 is defined");
        }
        if (command != V2_COMMAND_LOCAL && command != V2_COMMAND_PROXY) {
            // "Receivers must drop connections presenting unexpected values here."
            throw new ProxyProtocolException("PROXY v2 header has command 0x" + hex(command)
                    + ", neither LOCAL (0x00) nor PROXY (0x01)");
        }
        if (length > V2_MAX_LENGTH) {
            throw new ProxyProtocolException("PROXY v2 header announces " + length
                    + " bytes after its fixed part, more than the " + V2_MAX_LENGTH + " we accept");
        }
        // "Receivers MUST always consider this field to skip the appropriate number of bytes",
        // LOCAL included; what lies after the addresses is TLVs, which we have no use for.
        byte[] block = new byte[length];
        readFully(in, block, 0, length, V2_FIXED_LENGTH);
        if (command == V2_COMMAND_LOCAL) {
            // "must use the real connection endpoints and discard the protocol block including the
            // family which is ignored"
            return NO_ADDRESSES;
        }
        return switch (family) {
            // "The receiver should ignore address information."
            case V2_UNSPEC -> NO_ADDRESSES;
            case V2_TCP_OVER_IPV4 -> addresses(block, 4, family);
            case V2_TCP_OVER_IPV6 -> addresses(block, 16, family);
            // UDP, AF_UNIX and unassigned values: an SMTP listener is only ever behind a TCP
            // proxy, so any of these means a misconfigured balancer. The spec lets a receiver
            // reject where it would fall back to UNSPEC; we do, rather than take every client for
            // the balancer itself.
            default -> throw new ProxyProtocolException("PROXY v2 header has family and transport 0x"
                    + hex(family) + "; only TCP over IPv4 (0x11) or IPv6 (0x21), or UNSPEC (0x00), is accepted");
        };
    }

    /** Source address, destination address, source port, destination port, in network byte order. */
    private static ProxyHeader addresses(byte[] block, int addressLength, int family) throws IOException {
        int needed = 2 * addressLength + 2 * 2;
        if (block.length < needed) {
            throw new ProxyProtocolException("PROXY v2 header with family 0x" + hex(family) + " has " + block.length
                    + " address bytes, fewer than the " + needed + " its addresses take");
        }
        InetAddress sourceAddress = address(Arrays.copyOfRange(block, 0, addressLength));
        InetAddress destinationAddress = address(Arrays.copyOfRange(block, addressLength, 2 * addressLength));
        int ports = 2 * addressLength;
        int sourcePort = ((block[ports] & 0xFF) << 8) | (block[ports + 1] & 0xFF);
        int destinationPort = ((block[ports + 2] & 0xFF) << 8) | (block[ports + 3] & 0xFF);
        return new ProxyHeader(Optional.of(new InetSocketAddress(sourceAddress, sourcePort)),
                Optional.of(new InetSocketAddress(destinationAddress, destinationPort)));
    }

    // --- reading and describing bytes

    private static int readByte(InputStream in, int alreadyRead) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw closed(alreadyRead);
        }
        return b;
    }

    private static void readFully(InputStream in, byte[] buffer, int offset, int length, int alreadyRead)
            throws IOException {
        int read = in.readNBytes(buffer, offset, length);
        if (read < length) {
            throw closed(alreadyRead + read);
        }
    }

    /** A connect-and-close health check ends before the first byte; say so apart from a cut header. */
    private static ProxyProtocolException closed(int alreadyRead) {
        return new ProxyProtocolException(alreadyRead == 0
                ? "connection closed before the PROXY header"
                : "connection closed inside the PROXY header, after " + alreadyRead + " bytes");
    }

    /** Four or sixteen bytes are always a valid address; no lookup happens. */
    private static InetAddress address(byte[] bytes) throws ProxyProtocolException {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new ProxyProtocolException("not an IP address: " + bytes.length + " bytes", e);
        }
    }

    private static String describe(int b) {
        return b >= 0x20 && b < 0x7F ? "'" + (char) b + "'" : "byte 0x" + hex(b);
    }

    private static String hex(int b) {
        return String.format("%02x", b);
    }

    /** For the log: what came from the wire, with anything unprintable escaped. */
    private static String printable(byte[] bytes, int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int b = bytes[i] & 0xFF;
            switch (b) {
                case '\r' -> text.append("\\r");
                case '\n' -> text.append("\\n");
                case '\\', '"' -> text.append('\\').append((char) b);
                default -> {
                    if (b >= 0x20 && b < 0x7F) {
                        text.append((char) b);
                    } else {
                        text.append("\\x").append(hex(b));
                    }
                }
            }
        }
        return text.toString();
    }

    private static String printable(String latin1) {
        byte[] bytes = latin1.getBytes(StandardCharsets.ISO_8859_1);
        return printable(bytes, bytes.length);
    }

    /**
     * The connection did not start with a valid PROXY header, or closed inside one. The message
     * says what was wrong and quotes the offending bytes (escaped), for the log; the caller drops
     * the connection without a reply, since the peer is a balancer, not an SMTP client.
     */
    public static final class ProxyProtocolException extends IOException {

        ProxyProtocolException(String message) {
            super(message);
        }

        ProxyProtocolException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
