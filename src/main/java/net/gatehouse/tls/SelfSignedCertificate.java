package net.gatehouse.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Makes a self-signed certificate and its key as PEM files, for the demo and for tests. The JDK
 * has no public API that signs a certificate, and Gatehouse takes no cryptography library for
 * this alone, so the JDK's own {@code keytool} makes the pair.
 */
public final class SelfSignedCertificate {

    private static final Duration KEYTOOL_TIMEOUT = Duration.ofSeconds(60);
    private static final String ALIAS = "gatehouse";
    private static final String PASSWORD_VARIABLE = "GATEHOUSE_KEYSTORE_PASSWORD";
    // A host name or an IP address; this also keeps keytool's -dname and -ext syntax (',' '=') out.
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:-]+");
    private static final Pattern IPV4 = Pattern.compile("[0-9.]+");

    /** The key types the pair can have; the demo uses {@link #EC}, tests the others too. */
    enum KeyType {
        EC("-keyalg", "EC", "-groupname", "secp256r1"),
        RSA("-keyalg", "RSA", "-keysize", "2048"),
        ED25519("-keyalg", "Ed25519");

        private final List<String> keytoolArguments;

        KeyType(String... keytoolArguments) {
            this.keytoolArguments = List.of(keytoolArguments);
        }
    }

    private SelfSignedCertificate() {
    }

    /**
     * Writes a new certificate for {@code hostname} (ECDSA P-256, valid for ten years, the name
     * also as subjectAltName, plus 127.0.0.1 and ::1 for {@code localhost}) to {@code certPem} and
     * its unencrypted PKCS#8 key to {@code keyPem}, replacing existing files. Where the file system
     * has POSIX permissions, the key file is readable by its owner only.
     *
     * @throws IllegalArgumentException if {@code hostname} is neither a host name nor an IP address
     * @throws IOException if keytool cannot be run, fails or takes over a minute (the message
     *     holds its output), or a file cannot be written
     */
    public static void create(Path certPem, Path keyPem, String hostname) throws IOException {
        create(certPem, keyPem, hostname, KeyType.EC);
    }

    static void create(Path certPem, Path keyPem, String hostname, KeyType keyType) throws IOException {
        if (!HOST.matcher(hostname).matches()) {
            throw new IllegalArgumentException("not a host name or IP address: " + hostname);
        }
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        String password = HexFormat.of().formatHex(random);
        Path workDir = Files.createTempDirectory("gatehouse-keytool");
        Path keystore = workDir.resolve("keystore.p12");
        Path log = workDir.resolve("keytool.log");
        try {
            runKeytool(keystore, log, password, hostname, keyType);
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                store.load(in, password.toCharArray());
            }
            byte[] certificate = store.getCertificate(ALIAS).getEncoded();
            byte[] key = store.getKey(ALIAS, password.toCharArray()).getEncoded();
            Files.writeString(certPem, Pem.encode("CERTIFICATE", certificate), StandardCharsets.US_ASCII);
            writeOwnerOnly(keyPem, Pem.encode("PRIVATE KEY", key));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the keystore that keytool wrote: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(keystore);
            Files.deleteIfExists(log);
            Files.deleteIfExists(workDir);
        }
    }

    private static void runKeytool(Path keystore, Path log, String password, String hostname, KeyType keyType)
            throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>(List.of(keytool.toString(), "-genkeypair", "-noprompt",
                "-alias", ALIAS, "-storetype", "PKCS12", "-keystore", keystore.toString(),
                // From the environment: a command line is visible to every local user.
                "-storepass:env", PASSWORD_VARIABLE,
                "-validity", "3650", "-dname", "CN=" + hostname, "-ext", "SAN=" + subjectAltNames(hostname)));
        command.addAll(keyType.keytoolArguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put(PASSWORD_VARIABLE, password);
        Process process = builder.start();
        try {
            if (!process.waitFor(KEYTOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(
                        keytool + " did not finish within " + KEYTOOL_TIMEOUT.toSeconds() + " s: " + output(log));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + keytool);
        }
        if (process.exitValue() != 0) {
            throw new IOException(keytool + " failed with exit code " + process.exitValue() + ": " + output(log));
        }
    }

    /** What keytool printed; decoded leniently, as it must not hide the failure it explains. */
    private static String output(Path log) throws IOException {
        return new String(Files.readAllBytes(log), StandardCharsets.UTF_8).strip();
    }

    private static String subjectAltNames(String hostname) {
        if (hostname.equalsIgnoreCase("localhost")) {
            return "dns:localhost,ip:127.0.0.1,ip:::1";
        }
        boolean address = hostname.contains(":") || IPV4.matcher(hostname).matches();
        return (address ? "ip:" : "dns:") + hostname;
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        // Created with its permissions rather than changed after writing, so the key is never
        // readable by others, not even for a moment.
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(file, content, StandardCharsets.US_ASCII);
    }
}
