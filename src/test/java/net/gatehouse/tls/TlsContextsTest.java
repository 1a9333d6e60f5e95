package net.gatehouse.tls;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static net.gatehouse.tls.SelfSignedCertificateTest.readCertificate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import net.gatehouse.config.TlsConfig;
import net.gatehouse.tls.SelfSignedCertificate.KeyType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class TlsContextsTest {

    private static final int TIMEOUT_MILLIS = 10_000;
    private static final String STORE_PASSWORD = "test-only";
    private static final ClientUpgrade OPPORTUNISTIC =
            plain -> TlsContexts.startTls(plain, TlsContexts.opportunisticClient(), true, "localhost");

    @TempDir
    static Path dir;
    static Path cert;
    static Path key;

    static Path caCert;
    static Path caSignedCert;
    static Path caSignedKey;
    static Path caSignedChain;

    @BeforeAll
    static void createPairs() throws Exception {
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        SelfSignedCertificate.create(cert, key, "localhost");
        createCaSignedPair();
    }

    // --- handshakes

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void upgradesConnectionAfterStartTlsWithEachKeyType(KeyType type) throws Exception {
        Path typeCert = dir.resolve(type + "-cert.pem");
        Path typeKey = dir.resolve(type + "-key.pem");
        SelfSignedCertificate.create(typeCert, typeKey, "localhost", type);

        Echo echo = startTlsAndEcho(TlsContexts.server(new TlsConfig(typeCert, typeKey)), OPPORTUNISTIC);

        assertThat(echo.line()).isEqualTo("EHLO client.example.test");
        assertThat(echo.clientSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(echo.clientSession().getPeerCertificates()).containsExactly(readCertificate(typeCert));
    }

    @Test
    void upgradedSocketsEnableOnlyTls12And13() throws Exception {
        Echo echo = startTlsAndEcho(TlsContexts.server(new TlsConfig(cert, key)), OPPORTUNISTIC);

        assertThat(echo.serverProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
    }

    @Test
    void servesClientsThatSpeakOnlyTls12() throws Exception {
        ClientUpgrade tls12Only = plain -> {
            SSLSocket tls = (SSLSocket) TlsContexts.opportunisticClient().getSocketFactory()
                    .createSocket(plain, "localhost", plain.getPort(), true);
            tls.setEnabledProtocols(new String[] {"TLSv1.2"});
            tls.startHandshake();
            return tls;
        };

        Echo echo = startTlsAndEcho(TlsContexts.server(new TlsConfig(cert, key)), tls12Only);

        assertThat(echo.clientSession().getProtocol()).isEqualTo("TLSv1.2");
    }

    @Test
    void refusesAClientThatOffersOnlyCbcSuites() {
        ClientUpgrade cbcOnly = plain -> {
            SSLSocket tls = (SSLSocket) TlsContexts.opportunisticClient().getSocketFactory()
                    .createSocket(plain, "localhost", plain.getPort(), true);
            tls.setEnabledProtocols(new String[] {"TLSv1.2"});
            tls.setEnabledCipherSuites(new String[] {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA"});
            tls.startHandshake();
            return tls;
        };

        assertThatThrownBy(() -> startTlsAndEcho(TlsContexts.server(new TlsConfig(cert, key)), cbcOnly))
                .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }

    @Test
    void offersOnlyAeadSuitesWithForwardSecrecyAsAServer() {
        assertThat(TlsContexts.SERVER_CIPHER_SUITES).allSatisfy(suite -> {
            assertThat(suite).doesNotContain("CBC").doesNotStartWith("TLS_RSA_");
            assertThat(suite).containsAnyOf("GCM", "CHACHA20");
        });
    }

    @Test
    void refusesRenegotiationThatTheClientStarts() throws Exception {
        SSLContext server = TlsContexts.server(new TlsConfig(cert, key));
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            listener.setSoTimeout(TIMEOUT_MILLIS);
            executor.submit(() -> { // echoes lines over TLS until the client goes
                try (Socket plain = listener.accept()) {
                    plain.setSoTimeout(TIMEOUT_MILLIS);
                    SSLSocket tls = TlsContexts.startTls(plain, server, false, null);
                    for (String line = readLine(tls); line != null; line = readLine(tls)) {
                        write(tls, line);
                    }
                }
                return null;
            });
            try (Socket plain = new Socket(listener.getInetAddress(), listener.getLocalPort())) {
                plain.setSoTimeout(TIMEOUT_MILLIS);
                SSLSocket tls = (SSLSocket) TlsContexts.opportunisticClient().getSocketFactory()
                        .createSocket(plain, "localhost", plain.getPort(), true);
                tls.setEnabledProtocols(new String[] {"TLSv1.2"}); // TLS 1.3 has no renegotiation at all
                tls.startHandshake();
                write(tls, "NOOP");
                assertThat(readLine(tls)).isEqualTo("NOOP");

                assertThatThrownBy(() -> {
                    tls.startHandshake(); // a second handshake on the same TLS 1.2 connection
                    write(tls, "NOOP");
                    readLine(tls);
                }).isInstanceOfAny(javax.net.ssl.SSLException.class, java.net.SocketException.class);
            }
        }
    }

    @Test
    void opportunisticClientAcceptsSelfSignedCertificateNamingAnotherHost() throws Exception {
        ClientUpgrade toOtherName =
                plain -> TlsContexts.startTls(plain, TlsContexts.opportunisticClient(), true, "mx.example.test");

        Echo echo = startTlsAndEcho(TlsContexts.server(new TlsConfig(cert, key)), toOtherName);

        assertThat(echo.line()).isEqualTo("EHLO client.example.test");
    }

    @Test
    void sendsTheWholeChainServerCertificateFirst() throws Exception {
        Echo echo = startTlsAndEcho(TlsContexts.server(new TlsConfig(caSignedChain, caSignedKey)), OPPORTUNISTIC);

        assertThat(echo.clientSession().getPeerCertificates())
                .extracting(c -> ((X509Certificate) c).getSubjectX500Principal().getName())
                .containsExactly("CN=localhost", "CN=Gatehouse Test CA");
    }

    @Test
    void closesTheConnectionWhenTheHandshakeFails() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket plain = new Socket(listener.getInetAddress(), listener.getLocalPort());
                Socket notTls = listener.accept()) {
            plain.setSoTimeout(TIMEOUT_MILLIS);
            write(notTls, "554 5.5.1 this is not TLS");

            assertThatThrownBy(() -> TlsContexts.startTls(plain, TlsContexts.opportunisticClient(), true, "localhost"))
                    .isInstanceOf(SSLException.class);
            assertThat(plain.isClosed()).isTrue();
        }
    }

    // --- key formats

    @Test
    void readsTraditionalRsaKey() throws Exception {
        Path rsaCert = dir.resolve("rsa1-cert.pem");
        Path pkcs8 = dir.resolve("rsa1-key.pem");
        SelfSignedCertificate.create(rsaCert, pkcs8, "localhost", KeyType.RSA);
        Path pkcs1 = dir.resolve("rsa1-key-pkcs1.pem");
        Files.writeString(pkcs1, Pem.encode("RSA PRIVATE KEY", pkcs1(keyDer(pkcs8))));

        Echo echo = startTlsAndEcho(TlsContexts.server(new TlsConfig(rsaCert, pkcs1)), OPPORTUNISTIC);

        assertThat(echo.line()).isEqualTo("EHLO client.example.test");
    }

    @Test
    void readsTraditionalEcKey() throws Exception {
        Path sec1 = dir.resolve("key-sec1.pem");
        Files.writeString(sec1, Pem.encode("EC PRIVATE KEY", sec1(keyDer(key))));

        Echo echo = startTlsAndEcho(TlsContexts.server(new TlsConfig(cert, sec1)), OPPORTUNISTIC);

        assertThat(echo.line()).isEqualTo("EHLO client.example.test");
    }

    @ParameterizedTest
    @EnumSource(value = KeyType.class, names = {"RSA", "EC"})
    void readsTraditionalKeysWrittenByOpenssl(KeyType type) throws Exception {
        assertThat(Path.of("/usr/bin/openssl")).as("this test needs openssl (apt-get install openssl)").isExecutable();
        Path typeCert = dir.resolve(type + "-openssl-cert.pem");
        Path pkcs8 = dir.resolve(type + "-openssl-key.pem");
        SelfSignedCertificate.create(typeCert, pkcs8, "localhost", type);
        Path traditional = dir.resolve(type + "-openssl-traditional.pem");
        run(List.of("/usr/bin/openssl", "pkey", "-traditional",
                "-in", pkcs8.toString(), "-out", traditional.toString()));
        assertThat(Files.readString(traditional)).contains("-----BEGIN " + type + " PRIVATE KEY-----");

        Echo echo = startTlsAndEcho(TlsContexts.server(new TlsConfig(typeCert, traditional)), OPPORTUNISTIC);

        assertThat(echo.line()).isEqualTo("EHLO client.example.test");
    }

    // --- refusals, each naming the file at fault

    @Test
    void refusesMissingCertificateFile() {
        Path missing = dir.resolve("missing-cert.pem");

        assertRefused(missing, key, missing, "no such file");
    }

    @Test
    void refusesMissingKeyFile() {
        Path missing = dir.resolve("missing-key.pem");

        assertRefused(cert, missing, missing, "no such file");
    }

    @Test
    void refusesCertificateFileWithoutCertificateBlock() throws IOException {
        Path notPem = Files.writeString(dir.resolve("not-pem.pem"), "not a certificate\n");

        assertRefused(notPem, key, notPem, "no CERTIFICATE block found");
    }

    @Test
    void refusesKeyOfAnotherCertificate() throws IOException {
        Path otherKey = dir.resolve("other-key.pem");
        SelfSignedCertificate.create(dir.resolve("other-cert.pem"), otherKey, "localhost");

        assertRefused(cert, otherKey, otherKey, "the private key does not belong to the first certificate in " + cert);
    }

    @Test
    void refusesChainWithIssuerBeforeServerCertificate() throws IOException {
        Path reversed = Files.writeString(dir.resolve("chain-reversed.pem"),
                Files.readString(caCert) + Files.readString(caSignedCert));

        assertRefused(reversed, caSignedKey, reversed, "certificate 1 was issued by CN=Gatehouse Test CA, "
                + "not by certificate 2, CN=localhost; list the server's certificate first, then each issuer in turn");
    }

    @Test
    void refusesChainWhoseSecondCertificateDidNotIssueTheFirst() throws IOException {
        Path otherCert = dir.resolve("unrelated-cert.pem");
        SelfSignedCertificate.create(otherCert, dir.resolve("unrelated-key.pem"), "mx.example.test");
        Path chain = Files.writeString(dir.resolve("chain-unrelated.pem"),
                Files.readString(cert) + Files.readString(otherCert));

        assertRefused(chain, key, chain,
                "certificate 1 was issued by CN=localhost, not by certificate 2, CN=mx.example.test");
    }

    @Test
    void refusesKeyOfAnotherType() throws IOException {
        Path rsaKey = dir.resolve("rsa2-key.pem");
        SelfSignedCertificate.create(dir.resolve("rsa2-cert.pem"), rsaKey, "localhost", KeyType.RSA);

        assertRefused(cert, rsaKey, rsaKey, "not a valid EC private key");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusableKeyFiles")
    void refusesUnusableKeyFile(String description, String content, String reason) throws IOException {
        Path unusable = Files.writeString(dir.resolve(description.replace(' ', '-') + ".pem"), content);

        assertRefused(cert, unusable, unusable, reason);
    }

    static Stream<Arguments> unusableKeyFiles() throws IOException {
        return Stream.of(
                Arguments.of("certificate only", Files.readString(cert), "no PRIVATE KEY block found"),
                Arguments.of("encrypted pkcs8", """
                        -----BEGIN ENCRYPTED PRIVATE KEY-----
                        MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI
                        -----END ENCRYPTED PRIVATE KEY-----
                        """, "encrypted private keys are not supported; decrypt it with 'openssl pkey"),
                Arguments.of("encrypted traditional", """
                        -----BEGIN RSA PRIVATE KEY-----
                        Proc-Type: 4,ENCRYPTED
                        DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF

                        MIIEpAIBAAKCAQEA
                        -----END RSA PRIVATE KEY-----
                        """, "encrypted private keys are not supported"),
                Arguments.of("bad base64", """
                        -----BEGIN PRIVATE KEY-----
                        not*base64
                        -----END PRIVATE KEY-----
                        """, "the PRIVATE KEY block is not valid base64"),
                Arguments.of("dsa key", """
                        -----BEGIN DSA PRIVATE KEY-----
                        MIIBuwIBAAKBgQ==
                        -----END DSA PRIVATE KEY-----
                        """, "DSA PRIVATE KEY blocks are not supported; convert the key with 'openssl pkcs8"),
                Arguments.of("ec key without curve", Pem.encode("EC PRIVATE KEY", Der.encode(Der.SEQUENCE,
                                new byte[] {Der.INTEGER, 1, 1}, Der.encode(Der.OCTET_STRING, new byte[32]))),
                        "malformed EC PRIVATE KEY block: the key does not name its curve"),
                Arguments.of("truncated der", Pem.encode("EC PRIVATE KEY", new byte[] {0x30, 0x10, 0x02}),
                        "malformed EC PRIVATE KEY block: truncated DER element"),
                Arguments.of("two keys", Files.readString(key) + Files.readString(key),
                        "more than one PRIVATE KEY block"));
    }

    private static void assertRefused(Path certFile, Path keyFile, Path atFault, String reason) {
        assertThatThrownBy(() -> TlsContexts.server(new TlsConfig(certFile, keyFile)))
                .isInstanceOfSatisfying(TlsConfigException.class, e -> {
                    assertThat(e.file()).isEqualTo(atFault);
                    assertThat(e.getMessage()).startsWith(atFault + ": ").contains(reason);
                });
    }

    // --- fixtures

    /** How the client end upgrades its plain socket once the server has answered STARTTLS. */
    @FunctionalInterface
    interface ClientUpgrade {
        SSLSocket upgrade(Socket plain) throws IOException;
    }

    /** What one connection saw: the line echoed over TLS, the client's session, the server's protocols. */
    record Echo(String line, SSLSession clientSession, List<String> serverProtocols) {
    }

    /**
     * One SMTP-like connection over loopback: the client sends STARTTLS in plaintext, the server
     * answers 220, both ends upgrade (the server with {@link TlsContexts#startTls}) and the server
     * echoes one line over TLS.
     */
    private static Echo startTlsAndEcho(SSLContext server, ClientUpgrade client) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            listener.setSoTimeout(TIMEOUT_MILLIS);
            Future<List<String>> serverSide = executor.submit(() -> {
                try (Socket plain = listener.accept()) {
                    plain.setSoTimeout(TIMEOUT_MILLIS);
                    assertThat(readLine(plain)).isEqualTo("STARTTLS");
                    write(plain, "220 2.0.0 Ready to start TLS");
                    SSLSocket tls = TlsContexts.startTls(plain, server, false, null);
                    write(tls, readLine(tls));
                    return List.of(tls.getEnabledProtocols());
                }
            });
            try (Socket plain = new Socket(listener.getInetAddress(), listener.getLocalPort())) {
                plain.setSoTimeout(TIMEOUT_MILLIS);
                write(plain, "STARTTLS");
                assertThat(readLine(plain)).startsWith("220 ");
                SSLSocket tls = client.upgrade(plain);
                write(tls, "EHLO client.example.test");
                String echoed = readLine(tls);
                return new Echo(echoed, tls.getSession(), serverSide.get(TIMEOUT_MILLIS, MILLISECONDS));
            }
        }
    }

    /** A line read byte by byte, so no bytes sent after it are buffered and lost to the TLS layer. */
    private static String readLine(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed after " + line);
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII).stripTrailing();
    }

    private static void write(Socket socket, String line) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** A chain as a CA hands it out (server certificate, then the CA's), made with keytool. */
    private static void createCaSignedPair() throws Exception {
        Path store = dir.resolve("ca.p12");
        caSignedCert = dir.resolve("ca-signed-cert.pem");
        caCert = dir.resolve("ca-cert.pem");
        Path request = dir.resolve("ca-signed.csr");
        keytool(store, "-genkeypair", "-alias", "ca", "-dname", "CN=Gatehouse Test CA", "-keyalg", "EC",
                "-ext", "bc:c");
        keytool(store, "-genkeypair", "-alias", "server", "-dname", "CN=localhost", "-keyalg", "EC");
        keytool(store, "-certreq", "-alias", "server", "-file", request.toString());
        keytool(store, "-gencert", "-alias", "ca", "-infile", request.toString(), "-outfile", caSignedCert.toString(),
                "-rfc", "-ext", "SAN=dns:localhost");
        keytool(store, "-exportcert", "-alias", "ca", "-rfc", "-file", caCert.toString());
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, STORE_PASSWORD.toCharArray());
        }
        caSignedKey = Files.writeString(dir.resolve("ca-signed-key.pem"),
                Pem.encode("PRIVATE KEY", keyStore.getKey("server", STORE_PASSWORD.toCharArray()).getEncoded()));
        caSignedChain = Files.writeString(dir.resolve("ca-signed-chain.pem"),
                Files.readString(caSignedCert) + Files.readString(caCert));
    }

    private static void keytool(Path store, String... arguments) throws Exception {
        List<String> command = Stream.concat(
                Stream.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-noprompt",
                        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", STORE_PASSWORD),
                Stream.of(arguments)).toList();
        run(command);
    }

    private static void run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, SECONDS)).as("%s finishes", command).isTrue();
        assertThat(process.exitValue()).as("%s: %s", command, output).isZero();
    }

    // --- traditional key encodings, made from the JDK's PKCS#8 (RFC 5208 section 5)

    private static byte[] keyDer(Path pem) throws TlsConfigException {
        return Pem.read(pem).getFirst().der();
    }

    /** The RSAPrivateKey that PrivateKeyInfo wraps in its OCTET STRING. */
    private static byte[] pkcs1(byte[] pkcs8) {
        return Der.decode(pkcs8).children().get(2).content();
    }

    /** The ECPrivateKey that PrivateKeyInfo wraps, with the curve moved into its own [0] as SEC1 has it. */
    private static byte[] sec1(byte[] pkcs8) {
        List<Der.Tlv> info = Der.decode(pkcs8).children();
        byte[] curve = info.get(1).children().get(1).encoded();
        List<Der.Tlv> ecPrivateKey = Der.decode(info.get(2).content()).children();
        return Der.encode(Der.SEQUENCE, ecPrivateKey.get(0).encoded(), ecPrivateKey.get(1).encoded(),
                Der.encode(Der.CONTEXT_0, curve));
    }
}
