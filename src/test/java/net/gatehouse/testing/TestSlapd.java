package net.gatehouse.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenLDAP {@code slapd} (Debian's package) for the directory tests: a configuration
 * generated in a temporary directory (core, cosine and inetorgperson schemas, and
 * {@code ldap/ad-shape.schema}, which gives entries Active Directory's {@code proxyAddresses} and
 * its user, group, contact and public folder classes), an mdb database loaded with
 * {@code ldap/corp.ldif} by {@code slapadd}, and slapd in the foreground as a child process on a
 * loopback port. Searches need a bind as {@link TestDirectory#BIND_DN}, which gets at most 5
 * entries a page or an unpaged search, and any number in pages: as Active Directory's MaxPageSize.
 *
 * <pre>{@code
 * try (TestSlapd slapd = TestSlapd.start(directory)) {
 *     slapd.url();     // ldap://127.0.0.1:PORT
 *     slapd.stop();    // the directory goes away
 * }
 * }</pre>
 */
public final class TestSlapd implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path directory;
    private final int port;
    private final int ldapsPort; // 0: no LDAPS
    private final List<String> command;
    private Process process;

    private TestSlapd(Path directory, int port, int ldapsPort, List<String> command) {
        this.directory = directory;
        this.port = port;
        this.ldapsPort = ldapsPort;
        this.command = command;
    }

    /** Plain LDAP on 127.0.0.1. */
    public static TestSlapd start(Path directory) {
        return start(directory, null);
    }

    /** With {@code tls}: also LDAPS on localhost with the CA's server certificate, and StartTLS. */
    public static TestSlapd start(Path directory, TestCa tls) {
        String slapd = ExternalCommand.require("slapd", "slapd");
        String slapadd = ExternalCommand.require("slapadd", "slapd");
        try {
            Files.createDirectories(directory.resolve("db"));
            Path schema = directory.resolve("ad-shape.schema");
            try (InputStream in = Objects.requireNonNull(TestSlapd.class.getResourceAsStream("/ldap/ad-shape.schema"))) {
                Files.copy(in, schema);
            }
            Path config = directory.resolve("slapd.conf");
            Files.writeString(config, config(directory, schema, tls));
            ExternalCommand.Result loaded = ExternalCommand.run(Duration.ofSeconds(60),
                    slapadd, "-f", config.toString(), "-l", TestDirectory.ldif().toString());
            if (loaded.exitCode() != 0) {
                throw new IllegalStateException("slapadd failed: " + loaded.output());
            }
            int port = LoopbackPorts.free();
            int ldapsPort = tls == null ? 0 : LoopbackPorts.free();
            String urls = "ldap://127.0.0.1:" + port + "/" + (tls == null ? "" : " ldaps://127.0.0.1:" + ldapsPort + "/");
            TestSlapd server = new TestSlapd(directory, port, ldapsPort,
                    List.of(slapd, "-f", config.toString(), "-h", urls, "-d", "0"));
            server.run();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set slapd up in " + directory, e);
        }
    }

    private static String config(Path directory, Path schema, TestCa tls) {
        StringBuilder conf = new StringBuilder();
        for (String name : List.of("core", "cosine", "inetorgperson")) {
            conf.append("include /etc/ldap/schema/").append(name).append(".schema\n");
        }
        conf.append("include ").append(schema).append('\n')
                .append("pidfile ").append(directory.resolve("slapd.pid")).append('\n')
                .append("argsfile ").append(directory.resolve("slapd.args")).append('\n')
                .append("modulepath /usr/lib/ldap\nmoduleload back_mdb\n");
        if (tls != null) {
            conf.append("TLSCACertificateFile ").append(tls.caFile()).append('\n')
                    .append("TLSCertificateFile ").append(tls.certFile()).append('\n')
                    .append("TLSCertificateKeyFile ").append(tls.keyFile()).append('\n');
        }
        String bind = TestDirectory.BIND_DN;
        conf.append("database mdb\nmaxsize 104857600\n")
                .append("suffix \"").append(TestDirectory.BASE_DN).append("\"\n")
                .append("rootdn \"cn=admin,").append(TestDirectory.BASE_DN).append("\"\n")
                .append("rootpw admin-secret-unused\n")
                .append("directory ").append(directory.resolve("db")).append('\n')
                .append("limits dn.exact=\"").append(bind).append("\" size=5 size.pr=5 size.prtotal=unlimited\n")
                .append("access to attrs=userPassword by anonymous auth by * none\n")
                .append("access to * by dn.exact=\"").append(bind).append("\" read by * none\n");
        return conf.toString();
    }

    private void run() throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("slapd.log").toFile()).start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answers()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = Files.exists(directory.resolve("slapd.log")) ? Files.readString(directory.resolve("slapd.log")) : "";
                stop();
                throw new IllegalStateException("slapd did not start: " + String.join(" ", command) + "\n" + log);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting slapd", e);
            }
        }
    }

    private boolean answers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code ldap://127.0.0.1:PORT}. */
    public String url() {
        return "ldap://127.0.0.1:" + port;
    }

    /** {@code ldap://localhost:PORT}: the certificate's name, for StartTLS. */
    public String localhostUrl() {
        return "ldap://localhost:" + port;
    }

    /** {@code ldaps://localhost:PORT}; only when started with TLS. */
    public String ldapsUrl() {
        if (ldapsPort == 0) {
            throw new IllegalStateException("slapd was started without TLS");
        }
        return "ldaps://localhost:" + ldapsPort;
    }

    /** Stops slapd (SIGTERM, then waits): the directory is down. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts slapd again, on the same ports, with the same data. */
    public void restart() {
        try {
            run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
