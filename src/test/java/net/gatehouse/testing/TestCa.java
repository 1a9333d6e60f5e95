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
 * A certificate authority made for one test with openssl, and a server certificate it signs for
 * {@code localhost} (only: a client that connects to 127.0.0.1 must refuse it): what a directory's LDAPS needs, and what Gatehouse's
 * {@code ca_file} names. Files, all PEM: {@link #caFile()}, {@link #certFile()}, {@link #keyFile()}.
 */
public final class TestCa {

    private static final String PASSWORD = "test-only";

    private final Path directory;

    private TestCa(Path directory) {
        this.directory = directory;
    }

    /** A new CA, named {@code name}, with a server certificate in {@code directory}. */
    public static TestCa create(Path directory, String name) {
        String openssl = ExternalCommand.require("openssl", "openssl");
        try {
            Files.createDirectories(directory);
            Path ext = directory.resolve("server.ext");
            Files.writeString(ext, "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    + "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
            run(directory, openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=" + name,
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            run(directory, openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
            run(directory, openssl, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
            run(directory, openssl, "pkcs12", "-export", "-in", "server.pem", "-inkey", "server.key",
                    "-certfile", "ca.pem", "-out", "server.p12", "-passout", "pass:" + PASSWORD, "-name", "server");
            // slapd may run as another user: everything readable
            for (String file : List.of("ca.pem", "server.pem", "server.key")) {
                directory.resolve(file).toFile().setReadable(true, false);
            }
            return new TestCa(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the test CA in " + directory, e);
        }
    }

    private static void run(Path directory, String... command) throws IOException {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + List.of(command), e);
        }
    }

    /** The CA's certificate, PEM: Gatehouse's {@code ca_file}. */
    public Path caFile() {
        return directory.resolve("ca.pem");
    }

    /** The server's certificate, PEM. */
    public Path certFile() {
        return directory.resolve("server.pem");
    }

    /** The server's private key, PEM. */
    public Path keyFile() {
        return directory.resolve("server.key");
    }

    /** A TLS context presenting the server certificate, for an in-test server. */
    public SSLContext serverContext() {
        try (InputStream in = Files.newInputStream(directory.resolve("server.p12"))) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD.toCharArray());
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, PASSWORD.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the test server's key", e);
        }
    }
}
