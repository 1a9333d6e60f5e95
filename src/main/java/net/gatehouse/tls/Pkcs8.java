package net.gatehouse.tls;

import java.util.HexFormat;

/**
 * Rewraps OpenSSL's traditional private-key encodings as PKCS#8 PrivateKeyInfo (RFC 5208
 * section 5), the one encoding the JDK's {@code KeyFactory} reads.
 */
final class Pkcs8 {

    private static final byte[] VERSION_0 = {Der.INTEGER, 1, 0};
    // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }: RFC 8017 appendix A.1
    private static final byte[] RSA_ENCRYPTION = HexFormat.of().parseHex("300d06092a864886f70d0101010500");
    // id-ecPublicKey (1.2.840.10045.2.1), RFC 5480 section 2.1.1; the curve follows it
    private static final byte[] ID_EC_PUBLIC_KEY = HexFormat.of().parseHex("06072a8648ce3d0201");

    private Pkcs8() {
    }

    /** From a PKCS#1 RSAPrivateKey ({@code BEGIN RSA PRIVATE KEY}). */
    static byte[] fromPkcs1(byte[] rsaPrivateKey) {
        return Der.encode(Der.SEQUENCE, VERSION_0, RSA_ENCRYPTION, Der.encode(Der.OCTET_STRING, rsaPrivateKey));
    }

    /**
     * From a SEC1 ECPrivateKey ({@code BEGIN EC PRIVATE KEY}, RFC 5915). PKCS#8 names the curve in
     * the AlgorithmIdentifier, so it is copied there from the key's own {@code [0]} parameters.
     */
    static byte[] fromSec1(byte[] ecPrivateKey) {
        byte[] curve = Der.decode(ecPrivateKey).children().stream()
                .filter(element -> element.tag() == Der.CONTEXT_0)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the key does not name its curve"))
                .content();
        byte[] algorithm = Der.encode(Der.SEQUENCE, ID_EC_PUBLIC_KEY, curve);
        return Der.encode(Der.SEQUENCE, VERSION_0, algorithm, Der.encode(Der.OCTET_STRING, ecPrivateKey));
    }
}
