package net.gatehouse.smtp.protocol;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static net.gatehouse.smtp.protocol.FuzzChecks.check;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HexFormat;
import net.gatehouse.smtp.protocol.ProxyHeader.ProxyProtocolException;

/**
 * Fuzzes {@link ProxyHeader#read} with the first bytes of a connection (issue 11), delivered in
 * small reads as a socket may deliver them.
 *
 * <p>Invariants: the only failure is {@link ProxyProtocolException}, never another exception;
 * it never reads more than a header can be (107 bytes for v1, 16 + 2048 for v2), and a header it
 * accepts ends exactly where it stopped reading (at the v1 CRLF, or after the length the v2 header
 * announces), so the SMTP session reads on from the first byte after it; the addresses it returns,
 * written as a v1 line and read again, are the same; an accepted v1 TCP4 line is already in that
 * form (the grammar allows one spelling of each number).
 */
class ProxyHeaderFuzzTest {

    private static final int V1_MAX = 107;
    private static final int V2_MAX = 16 + ProxyHeader.V2_MAX_LENGTH;

    @FuzzTest
    @DictionaryFile(resourcePath = "proxy.dict")
    void readsOneHeaderAndNotAByteMore(byte[] connection) throws IOException {
        Trickle in = new Trickle(connection, 1 + connection.length % 13);
        ProxyHeader header;
        try {
            header = ProxyHeader.read(in);
        } catch (ProxyProtocolException refused) {
            check(in.consumed <= V2_MAX, "read " + in.consumed + " bytes before refusing", hex(connection));
            return;
        }
        int consumed = in.consumed;
        byte[] taken = Arrays.copyOf(connection, consumed);
        if (connection[0] == 'P') {
            check(consumed <= V1_MAX, "v1 header of " + consumed + " bytes", hex(connection));
            int crlf = indexOf(taken, new byte[] {'\r', '\n'});
            check(crlf == consumed - 2, "v1 header read up to " + consumed + ", its CRLF is at " + crlf, hex(connection));
            String line = new String(taken, 0, consumed - 2, US_ASCII);
            if (line.startsWith("PROXY TCP4 ")) {
                check(line.equals(v1Line(header)), "TCP4 line read as " + header, hex(connection));
            }
        } else {
            int announced = ((connection[14] & 0xFF) << 8) | (connection[15] & 0xFF);
            check(consumed == 16 + announced, "v2 header announcing " + announced + " bytes read as "
                    + consumed, hex(connection));
        }
        check(header.source().isPresent() == header.destination().isPresent(), "one address without the other",
                hex(connection));
        if (header.source().isPresent()) {
            byte[] again = v1Line(header).concat("\r\n").getBytes(US_ASCII);
            ProxyHeader reread = ProxyHeader.read(new Trickle(again, again.length));
            check(reread.equals(header), "written as " + v1Line(header) + " it reads as " + reread, hex(connection));
        }
    }

    /** The header as a v1 line, without CRLF: the text form of the addresses the JDK prints. */
    private static String v1Line(ProxyHeader header) {
        InetSocketAddress source = header.source().orElseThrow();
        InetSocketAddress destination = header.destination().orElseThrow();
        boolean v4 = source.getAddress() instanceof Inet4Address && destination.getAddress() instanceof Inet4Address;
        return "PROXY " + (v4 ? "TCP4 " : "TCP6 ") + text(source, v4) + " " + text(destination, v4) + " "
                + source.getPort() + " " + destination.getPort();
    }

    private static String text(InetSocketAddress address, boolean v4) {
        String literal = address.getAddress().getHostAddress();
        // an IPv4 address in a TCP6 line (one side mapped, the other not) takes the mapped form
        return v4 || literal.indexOf(':') >= 0 ? literal : "::ffff:" + literal;
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        return -1;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** The bytes, at most {@code chunk} per read, counting what was taken; then end of stream. */
    private static final class Trickle extends InputStream {
        private final byte[] bytes;
        private final int chunk;
        int consumed;

        Trickle(byte[] bytes, int chunk) {
            this.bytes = bytes;
            this.chunk = chunk;
        }

        @Override
        public int read() {
            return consumed < bytes.length ? bytes[consumed++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (consumed == bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(length, chunk), bytes.length - consumed);
            System.arraycopy(bytes, consumed, buffer, offset, n);
            consumed += n;
            return n;
        }
    }
}
