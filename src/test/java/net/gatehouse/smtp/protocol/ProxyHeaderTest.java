package net.gatehouse.smtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import net.gatehouse.smtp.protocol.ProxyHeader.ProxyProtocolException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** HAProxy's doc/proxy-protocol.txt, sections 2.1 (v1) and 2.2 (v2). */
class ProxyHeaderTest {

    private static final String SMTP = "EHLO x\r\n";

    private static final int LOCAL = 0x20;
    private static final int PROXY = 0x21;

    // --- what the balancer sends

    static Stream<Arguments> validHeaders() throws IOException {
        return Stream.of(
                Arguments.of("v1 TCP4", v1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 25\r\n"),
                        at("192.0.2.10", 56324), at("198.51.100.1", 25)),
                Arguments.of("v1 TCP4 at the bounds", v1("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"),
                        at("0.0.0.0", 0), at("255.255.255.255", 65535)),
                Arguments.of("v1 TCP6", v1("PROXY TCP6 2001:db8::1 2001:db8::25 40000 25\r\n"),
                        at("2001:db8::1", 40000), at("2001:db8::25", 25)),
                Arguments.of("v1 TCP6 in full, upper case",
                        v1("PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:0001 ::1 65535 587\r\n"),
                        at("2001:db8::1", 65535), at("::1", 587)),
                Arguments.of("v1 TCP6 with an IPv4-mapped address",
                        v1("PROXY TCP6 ::ffff:192.0.2.10 ::ffff:198.51.100.1 1024 25\r\n"),
                        at("192.0.2.10", 1024), at("198.51.100.1", 25)),
                Arguments.of("v1 UNKNOWN, short form", v1("PROXY UNKNOWN\r\n"), null, null),
                Arguments.of("v1 UNKNOWN, worst case of 107 bytes", v1(longestV1Line()), null, null),
                Arguments.of("v1 UNKNOWN ignores what follows it", v1("PROXY UNKNOWN whatever \u00ff\r\n"), null, null),
                Arguments.of("v2 PROXY TCP over IPv4", v2(PROXY, 0x11, ipv4("192.0.2.10", "198.51.100.1", 56324, 25)),
                        at("192.0.2.10", 56324), at("198.51.100.1", 25)),
                Arguments.of("v2 PROXY TCP over IPv4 with TLVs",
                        v2(PROXY, 0x11, ipv4("192.0.2.10", "198.51.100.1", 65535, 25),
                                tlv(0x01, "smtp"), tlv(0x05, "conn-1234"), tlv(0x04, "")),
                        at("192.0.2.10", 65535), at("198.51.100.1", 25)),
                Arguments.of("v2 PROXY TCP over IPv6", v2(PROXY, 0x21, ipv6("2001:db8::1", "2001:db8::25", 40000, 25)),
                        at("2001:db8::1", 40000), at("2001:db8::25", 25)),
                Arguments.of("v2 PROXY TCP over IPv6 with TLVs",
                        v2(PROXY, 0x21, ipv6("2001:db8::1", "2001:db8::25", 0, 587),
                                tlv(0x02, "mx.example.com"), tlv(0xEA, "vpce-0123456789abcdef")),
                        at("2001:db8::1", 0), at("2001:db8::25", 587)),
                Arguments.of("v2 LOCAL", v2(LOCAL, 0x00), null, null),
                Arguments.of("v2 LOCAL with an address block, skipped",
                        v2(LOCAL, 0x11, ipv4("10.0.0.1", "10.0.0.2", 1, 25)), null, null),
                Arguments.of("v2 LOCAL ignores the family, even AF_UNIX", v2(LOCAL, 0x31, new byte[216]), null, null),
                Arguments.of("v2 PROXY UNSPEC", v2(PROXY, 0x00), null, null),
                Arguments.of("v2 PROXY UNSPEC ignores its address information",
                        v2(PROXY, 0x00, ipv4("192.0.2.10", "198.51.100.1", 1, 25)), null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validHeaders")
    void readsTheClientAddressAndLeavesTheSmtpBytesUnread(String name, byte[] header, InetSocketAddress source,
            InetSocketAddress destination) throws IOException {
        InputStream in = new ByteArrayInputStream(concat(header, v1(SMTP)));

        ProxyHeader parsed = ProxyHeader.read(in);

        assertThat(parsed.source()).isEqualTo(Optional.ofNullable(source));
        assertThat(parsed.destination()).isEqualTo(Optional.ofNullable(destination));
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(SMTP);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validHeaders")
    void readsAHeaderThatArrivesOneByteAtATime(String name, byte[] header, InetSocketAddress source,
            InetSocketAddress destination) throws IOException {
        // Section 2: TCP may fragment the header; the recommendation is to be tolerant.
        InputStream in = new OneByteAtATime(new ByteArrayInputStream(concat(header, v1(SMTP))));

        ProxyHeader parsed = ProxyHeader.read(in);

        assertThat(parsed.source()).isEqualTo(Optional.ofNullable(source));
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(SMTP);
    }

    @Test
    void consumesExactlyTheV1LineSoTheSessionReadsTheFirstCommand() throws IOException {
        InputStream in = new ByteArrayInputStream(v1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 25\r\nEHLO x\r\n"));

        ProxyHeader.read(in);

        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("EHLO x\r\n");
    }

    @Test
    void consumesExactlyTheV2LengthSoTheSessionReadsTheFirstCommand() throws IOException {
        byte[] header = v2(PROXY, 0x21, ipv6("2001:db8::1", "2001:db8::25", 40000, 25), tlv(0x01, "smtp"));
        InputStream in = new ByteArrayInputStream(concat(header, v1("EHLO x\r\n")));

        ProxyHeader.read(in);

        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("EHLO x\r\n");
    }

    @Test
    void givesTheIpv4AddressForAnIpv4MappedV2Address() throws IOException {
        // As the JDK's own sockets do, so that trusted_networks written in IPv4 still match.
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        System.arraycopy(ip("192.0.2.10"), 0, mapped, 12, 4);
        byte[] block = concat(mapped, ip("2001:db8::25"), new byte[] {0, 25, 0, 25});

        ProxyHeader parsed = ProxyHeader.read(new ByteArrayInputStream(v2(PROXY, 0x21, block)));

        assertThat(parsed.source().orElseThrow().getAddress()).isInstanceOf(Inet4Address.class)
                .isEqualTo(InetAddress.getByName("192.0.2.10"));
    }

    // --- what must drop the connection

    static Stream<Arguments> invalidHeaders() throws IOException {
        return Stream.of(
                // v1: framing
                Arguments.of("v1 longer than 107 bytes", v1(longestV1Line().replace("\r\n", "0\r\n")), "107"),
                Arguments.of("v1 without CRLF, endless", v1("PROXY TCP4 " + "1".repeat(200)), "no CRLF within 107"),
                Arguments.of("v1 ended by a bare LF", v1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 25\nEHLO x\r\n"),
                        "bare LF"),
                Arguments.of("v1 ended by a bare CR", v1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 25\rEHLO x\r\n"),
                        "bare CR"),
                Arguments.of("v1 closed before CRLF", v1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 25"),
                        "connection closed inside the PROXY header"),
                Arguments.of("v1 in lower case", v1("proxy TCP4 192.0.2.10 198.51.100.1 56324 25\r\n"),
                        "not a PROXY header"),
                Arguments.of("v1 without the space after PROXY", v1("PROXYTCP4 192.0.2.10 198.51.100.1 1 25\r\n"),
                        "not a PROXY header"),
                Arguments.of("v1 with two spaces", v1("PROXY TCP4  192.0.2.10 198.51.100.1 56324 25\r\n"),
                        "single spaces"),
                Arguments.of("v1 with a trailing space", v1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 25 \r\n"),
                        "single spaces"),
                Arguments.of("v1 with a port missing", v1("PROXY TCP4 192.0.2.10 198.51.100.1 56324\r\n"),
                        "single spaces"),
                Arguments.of("v1 with another protocol", v1("PROXY UDP4 192.0.2.10 198.51.100.1 56324 25\r\n"),
                        "\"UDP4\" is none of TCP4, TCP6, UNKNOWN"),
                Arguments.of("v1 UNKNOWN run on", v1("PROXY UNKNOWNX\r\n"), "\"UNKNOWNX\" is none of"),
                Arguments.of("v1 with no protocol", v1("PROXY \r\n"), "\"\" is none of"),
                // v1: addresses
                Arguments.of("v1 octet above 255", v1("PROXY TCP4 256.0.2.10 198.51.100.1 56324 25\r\n"),
                        "source address \"256.0.2.10\" is not an IPv4 address"),
                Arguments.of("v1 octet with a leading zero", v1("PROXY TCP4 192.0.2.010 198.51.100.1 56324 25\r\n"),
                        "\"192.0.2.010\" is not an IPv4 address"),
                Arguments.of("v1 three octets", v1("PROXY TCP4 192.0.2 198.51.100.1 56324 25\r\n"),
                        "\"192.0.2\" is not an IPv4 address"),
                Arguments.of("v1 empty octet", v1("PROXY TCP4 192.0..10 198.51.100.1 56324 25\r\n"),
                        "\"192.0..10\" is not an IPv4 address"),
                Arguments.of("v1 IPv4 as an integer", v1("PROXY TCP4 3221225994 198.51.100.1 56324 25\r\n"),
                        "\"3221225994\" is not an IPv4 address"),
                Arguments.of("v1 TCP4 with an IPv6 address", v1("PROXY TCP4 2001:db8::1 198.51.100.1 56324 25\r\n"),
                        "\"2001:db8::1\" is not an IPv4 address"),
                Arguments.of("v1 TCP6 with an IPv4 address", v1("PROXY TCP6 2001:db8::1 198.51.100.1 56324 25\r\n"),
                        "destination address \"198.51.100.1\" is not an IPv6 address"),
                Arguments.of("v1 TCP6 with two double colons", v1("PROXY TCP6 1::2::3 2001:db8::25 56324 25\r\n"),
                        "\"1::2::3\" is not an IPv6 address"),
                Arguments.of("v1 TCP6 with nine groups", v1("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 56324 25\r\n"),
                        "\"1:2:3:4:5:6:7:8:9\" is not an IPv6 address"),
                Arguments.of("v1 TCP6 with a zone", v1("PROXY TCP6 fe80::1%eth0 ::1 56324 25\r\n"),
                        "\"fe80::1%eth0\" is not an IPv6 address"),
                Arguments.of("v1 TCP6 in brackets", v1("PROXY TCP6 [2001:db8::1] ::1 56324 25\r\n"),
                        "\"[2001:db8::1]\" is not an IPv6 address"),
                Arguments.of("v1 TCP4 with a name", v1("PROXY TCP4 localhost 198.51.100.1 56324 25\r\n"),
                        "\"localhost\" is not an IPv4 address"),
                Arguments.of("v1 TCP4 with a dotted name", v1("PROXY TCP4 mx.example.com 198.51.100.1 56324 25\r\n"),
                        "\"mx.example.com\" is not an IPv4 address"),
                Arguments.of("v1 TCP6 with a name", v1("PROXY TCP6 localhost ::1 56324 25\r\n"),
                        "\"localhost\" is not an IPv6 address"),
                Arguments.of("v1 TCP6 with a hex-only name", v1("PROXY TCP6 cafe.dead.beef ::1 56324 25\r\n"),
                        "\"cafe.dead.beef\" is not an IPv6 address"),
                Arguments.of("v1 with a non-ASCII byte in an address",
                        v1("PROXY TCP4 192.0.2.1\u00b9 198.51.100.1 56324 25\r\n"), "\"192.0.2.1\\xb9\""),
                // v1: ports
                Arguments.of("v1 port above 65535", v1("PROXY TCP4 192.0.2.10 198.51.100.1 65536 25\r\n"),
                        "source port \"65536\" is not a decimal number"),
                Arguments.of("v1 port with a leading zero", v1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 025\r\n"),
                        "destination port \"025\""),
                Arguments.of("v1 port with a plus sign", v1("PROXY TCP4 192.0.2.10 198.51.100.1 +25 25\r\n"),
                        "source port \"+25\""),
                Arguments.of("v1 negative port", v1("PROXY TCP4 192.0.2.10 198.51.100.1 -1 25\r\n"),
                        "source port \"-1\""),
                Arguments.of("v1 port in hex", v1("PROXY TCP4 192.0.2.10 198.51.100.1 0x19 25\r\n"),
                        "source port \"0x19\""),
                Arguments.of("v1 port of six digits", v1("PROXY TCP4 192.0.2.10 198.51.100.1 100000 25\r\n"),
                        "source port \"100000\""),
                // neither version
                Arguments.of("plain SMTP", v1("EHLO x\r\n"), "not a PROXY header: the connection starts with 'E'"),
                Arguments.of("TLS", new byte[] {0x16, 0x03, 0x01, 0x00}, "byte 0x16"),
                Arguments.of("nothing at all", new byte[0], "connection closed before the PROXY header"),
                // v2
                Arguments.of("v2 with a bad signature", badSignature(), "not the v2 signature"),
                Arguments.of("v2 version 1", v2(0x11, 0x11, ipv4("192.0.2.10", "198.51.100.1", 1, 25)),
                        "version 1, only 2"),
                Arguments.of("v2 version 3", v2(0x31, 0x11, ipv4("192.0.2.10", "198.51.100.1", 1, 25)),
                        "version 3, only 2"),
                Arguments.of("v2 unassigned command", v2(0x22, 0x11, ipv4("192.0.2.10", "198.51.100.1", 1, 25)),
                        "command 0x02"),
                Arguments.of("v2 length over our bound",
                        v2(PROXY, 0x11, ipv4("192.0.2.10", "198.51.100.1", 1, 25),
                                new byte[ProxyHeader.V2_MAX_LENGTH + 1 - 12]),
                        "announces 2049 bytes"),
                Arguments.of("v2 length over our bound, not sent", withLength(v2(PROXY, 0x11), 0xFFFF),
                        "announces 65535 bytes"),
                Arguments.of("v2 cut in the fixed part", Arrays.copyOf(v2(PROXY, 0x11), 14),
                        "connection closed inside the PROXY header, after 14 bytes"),
                Arguments.of("v2 cut in the signature", Arrays.copyOf(v2(PROXY, 0x11), 5),
                        "connection closed inside the PROXY header, after 5 bytes"),
                Arguments.of("v2 cut in the addresses",
                        Arrays.copyOf(v2(PROXY, 0x21, ipv6("2001:db8::1", "2001:db8::25", 1, 25)), 30),
                        "connection closed inside the PROXY header, after 30 bytes"),
                Arguments.of("v2 length shorter than IPv4 addresses",
                        v2(PROXY, 0x11, Arrays.copyOf(ipv4("192.0.2.10", "198.51.100.1", 1, 25), 8)),
                        "has 8 address bytes, fewer than the 12"),
                Arguments.of("v2 length shorter than IPv6 addresses",
                        v2(PROXY, 0x21, ipv4("192.0.2.10", "198.51.100.1", 1, 25)),
                        "has 12 address bytes, fewer than the 36"),
                Arguments.of("v2 UDP over IPv4", v2(PROXY, 0x12, ipv4("192.0.2.10", "198.51.100.1", 1, 25)),
                        "family and transport 0x12"),
                Arguments.of("v2 UDP over IPv6", v2(PROXY, 0x22, ipv6("2001:db8::1", "2001:db8::25", 1, 25)),
                        "family and transport 0x22"),
                Arguments.of("v2 AF_UNIX stream", v2(PROXY, 0x31, new byte[216]), "family and transport 0x31"),
                Arguments.of("v2 AF_UNIX datagram", v2(PROXY, 0x32, new byte[216]), "family and transport 0x32"),
                Arguments.of("v2 unassigned family", v2(PROXY, 0x41, new byte[36]), "family and transport 0x41"),
                Arguments.of("v2 IPv4 without transport", v2(PROXY, 0x10, ipv4("192.0.2.10", "198.51.100.1", 1, 25)),
                        "family and transport 0x10"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidHeaders")
    void refusesWhatIsNotExactlyAHeader(String name, byte[] wire, String reason) {
        assertThatThrownBy(() -> ProxyHeader.read(new ByteArrayInputStream(wire)))
                .isInstanceOf(ProxyProtocolException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void refusesAnOversizedV2LengthBeforeReadingTheBlock() throws IOException {
        InputStream in = new ByteArrayInputStream(concat(withLength(v2(PROXY, 0x11), 0xFFFF), v1(SMTP)));

        assertThatThrownBy(() -> ProxyHeader.read(in)).isInstanceOf(ProxyProtocolException.class);
        assertThat(in.available()).isEqualTo(SMTP.length());
    }

    @Test
    void quotesTheOffendingLineWithControlCharactersEscaped() {
        byte[] wire = v1("PROXY TCP4 192.0.2.10\u0000 198.51.100.1 56324 25\r\n");

        assertThatThrownBy(() -> ProxyHeader.read(new ByteArrayInputStream(wire)))
                .hasMessageContaining("\"PROXY TCP4 192.0.2.10\\x00 198.51.100.1 56324 25\"");
    }

    // --- building the wire

    /** Section 2.1's worst case: exactly 107 bytes with CRLF. */
    private static String longestV1Line() {
        String ipv6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        String line = "PROXY UNKNOWN " + ipv6 + " " + ipv6 + " 65535 65535\r\n";
        assertThat(line).hasSize(107);
        return line;
    }

    private static byte[] v1(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Section 2.2: signature, version and command, family and transport, length, then the block. */
    private static byte[] v2(int versionAndCommand, int family, byte[]... block) {
        byte[] body = concat(block);
        byte[] fixed = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
            (byte) versionAndCommand, (byte) family, (byte) (body.length >>> 8), (byte) body.length};
        return concat(fixed, body);
    }

    private static byte[] withLength(byte[] header, int length) {
        byte[] copy = header.clone();
        copy[14] = (byte) (length >>> 8);
        copy[15] = (byte) length;
        return copy;
    }

    private static byte[] badSignature() {
        byte[] header = v2(PROXY, 0x00);
        header[10] = 'X'; // "QUIX"
        return header;
    }

    private static byte[] ipv4(String source, String destination, int sourcePort, int destinationPort)
            throws UnknownHostException {
        return concat(ip(source), ip(destination), ports(sourcePort, destinationPort));
    }

    private static byte[] ipv6(String source, String destination, int sourcePort, int destinationPort)
            throws UnknownHostException {
        return concat(ip(source), ip(destination), ports(sourcePort, destinationPort));
    }

    private static byte[] ports(int source, int destination) {
        return new byte[] {(byte) (source >>> 8), (byte) source, (byte) (destination >>> 8), (byte) destination};
    }

    private static byte[] tlv(int type, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return concat(new byte[] {(byte) type, (byte) (bytes.length >>> 8), (byte) bytes.length}, bytes);
    }

    /** A literal, so no lookup happens. */
    private static byte[] ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal).getAddress();
    }

    private static InetSocketAddress at(String literal, int port) throws UnknownHostException {
        return new InetSocketAddress(InetAddress.getByName(literal), port);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** A connection whose segments carry one byte each. */
    private static final class OneByteAtATime extends FilterInputStream {

        OneByteAtATime(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return super.read(buffer, offset, Math.min(length, 1));
        }
    }
}
