package net.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import net.gatehouse.config.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfSignedCertificateTest {

    // GeneralName tags, RFC 5280 section 4.2.1.6
    private static final int DNS_NAME = 2;
    private static final int IP_ADDRESS = 7;

    @TempDir
    Path dir;

    @Test
    void writesSelfSignedCertificateNamingTheHostForTenYears() throws Exception {
        Path cert = dir.resolve("cert.pem");
        SelfSignedCertificate.create(cert, dir.resolve("key.pem"), "mx.example.test");

        X509Certificate certificate = readCertificate(cert);
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=mx.example.test");
        assertThat(certificate.getIssuerX500Principal()).isEqualTo(certificate.getSubjectX500Principal());
        certificate.verify(certificate.getPublicKey());
        assertThat(certificate.getSubjectAlternativeNames()).containsExactly(List.of(DNS_NAME, "mx.example.test"));
        assertThat(certificate.getNotAfter().toInstant()).isAfter(Instant.now().plus(3649, ChronoUnit.DAYS));
        assertThat(certificate.getPublicKey().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void namesLoopbackAddressesInCertificateForLocalhost() throws Exception {
        Path cert = dir.resolve("cert.pem");
        SelfSignedCertificate.create(cert, dir.resolve("key.pem"), "localhost");

        assertThat(readCertificate(cert).getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(DNS_NAME, "localhost"),
                List.of(IP_ADDRESS, "127.0.0.1"),
                List.of(IP_ADDRESS, "0:0:0:0:0:0:0:1"));
    }

    @Test
    void namesAnIpAddressAsAddressNotDnsName() throws Exception {
        Path cert = dir.resolve("cert.pem");
        SelfSignedCertificate.create(cert, dir.resolve("key.pem"), "192.0.2.25");

        assertThat(readCertificate(cert).getSubjectAlternativeNames())
                .containsExactly(List.of(IP_ADDRESS, "192.0.2.25"));
    }

    @Test
    void writesUnencryptedPkcs8KeyThatServesTheCertificate() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        SelfSignedCertificate.create(cert, key, "localhost");

        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThatCode(() -> TlsContexts.server(new TlsConfig(cert, key))).doesNotThrowAnyException();
    }

    @Test
    void keyFileIsReadableByItsOwnerOnlyEvenWhenItReplacesAWiderOne() throws Exception {
        assertThat(dir.getFileSystem().supportedFileAttributeViews()).as("Gatehouse runs on POSIX file systems").contains("posix");
        Path key = dir.resolve("key.pem");
        Files.writeString(key, "old");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

        SelfSignedCertificate.create(dir.resolve("cert.pem"), key, "localhost");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.readString(key)).contains("PRIVATE KEY");
    }

    @Test
    void refusesHostnameThatIsNotAHostName() {
        assertThatThrownBy(() -> SelfSignedCertificate.create(dir.resolve("c"), dir.resolve("k"), "mx,O=evil"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mx,O=evil");
        assertThat(dir).isEmptyDirectory();
    }

    static X509Certificate readCertificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
