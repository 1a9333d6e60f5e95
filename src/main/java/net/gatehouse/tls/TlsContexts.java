package net.gatehouse.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;
import net.gatehouse.config.TlsConfig;

/**
 * TLS for SMTP: the server context for STARTTLS, built from PEM files; the client context for
 * opportunistic STARTTLS towards other mail servers; and the upgrade of a connected socket.
 *
 * <p>Only TLS 1.2 and 1.3 are spoken (RFC 8996 retires 1.0 and 1.1). An {@link SSLContext} cannot
 * carry that restriction, so {@link #startTls} applies it to each socket: upgrade sockets with it
 * rather than with the context's own factories.
 *
 * <p>As a server, only AEAD cipher suites with forward secrecy (RFC 9325 section 4.2): no CBC
 * (LUCKY13 and its kind), and no client-initiated renegotiation, which costs the server a full
 * handshake for each one a client asks for. Senders that know no AEAD suite (none current does)
 * then deliver in plaintext, as SMTP allows, rather than over a weak channel. As a client, towards
 * whatever MX a message is for, the JDK's defaults stay: opportunistic TLS is better than none.
 */
public final class TlsContexts {

    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** TLS 1.3's suites, then TLS 1.2's ECDHE and DHE suites with AES-GCM or ChaCha20-Poly1305. */
    static final List<String> SERVER_CIPHER_SUITES = List.of(
            "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    static {
        refuseClientInitiatedRenegotiation();
    }

    /**
     * JSSE reads this property once, when its handshake classes first load, and has no per-socket
     * setting: it must be set before anything in the process does TLS. {@code cli.Main} calls this
     * first thing; this class calls it again for a gateway embedded in another program.
     */
    public static void refuseClientInitiatedRenegotiation() {
        System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
    }

    private TlsContexts() {
    }

    /**
     * The server context for {@code config}: the certificate chain (PEM, the server's own
     * certificate first, then its issuers) and its unencrypted private key (PEM: PKCS#8
     * {@code PRIVATE KEY}, or OpenSSL's traditional {@code RSA PRIVATE KEY} or
     * {@code EC PRIVATE KEY}; RSA, EC or Ed25519).
     *
     * @throws TlsConfigException if a file is missing or unreadable, holds no usable block, the key
     *     is encrypted, or the key does not belong to the first certificate
     */
    public static SSLContext server(TlsConfig config) throws TlsConfigException {
        List<X509Certificate> chain = readChain(config.cert());
        X509Certificate leaf = chain.getFirst();
        String keyType = leaf.getPublicKey().getAlgorithm();
        String signatureAlgorithm = switch (keyType) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> throw new TlsConfigException(config.cert(),
                    "the certificate's key type " + keyType + " is not supported; use RSA, EC or Ed25519");
        };
        PrivateKey key = readKey(config.key(), keyType);
        if (!signsFor(key, leaf.getPublicKey(), signatureAlgorithm)) {
            throw new TlsConfigException(config.key(),
                    "the private key does not belong to the first certificate in " + config.cert());
        }
        try {
            // The key store never leaves memory, so its password protects nothing; the API wants one.
            char[] password = "in-memory".toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("gatehouse", key, password, chain.toArray(Certificate[]::new));
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsConfigException(config.cert(), "cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * A client context that trusts the CAs in {@code caFile} (PEM, one or more certificates), or the
     * JDK's trusted CAs when there is none: for servers of the administrator's own CA, such as a
     * directory's LDAPS ({@code ca_file}) or a cluster's Redis ({@code rediss://...?ca_file=}). The
     * caller checks the host name (endpoint identification); this context only chooses the anchors.
     *
     * @throws IOException              the file cannot be read
     * @throws GeneralSecurityException the file holds no certificate, or one that cannot be read
     */
    public static SSLContext trusting(Optional<Path> caFile) throws IOException, GeneralSecurityException {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caFile.isPresent()) {
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            try (InputStream in = Files.newInputStream(caFile.get())) {
                int i = 0;
                for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    anchors.setCertificateEntry("ca-" + i++, certificate);
                }
                if (i == 0) {
                    throw new GeneralSecurityException("no certificate in it");
                }
            }
            trust.init(anchors);
        } else {
            trust.init((KeyStore) null); // the JDK's trusted CAs
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /**
     * The client context for opportunistic STARTTLS (RFC 7435; Postfix's
     * {@code smtp_tls_security_level = may}): encrypt whenever the server offers it, whatever
     * certificate it shows. It presents no client certificate.
     */
    public static SSLContext opportunisticClient() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AnyServerCertificate()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK provides no TLS implementation", e);
        }
    }

    /**
     * Layers TLS over {@code plain}, a connected socket on which STARTTLS has just been answered
     * with 220 (RFC 3207), and completes the handshake. Only TLS 1.2 and 1.3 are enabled. Closing
     * the returned socket closes {@code plain}; a failed handshake closes both, as the connection
     * is unusable after it.
     *
     * <p>The handshake is bounded by {@code plain}'s read timeout, which the caller sets. A server
     * must first discard any plaintext it has read past the STARTTLS command: a client could
     * otherwise inject commands that seem to arrive over TLS (CVE-2011-0411).
     *
     * @param clientMode true when this end sent STARTTLS, false when it answered it
     * @param peerHost   the server's host name in client mode, sent as SNI (RFC 6066 section 3) when
     *                   it is not an address; in server mode it may be null
     */
    public static SSLSocket startTls(Socket plain, SSLContext context, boolean clientMode, String peerHost)
            throws IOException {
        String host = Objects.requireNonNullElseGet(peerHost, () -> plain.getInetAddress().getHostAddress());
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, host, plain.getPort(), true);
        try {
            tls.setUseClientMode(clientMode);
            tls.setEnabledProtocols(PROTOCOLS.clone());
            if (!clientMode) {
                tls.setEnabledCipherSuites(SERVER_CIPHER_SUITES.toArray(String[]::new));
            }
            tls.startHandshake();
            return tls;
        } catch (IOException | RuntimeException e) {
            try {
                tls.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static List<X509Certificate> readChain(Path file) throws TlsConfigException {
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("this JDK cannot read X.509 certificates", e);
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Pem.Block block : Pem.read(file)) {
            if (!block.label().equals("CERTIFICATE")) {
                continue;
            }
            try {
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
            } catch (CertificateException e) {
                throw new TlsConfigException(file, "CERTIFICATE block " + (chain.size() + 1)
                        + " is not a valid X.509 certificate: " + e.getMessage(), e);
            }
        }
        if (chain.isEmpty()) {
            throw new TlsConfigException(file, "no CERTIFICATE block found");
        }
        for (int i = 0; i + 1 < chain.size(); i++) {
            X500Principal issuer = chain.get(i).getIssuerX500Principal();
            X500Principal next = chain.get(i + 1).getSubjectX500Principal();
            if (!issuer.equals(next)) {
                throw new TlsConfigException(file, "certificate " + (i + 1) + " was issued by " + issuer.getName()
                        + ", not by certificate " + (i + 2) + ", " + next.getName()
                        + "; list the server's certificate first, then each issuer in turn");
            }
        }
        return chain;
    }

    /** The key in {@code file}, read as {@code keyType}: the type of the certificate's public key. */
    private static PrivateKey readKey(Path file, String keyType) throws TlsConfigException {
        List<Pem.Block> keys =
                Pem.read(file).stream().filter(block -> block.label().endsWith("PRIVATE KEY")).toList();
        if (keys.size() != 1) {
            throw new TlsConfigException(file, keys.isEmpty() ? "no PRIVATE KEY block found"
                    : "more than one PRIVATE KEY block; keep only the server's key");
        }
        Pem.Block block = keys.getFirst();
        boolean encrypted = block.label().equals("ENCRYPTED PRIVATE KEY") || block.headers().stream()
                .anyMatch(header -> header.startsWith("Proc-Type:") && header.contains("ENCRYPTED"));
        if (encrypted) {
            throw new TlsConfigException(file, "encrypted private keys are not supported; decrypt it with 'openssl "
                    + "pkey -in " + file + " -out key-plain.pem' and make that file readable by Gatehouse only");
        }
        byte[] pkcs8;
        try {
            pkcs8 = switch (block.label()) {
                case "PRIVATE KEY" -> block.der();
                case "RSA PRIVATE KEY" -> Pkcs8.fromPkcs1(block.der());
                case "EC PRIVATE KEY" -> Pkcs8.fromSec1(block.der());
                default -> throw new TlsConfigException(file, block.label() + " blocks are not supported; convert "
                        + "the key with 'openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key-pkcs8.pem'");
            };
        } catch (IllegalArgumentException e) {
            throw new TlsConfigException(file, "malformed " + block.label() + " block: " + e.getMessage(), e);
        }
        try {
            return KeyFactory.getInstance(keyType).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException(file, "the certificate's key is " + keyType
                    + ", but this is not a valid " + keyType + " private key: " + e.getMessage(), e);
        }
    }

    /** Whether {@code key} makes signatures that {@code publicKey} verifies: the two are a pair. */
    private static boolean signsFor(PrivateKey key, PublicKey publicKey, String algorithm) {
        byte[] challenge = "gatehouse key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signer.sign());
        } catch (GeneralSecurityException e) {
            // Keys of different curves or sizes fail here rather than verifying to false.
            return false;
        }
    }

    /**
     * Accepts any server certificate. Right for opportunistic TLS (RFC 7435): its aim is to defeat
     * passive eavesdropping, and refusing a certificate that cannot be verified (self-signed, or
     * naming another host, as many MX certificates do, under an MX name from unauthenticated DNS)
     * would only send the mail in plaintext instead. Authenticated delivery is the job of DANE or
     * MTA-STS. Extends {@link X509ExtendedTrustManager} so the JDK does not add checks of its own.
     */
    private static final class AnyServerCertificate extends X509ExtendedTrustManager {

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("this context is for clients only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("this context is for clients only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("this context is for clients only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
