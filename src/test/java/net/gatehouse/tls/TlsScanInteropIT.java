package net.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.testing.ExternalCommand;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * testssl.sh, the scanner auditors run, against the packaged gateway's STARTTLS: protocols,
 * cipher categories and every vulnerability check it has. Nothing may come out vulnerable.
 * An RSA certificate, so that the RSA key exchanges and RSA-based checks (ROBOT, DROWN) have
 * something to look at.
 */
class TlsScanInteropIT {

    @TempDir
    Path directory;

    @Test
    void testsslFindsNothingVulnerableInStartTls() throws Exception {
        String testssl = ExternalCommand.require("testssl", "testssl.sh");
        Path cert = directory.resolve("cert.pem");
        Path key = directory.resolve("key.pem");
        SelfSignedCertificate.create(cert, key, "localhost", SelfSignedCertificate.KeyType.RSA);
        try (TestBackend backend = TestBackend.start();
             PackagedGateway gateway = PackagedGateway.start(TestGateway.in(directory)
                     .protect("example.test", backend.hostPort())
                     .smtp("tls: { cert: \"" + cert + "\", key: \"" + key + "\" }"))) {

            ExternalCommand.Result scan = ExternalCommand.run(Duration.ofMinutes(5), testssl,
                    "--starttls", "smtp", "--quiet", "--color", "0", "--warnings", "batch", "--ip", "one",
                    "--protocols", "--std", "--vulnerable", "127.0.0.1:" + gateway.port());
            Files.writeString(directory.resolve("testssl.txt"), scan.output());

            assertThat(scan.output()).as(scan.output())
                    .contains("TLS 1.2    offered (OK)", "TLS 1.3    offered (OK)")
                    .containsPattern("TLS 1\\.1 +not offered")
                    .containsPattern("Obsolete CBC ciphers \\(AES, ARIA etc\\.\\) +not offered")
                    .containsPattern("Secure Client-Initiated Renegotiation +not vulnerable")
                    .containsPattern("LUCKY13 \\(CVE-2013-0169\\), experimental +not vulnerable")
                    .doesNotContain("VULNERABLE");
        }
    }
}
