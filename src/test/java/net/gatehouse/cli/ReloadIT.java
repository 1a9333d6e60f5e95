package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.ExternalCommand;
import net.gatehouse.testing.GatewayProcess;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import net.gatehouse.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §10: {@code gatehouse reload} and SIGHUP re-read the file of a running gateway: what can
 * change live changes without dropping a session, what cannot is named as needing a restart, and
 * a broken file keeps the running configuration.
 */
class ReloadIT {

    private static final Duration LOG_WAIT = Duration.ofSeconds(20);

    @TempDir
    Path directory;

    private TestBackend backend;
    private TestGateway configuration;
    private PackagedGateway gateway;
    private Path cert;
    private Path key;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start();
        cert = directory.resolve("tls/cert.pem");
        key = directory.resolve("tls/key.pem");
        Files.createDirectories(cert.getParent());
        SelfSignedCertificate.create(cert, key, "before-renewal.test");
        configuration = TestGateway.in(directory)
                .protect("example.test", backend.hostPort())
                .policy("recipient_verification: none")
                .smtp("max_recipients: 5")
                .smtp("tls: { cert: \"" + cert + "\", key: \"" + key + "\" }");
        gateway = PackagedGateway.start(configuration);
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    @Test
    void appliesLimitsPinsAndARenewedCertificateWhileASessionStaysOpen() throws Exception {
        try (SmtpTestClient open = SmtpTestClient.connect(gateway.port())) {
            open.command("EHLO before.test");
            assertThat(open.command("MAIL FROM:<a@sender.test>").code()).isEqualTo(250);
            assertThat(open.command("RCPT TO:<one@example.test>").code()).isEqualTo(250);
            assertThat(open.command("RCPT TO:<one@other.test>").code()).isEqualTo(554);

            SelfSignedCertificate.create(cert, key, "after-renewal.test"); // renewed in place, same paths
            configuration.smtp("max_recipients: 2").protect("other.test", backend.hostPort());
            configuration.writeConfig();
            ExternalCommand.Result reload = reload();

            assertThat(reload.exitCode()).as(reload.output()).isZero();
            assertThat(reload.output()).contains("applied", "smtp.max_recipients", "policy");
            gateway.awaitLog("reload_applied changed=smtp.max_recipients,policy tls=reloaded", LOG_WAIT);

            // the open session goes on with the limits it started with, and its message is delivered
            assertThat(open.command("RCPT TO:<two@example.test>").code()).isEqualTo(250);
            assertThat(open.command("RCPT TO:<three@example.test>").code()).isEqualTo(250);
            assertThat(open.command("DATA").code()).isEqualTo(354);
            assertThat(open.command("Subject: across a reload\r\n\r\nstill here\r\n.").code()).isEqualTo(250);
            assertThat(backend.takeTransaction(LOG_WAIT).recipients())
                    .containsExactly("one@example.test", "two@example.test", "three@example.test");
        }

        try (SmtpTestClient next = SmtpTestClient.connect(gateway.port())) {
            next.command("EHLO after.test");
            next.startTls();
            assertThat(next.peerCertificateSubject()).isEqualTo("CN=after-renewal.test");
            next.command("EHLO after.test");
            assertThat(next.command("MAIL FROM:<a@sender.test>").code()).isEqualTo(250);
            assertThat(next.command("RCPT TO:<one@other.test>").code()).as("the file's new domain").isEqualTo(250);
            assertThat(next.command("RCPT TO:<two@other.test>").code()).isEqualTo(250);
            Reply third = next.command("RCPT TO:<three@other.test>");
            assertThat(third.code() + " " + third.enhanced()).as("the new max_recipients").isEqualTo("452 4.5.3");
        }
    }

    /** log.format and log.level are live: the lines after the reload are in the new format, none lost. */
    @Test
    void switchesTheLogFromPostfixToJson() throws Exception {
        try (SmtpTestClient before = SmtpTestClient.connect(gateway.port())) {
            before.command("EHLO before.test");
            before.command("QUIT");
        }
        gateway.awaitLog("postfix/smtpd\\[\\d+]: disconnect from unknown\\[127\\.0\\.0\\.1] ehlo=1 quit=1 commands=2", LOG_WAIT);

        configuration.log("format: json").log("level: debug");
        configuration.writeConfig();
        ExternalCommand.Result reload = reload();

        assertThat(reload.exitCode()).as(reload.output()).isZero();
        assertThat(reload.output()).contains("log.format", "log.level");
        try (SmtpTestClient after = SmtpTestClient.connect(gateway.port())) {
            after.command("EHLO after.test");
            after.command("QUIT");
        }
        gateway.awaitLog("^\\{\"ts\":.*\"event\":\"disconnect\",\"client\":\"127\\.0\\.0\\.1\",\"helo\":\"after\\.test\"", LOG_WAIT);
        assertThat(gateway.logLines("disconnect from unknown")).hasSize(2); // the JSON line's message says it too
    }

    @Test
    void namesWhatNeedsARestartAndKeepsItRunningAsBefore() throws Exception {
        configuration.smtp("listen: [\"127.0.0.1:0\", \"127.0.0.2:0\"]").delivery("min_backoff: 2s");
        configuration.writeConfig();

        ExternalCommand.Result reload = reload();

        assertThat(reload.exitCode()).as(reload.output()).isZero();
        assertThat(reload.output()).contains("needs a restart to change: delivery, smtp.listen");
        gateway.awaitLog("reload_needs_restart keys=delivery,smtp.listen", LOG_WAIT);
        assertThat(gateway.logLines("smtp_listening")).hasSize(1);
        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            assertThat(client.command("EHLO still.test").code()).isEqualTo(250);
        }
    }

    @Test
    void aBrokenFileIsReportedAndTheRunningConfigurationStays() throws Exception {
        Path file = directory.resolve("gatehouse.yaml");
        String good = Files.readString(file);
        Files.writeString(file, good.replace("max_recipients: 5", "max_recipients: lots"));

        ExternalCommand.Result refused = reload();

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.output()).contains("smtp.max_recipients");

        // SIGHUP straight to the process (as systemd's ExecReload does): logged, and nothing changes
        long pid = Long.parseLong(Files.readString(directory.resolve("data/gatehouse.pid")).strip());
        assertThat(new ProcessBuilder("kill", "-HUP", Long.toString(pid)).start().waitFor()).isZero();
        gateway.awaitLog("reload_refused .*smtp\\.max_recipients", LOG_WAIT);
        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            client.command("EHLO still.test");
            client.command("MAIL FROM:<a@sender.test>");
            for (int i = 1; i <= 5; i++) {
                assertThat(client.command("RCPT TO:<r" + i + "@example.test>").code()).isEqualTo(250);
            }
            assertThat(client.command("RCPT TO:<r6@example.test>").code()).isEqualTo(452);
        }

        // a certificate that cannot be read is refused the same way: the running one stays
        Files.writeString(file, good);
        Files.writeString(key, "not a key");
        ExternalCommand.Result badKey = reload();
        assertThat(badKey.exitCode()).as(badKey.output()).isEqualTo(2);
        assertThat(badKey.output()).contains("smtp.tls");
        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            client.command("EHLO still.test");
            client.startTls();
            assertThat(client.peerCertificateSubject()).isEqualTo("CN=before-renewal.test");
        }
    }

    @Test
    void saysSoWhenNoGatewayRunsOnTheDataDirectory() throws Exception {
        gateway.close();
        gateway = null;

        ExternalCommand.Result reload = reload();

        assertThat(reload.exitCode()).isEqualTo(1);
        assertThat(reload.output()).contains("no gateway is running with data_dir");
    }

    private ExternalCommand.Result reload() throws Exception {
        List<String> command = List.of("reload", "--config", directory.resolve("gatehouse.yaml").toString());
        try (GatewayProcess process = GatewayProcess.start(command.toArray(String[]::new))) {
            int exit = process.awaitExit();
            return new ExternalCommand.Result(command, exit, String.join("\n", process.output()));
        }
    }
}
