package net.gatehouse.tls;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Just enough ASN.1 DER (X.690) to rewrap OpenSSL's traditional private keys as PKCS#8:
 * single-byte tags and definite lengths, which is all those structures use.
 */
final class Der {

    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int SEQUENCE = 0x30;
    /** {@code [0]} constructed, context-specific: where SEC1 keeps the curve. */
    static final int CONTEXT_0 = 0xa0;

    /** One element: its tag and the bytes its length covers. */
    record Tlv(int tag, byte[] content) {

        byte[] encoded() {
            return encode(tag, content);
        }

        /** The elements inside a constructed element such as a SEQUENCE. */
        List<Tlv> children() {
            return parse(content);
        }
    }

    private Der() {
    }

    /** The single element that {@code der} holds, with nothing after it. */
    static Tlv decode(byte[] der) {
        List<Tlv> elements = parse(der);
        if (elements.size() != 1) {
            throw new IllegalArgumentException("expected one DER element, found " + elements.size());
        }
        return elements.getFirst();
    }

    /** An element with the given tag whose content is the concatenation of {@code parts}. */
    static byte[] encode(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        int length = content.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
        out.write(tag);
        if (length < 0x80) {
            out.write(length);
        } else {
            int lengthBytes = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | lengthBytes);
            for (int shift = 8 * (lengthBytes - 1); shift >= 0; shift -= 8) {
                out.write(length >>> shift);
            }
        }
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    private static List<Tlv> parse(byte[] der) {
        List<Tlv> elements = new ArrayList<>();
        int pos = 0;
        while (pos < der.length) {
            if (der.length - pos < 2) {
                throw new IllegalArgumentException("truncated DER element at offset " + pos);
            }
            int tag = der[pos++] & 0xff;
            if ((tag & 0x1f) == 0x1f) {
                throw new IllegalArgumentException("unexpected multi-byte DER tag at offset " + (pos - 1));
            }
            int length = der[pos++] & 0xff;
            if (length >= 0x80) {
                int lengthBytes = length & 0x7f;
                // Three length bytes cover 16 MiB, far beyond any key, and cannot overflow an int.
                if (lengthBytes == 0 || lengthBytes > 3 || der.length - pos < lengthBytes) {
                    throw new IllegalArgumentException("bad DER length at offset " + (pos - 1));
                }
                length = 0;
                for (int i = 0; i < lengthBytes; i++) {
                    length = length << 8 | der[pos++] & 0xff;
                }
            }
            if (length > der.length - pos) {
                throw new IllegalArgumentException("truncated DER element at offset " + pos);
            }
            elements.add(new Tlv(tag, Arrays.copyOfRange(der, pos, pos + length)));
            pos += length;
        }
        return elements;
    }
}
