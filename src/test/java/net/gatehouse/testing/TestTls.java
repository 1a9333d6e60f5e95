package net.gatehouse.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * TLS for test servers: a self-signed certificate for "localhost" and 127.0.0.1, made once per JVM
 * with the JDK's keytool, apart from the product's own certificate code so that a test peer does
 * not share its bugs.
 */
public final class TestTls {

    private static final char[] PASSWORD = "test-only".toCharArray();

    private TestTls() {
    }

    /** For a test server's STARTTLS: presents the certificate. */
    public static SSLContext serverContext() {
        try {
            var keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(KeyPair.STORE, PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the test server's TLS context", e);
        }
    }

    /** Made on first use, by the JVM's class initialisation: once, thread-safe. */
    private static final class KeyPair {
        static final KeyStore STORE = generate();

        private static KeyStore generate() {
            try {
                Path directory = Files.createTempDirectory("gatehouse-test-tls");
                Path file = directory.resolve("localhost.p12");
                String password = new String(PASSWORD);
                Process keytool = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                        "-genkeypair", "-alias", "localhost", "-keyalg", "EC", "-groupname", "secp256r1",
                        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "30",
                        "-storetype", "PKCS12", "-keystore", file.toString(),
                        "-storepass", password, "-keypass", password, "-noprompt"))
                        .redirectErrorStream(true).start();
                String output = new String(keytool.getInputStream().readAllBytes());
                if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
                    throw new IllegalStateException("keytool failed: " + output);
                }
                KeyStore store = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(file)) {
                    store.load(in, PASSWORD);
                }
                Files.delete(file);
                Files.delete(directory);
                return store;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make the test certificate", e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot load the test certificate", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while making the test certificate", e);
            }
        }
    }
}
