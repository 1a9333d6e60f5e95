package net.gatehouse.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.ExternalCommand;
import net.gatehouse.testing.ExternalCommand.Result;
import net.gatehouse.testing.GatewayProcess;
import net.gatehouse.testing.LoopbackPorts;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Debian package (SPEC §10) as an administrator meets it: built by {@code scripts/build-deb.sh},
 * installed with {@code dpkg -i}, the command of its systemd unit run as the unit says, then removed
 * and purged.
 *
 * <p>PID 1 is not systemd here, so {@code setpriv} stands in for the unit's {@code User=},
 * {@code Group=}, {@code AmbientCapabilities=}, {@code CapabilityBoundingSet=} and
 * {@code NoNewPrivileges=}, read from the installed unit; the rest of its sandbox is judged by
 * {@code systemd-analyze security}. The test needs root and dpkg. It installs the package on this
 * machine and leaves the machine as it found it: the package not installed, no /var/lib/gatehouse,
 * and no gatehouse user unless there was one before.
 */
class PackageIT {

    private static final String PACKAGE = "gatehouse";
    private static final Path PROGRAM = Path.of("/usr/bin/gatehouse");
    private static final Path LIBRARY = Path.of("/usr/lib/gatehouse");
    private static final Path CONFFILE = Path.of("/etc/gatehouse/gatehouse.yaml");
    private static final Path UNIT = Path.of("/lib/systemd/system/gatehouse.service");
    private static final Path STATE = Path.of("/var/lib/gatehouse");
    private static final double MAX_EXPOSURE = 2.5;
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    /** What this test writes (a configuration, a file in the state directory), to know its own leftovers. */
    private static final String MARKER = "written by PackageIT";
    private static final Path STATE_MARKER = STATE.resolve("PackageIT");
    private static final Pattern EXPOSURE = Pattern.compile("Overall exposure level for gatehouse\\.service: (\\d+\\.\\d+)");
    private static final Pattern QUEUED_AS = Pattern.compile("queued as (\\w+)");

    private static Path deb;
    private static boolean userExistedBefore;
    private GatewayProcess gateway;

    @BeforeAll
    static void buildThePackage() throws Exception {
        ExternalCommand.requireRoot("PackageIT (dpkg -i, a system user, a privileged port)");
        ExternalCommand.require("dpkg-deb", "dpkg");
        ExternalCommand.require("setpriv", "util-linux");
        ExternalCommand.require("systemd-analyze", "systemd");
        boolean leftovers = removeLeftoversOfAnInterruptedRun();
        userExistedBefore = !leftovers && userExists();

        String jar = Path.of(System.getProperty("gatehouse.jar", "target/gatehouse.jar")).toAbsolutePath().toString();
        Result build = ExternalCommand.run(Duration.ofMinutes(5), Path.of("scripts/build-deb.sh").toAbsolutePath().toString(),
                "--jar", jar).orFail();
        deb = Path.of(build.output().strip().lines().reduce((first, last) -> last).orElseThrow());
        assertThat(deb.getFileName().toString()).as(build.output()).matches("gatehouse_[0-9][A-Za-z0-9.+~]*_[a-z0-9]+\\.deb");
    }

    @AfterEach
    void purgeAndDeleteWhatIsLeft() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (!packageStatus().equals("not-installed")) {
            dpkg("--purge", PACKAGE);
        }
        deleteRecursively(STATE);
    }

    @AfterAll
    static void deleteTheUserWeCreated() {
        if (deb != null && !userExistedBefore && userExists()) {
            ExternalCommand.run(TIMEOUT, "userdel", PACKAGE).orFail();
            if (ExternalCommand.run(TIMEOUT, "getent", "group", PACKAGE).exitCode() == 0) {
                ExternalCommand.run(TIMEOUT, "groupdel", PACKAGE).orFail();
            }
        }
    }

    @Test
    void installsTheProgramItsRuntimeAConffileTheUserAndAHardenedUnit() throws Exception {
        install();

        assertThat(PROGRAM).isExecutable();
        assertThat(LIBRARY.resolve("gatehouse.jar")).isRegularFile();
        assertThat(LIBRARY.resolve("runtime/bin/java")).isExecutable();
        assertThat(ExternalCommand.run(TIMEOUT, PROGRAM.toString(), "version").orFail().output())
                .as("the program runs on the runtime the package brings").contains("(Java ");

        assertThat(ExternalCommand.run(TIMEOUT, "dpkg-query", "-W", "-f=${Conffiles}", PACKAGE).orFail().output())
                .contains(CONFFILE.toString());
        assertThat(Files.readString(CONFFILE)).startsWith("#").contains("data_dir: /var/lib/gatehouse")
                .contains("listen: [\"0.0.0.0:25\"]");

        String[] user = ExternalCommand.run(TIMEOUT, "getent", "passwd", PACKAGE).orFail().output().strip().split(":");
        assertThat(Integer.parseInt(user[2])).as("a system user's uid").isLessThan(1000);
        assertThat(user[5]).isEqualTo(STATE.toString());
        assertThat(user[6]).isEqualTo("/usr/sbin/nologin");
        PosixFileAttributes state = Files.readAttributes(STATE, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(state.owner().getName()).isEqualTo(PACKAGE);
        assertThat(state.group().getName()).isEqualTo(PACKAGE);
        assertThat(PosixFilePermissions.toString(state.permissions())).isEqualTo("rwxr-x---");

        assertThat(unitSetting("User")).isEqualTo(PACKAGE);
        assertThat(unitSetting("AmbientCapabilities")).isEqualTo("CAP_NET_BIND_SERVICE");
        assertThat(unitSetting("ExecStart")).isEqualTo("/usr/bin/gatehouse run --config " + CONFFILE);
        ExternalCommand.run(TIMEOUT, "systemd-analyze", "verify", UNIT.toString()).orFail();
        Result security = ExternalCommand.run(TIMEOUT, "systemd-analyze", "security", "--offline=true", UNIT.toString());
        Matcher exposure = EXPOSURE.matcher(security.output());
        assertThat(exposure.find()).as(security.output()).isTrue();
        assertThat(Double.parseDouble(exposure.group(1))).as(security.output()).isLessThanOrEqualTo(MAX_EXPOSURE);
    }

    @Test
    void runsTheUnitsCommandAsGatehouseOnAPrivilegedPortAndAnswers250Or550() throws Exception {
        try (TestBackend backend = TestBackend.start().onlyAccept("alice@example.test")) {
            install();
            int port = LoopbackPorts.freePrivileged();
            int console = LoopbackPorts.free();
            Path cert = STATE.resolve("tls/cert.pem");
            Path key = STATE.resolve("tls/key.pem");
            Files.createDirectories(cert.getParent());
            SelfSignedCertificate.create(cert, key, "localhost");
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));   // for gatehouse
            configure(port, """
                    smtp:
                      listen: ["127.0.0.1:%d"]
                      tls: { cert: %s, key: %s }
                      shutdown_grace: 2s
                    console:
                      listen: "127.0.0.1:%d"
                    policy:
                      recipient_verification: callout
                      domains:
                        - { name: example.test, backend: ["%s"] }
                    """.formatted(port, cert, key, console, backend.hostPort()));

            gateway = startTheUnitsCommand();
            assertThat(gateway.awaitPort()).isEqualTo(port);
            String status = Files.readString(Path.of("/proc", Long.toString(gateway.pid()), "status"));
            assertThat(status).as("the JVM runs as gatehouse").containsPattern("(?m)^Uid:\\s+" + uid() + "\\s");
            assertThat(status).as("with CAP_NET_BIND_SERVICE alone").containsPattern("(?m)^CapEff:\\s+0+400$");

            try (SmtpTestClient client = SmtpTestClient.connect(port)) {
                client.command("EHLO client.test");
                client.startTls();
                client.command("EHLO client.test");
                assertThat(client.command("MAIL FROM:<sender@client.test>").code()).isEqualTo(250);
                assertThat(client.command("RCPT TO:<alice@example.test>").toString()).startsWith("250 2.1.5");
                assertThat(client.command("RCPT TO:<nobody@example.test>").toString()).startsWith("550 5.1.1");
                assertThat(client.command("DATA").code()).isEqualTo(354);
                client.send("Subject: through the package\r\n\r\nHello.\r\n");
                assertThat(client.command(".").code()).isEqualTo(250);
            }
            TestBackend.Transaction delivered = backend.takeTransaction(Duration.ofSeconds(30));
            assertThat(delivered.recipients()).containsExactly("alice@example.test");
            assertThat(delivered.text()).contains("Subject: through the package");
            assertThat(httpStatus(console, "/readyz")).as("the console serves from inside the jar").isEqualTo(200);

            gateway.terminate();
            assertThat(gateway.awaitExit()).as(String.join("\n", gateway.output())).isZero();
        }
    }

    @Test
    void removingKeepsTheConfigurationAndPurgingNeverDeletesQueuedMail() throws Exception {
        install();
        int port = LoopbackPorts.freePrivileged();
        configure(port, """
                smtp:
                  listen: ["127.0.0.1:%d"]
                  shutdown_grace: 2s
                delivery:
                  min_backoff: 1h
                policy:
                  domains:
                    - { name: down.test, backend: ["127.0.0.1:%d"] }
                """.formatted(port, LoopbackPorts.free()));
        gateway = startTheUnitsCommand();
        gateway.awaitPort();
        Reply reply;
        try (SmtpTestClient client = SmtpTestClient.connect(port)) {
            client.command("EHLO client.test");
            reply = client.sendMail("sender@client.test", List.of("someone@down.test"), "Subject: for later\r\n\r\nHello.\r\n");
        }
        Matcher queued = QUEUED_AS.matcher(reply.toString());
        assertThat(queued.find()).as(reply.toString()).isTrue();
        String queueId = queued.group(1);
        Path message = STATE.resolve("spool/active").resolve(queueId);
        gateway.terminate();
        assertThat(gateway.awaitExit()).isZero();
        assertThat(message).as("its back-end is down: the message waits in the spool").isRegularFile();
        byte[] content = Files.readAllBytes(message);

        dpkg("--remove", PACKAGE);
        assertThat(packageStatus()).isEqualTo("config-files");
        assertThat(PROGRAM).doesNotExist();
        assertThat(LIBRARY).doesNotExist();
        assertThat(UNIT).doesNotExist();
        assertThat(Files.readString(CONFFILE)).as("the conffile, as the administrator left it").contains(MARKER);
        assertThat(message).exists();

        Result purge = dpkg("--purge", PACKAGE);
        assertThat(packageStatus()).isEqualTo("not-installed");
        assertThat(CONFFILE).doesNotExist();
        assertThat(purge.output()).contains(STATE + " is kept: its spool holds 1 message(s) not yet delivered");
        assertThat(message).as("purging never deletes queued mail").hasBinaryContent(content);
        assertThat(userExists()).as("Debian leaves system users").isTrue();

        install();
        Result queue = ExternalCommand.run(TIMEOUT, PROGRAM.toString(), "queue", "list", "--config", CONFFILE.toString());
        assertThat(queue.orFail().output()).as("a reinstalled gateway finds the mail again")
                .contains(queueId).contains("someone@down.test").contains("1 message");
    }

    @Test
    void purgingDeletesTheStateDirectoryWhenNoMailIsQueued() throws Exception {
        install();
        // As root, the program runs as gatehouse: the database and spool it creates stay the service's.
        ExternalCommand.run(TIMEOUT, PROGRAM.toString(), "queue", "list", "--config", CONFFILE.toString()).orFail();
        ExternalCommand.run(TIMEOUT, PROGRAM.toString(), "check", "--config", CONFFILE.toString(), "postmaster@example.com");
        List<Path> created;
        try (Stream<Path> files = Files.walk(STATE)) {
            created = files.filter(file -> !file.equals(STATE_MARKER)).toList();
        }
        assertThat(created).contains(STATE.resolve("gatehouse.db"), STATE.resolve("spool/active")).allSatisfy(file ->
                assertThat(Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName()).as(file.toString()).isEqualTo(PACKAGE));

        dpkg("--purge", PACKAGE);
        assertThat(STATE).doesNotExist();
        assertThat(CONFFILE.getParent()).doesNotExist();
        assertThat(userExists()).as("Debian leaves system users").isTrue();
    }

    private static void install() throws IOException {
        dpkg("--install", deb.toString());
        assertThat(packageStatus()).isEqualTo("installed");
        Files.writeString(STATE_MARKER, MARKER + "\n");
    }

    /** Replaces the conffile, as an administrator edits it: the node on loopback, data_dir where the package put it. */
    private static void configure(int port, String sections) throws IOException {
        Files.writeString(CONFFILE, "# " + MARKER + ": a gateway on 127.0.0.1:" + port + "\nhostname: gw.test\ndata_dir: "
                + STATE + "\n" + sections);
    }

    /** The unit's ExecStart, run as its User= and Group= with its one capability, as systemd would. */
    private static GatewayProcess startTheUnitsCommand() throws IOException {
        String capability = unitSetting("AmbientCapabilities");
        assertThat(unitSetting("CapabilityBoundingSet")).isEqualTo(capability);
        assertThat(unitSetting("NoNewPrivileges")).isEqualTo("yes");
        String setprivCapability = capability.toLowerCase(Locale.ROOT).replaceFirst("^cap_", "");
        String execStart = unitSetting("ExecStart");
        assertThat(execStart).as("a command line without quoting, split on spaces here").doesNotContain("\"", "'", "\\");
        List<String> command = new ArrayList<>(List.of("setpriv",
                "--reuid=" + unitSetting("User"), "--regid=" + unitSetting("Group"), "--init-groups",
                "--inh-caps=-all,+" + setprivCapability, "--ambient-caps=-all,+" + setprivCapability,
                "--bounding-set=-all,+" + setprivCapability, "--no-new-privs", "--"));
        command.addAll(List.of(execStart.split(" +")));
        return GatewayProcess.exec(command);
    }

    /** The first {@code key=value} of the installed unit. */
    private static String unitSetting(String key) throws IOException {
        return Files.readAllLines(UNIT).stream().filter(line -> line.startsWith(key + "="))
                .map(line -> line.substring(key.length() + 1).strip()).findFirst()
                .orElseThrow(() -> new AssertionError(UNIT + " has no " + key + "="));
    }

    /** dpkg, waiting while another dpkg or apt holds its lock (other suites install packages too). */
    private static Result dpkg(String... args) {
        List<String> command = new ArrayList<>(List.of("dpkg"));
        command.addAll(List.of(args));
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (true) {
            Result result = ExternalCommand.run(TIMEOUT, command);
            if (result.exitCode() == 0 || !result.output().contains("locked by another process") || Instant.now().isAfter(deadline)) {
                return result.orFail();
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for the dpkg lock", e);
            }
        }
    }

    /** installed, config-files (removed, not purged) or not-installed. */
    private static String packageStatus() {
        Result query = ExternalCommand.run(TIMEOUT, "dpkg-query", "-W", "-f=${db:Status-Status}", PACKAGE);
        return query.exitCode() == 0 ? query.output().strip() : "not-installed";
    }

    private static boolean userExists() {
        return ExternalCommand.run(TIMEOUT, "getent", "passwd", PACKAGE).exitCode() == 0;
    }

    private static String uid() {
        return ExternalCommand.run(TIMEOUT, "id", "-u", PACKAGE).orFail().output().strip();
    }

    private static int httpStatus(int port, String path) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    /**
     * A run killed half-way leaves the package installed or its state behind. Ours are recognised by
     * the marker and cleared; anything else is a real installation, which this test must not touch.
     */
    private static boolean removeLeftoversOfAnInterruptedRun() throws IOException {
        boolean installed = !packageStatus().equals("not-installed");
        if (!installed && !Files.exists(STATE)) {
            return false;
        }
        boolean ours = Files.exists(STATE_MARKER)
                || (Files.isRegularFile(CONFFILE) && Files.readString(CONFFILE).contains(MARKER));
        if (!ours) {
            throw new AssertionError("the gatehouse package or " + STATE + " is already on this machine, and not left by"
                    + " this test: PackageIT installs and purges the package itself. Remove it first"
                    + " (dpkg --purge gatehouse; rm -r " + STATE + ").");
        }
        if (installed) {
            dpkg("--purge", PACKAGE);
        }
        deleteRecursively(STATE);
        return true;
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
