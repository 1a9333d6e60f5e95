package net.gatehouse.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.gatehouse.Gateway;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.Database;

/**
 * The real gateway, in this JVM, on an ephemeral loopback port, configured through the real YAML
 * loader. Build one, {@link #start()} it, talk to {@link #port()}.
 */
public final class TestGateway implements AutoCloseable {

    private final Path directory;
    private final Map<String, String> smtp = settings("listen: [\"127.0.0.1:0\"]", "min_free_space: 1MiB",
            "shutdown_grace: 2s");
    private final Map<String, String> delivery = settings("min_backoff: 1s", "max_backoff: 2s",
            "connect_timeout: 2s", "command_timeout: 5s", "remote_port: 25");
    private final Map<String, String> policy = new LinkedHashMap<>();
    private final Map<String, String> callout = settings("connect_timeout: 1s");
    private final Map<String, String> log = new LinkedHashMap<>();
    private final List<String> trusted = new ArrayList<>();
    private final List<String> domains = new ArrayList<>();
    private final List<ConsoleUser> consoleUsers = new ArrayList<>();
    private String dns = "";
    private String console = "";
    private String cache = "";
    private String store = "";
    private String node = "";
    private Duration heartbeat = Gateway.HEARTBEAT_INTERVAL;
    private Gateway.Polling polling = Gateway.Polling.DEFAULT;
    private Gateway gateway;
    private GatewayConfig config;

    private TestGateway(Path directory) {
        this.directory = directory;
    }

    public static TestGateway in(Path directory) {
        return new TestGateway(directory);
    }

    /** Protects a domain whose back-end is the given test server. */
    public TestGateway protect(String domain, String backendHostPort) {
        domains.add("    - { name: " + domain + ", backend: [\"" + backendHostPort + "\"] }");
        return this;
    }

    /** Adds a raw domain entry (YAML flow mapping) under policy.domains. */
    public TestGateway domain(String flowMapping) {
        domains.add("    - " + flowMapping);
        return this;
    }

    public TestGateway trust(String network) {
        trusted.add("\"" + network + "\"");
        return this;
    }

    /** A setting under {@code smtp:}, e.g. {@code max_recipients: 3}; replaces the test default. */
    public TestGateway smtp(String line) {
        put(smtp, line);
        return this;
    }

    /** A setting under {@code delivery:}, e.g. {@code max_lifetime: 1s}; replaces the test default. */
    public TestGateway delivery(String line) {
        put(delivery, line);
        return this;
    }

    /** A setting under {@code callout:}, e.g. {@code timeout: 2s}. */
    public TestGateway callout(String line) {
        put(callout, line);
        return this;
    }

    /** A setting under {@code log:}, e.g. {@code format: json}. */
    public TestGateway log(String line) {
        put(log, line);
        return this;
    }

    /** A setting under {@code policy:}, e.g. {@code recipient_verification: valid_list}. */
    public TestGateway policy(String line) {
        put(policy, line);
        return this;
    }

    private static Map<String, String> settings(String... lines) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : lines) {
            put(settings, line);
        }
        return settings;
    }

    private static void put(Map<String, String> settings, String line) {
        settings.put(line.substring(0, line.indexOf(':')).trim(), line);
    }

    /** The top-level {@code cache:} setting, e.g. a {@link TestRedis#url()}. */
    public TestGateway cache(String url) {
        cache = "cache: \"" + url + "\"\n";
        return this;
    }

    /** The top-level {@code store:} setting, e.g. a {@link TestPostgres#jdbcUrl()}; embedded by default. */
    public TestGateway store(String url) {
        store = "store: \"" + url + "\"\n";
        return this;
    }

    /** The top-level {@code node:} setting: this node's name in the cluster. */
    public TestGateway node(String name) {
        node = "node: \"" + name + "\"\n";
        return this;
    }

    /** How often the node writes its heartbeat (default {@link Gateway#HEARTBEAT_INTERVAL}). */
    public TestGateway heartbeat(Duration interval) {
        heartbeat = interval;
        return this;
    }

    /** How often the gateway polls the store for changes made elsewhere; by default as in production. */
    public TestGateway polling(Duration every) {
        polling = new Gateway.Polling(every, every);
        return this;
    }

    /** Enables STARTTLS with a freshly generated self-signed certificate. */
    public TestGateway tls() throws IOException {
        Path cert = directory.resolve("tls/cert.pem");
        Path key = directory.resolve("tls/key.pem");
        Files.createDirectories(cert.getParent());
        net.gatehouse.tls.SelfSignedCertificate.create(cert, key, "localhost");
        return smtp("tls: { cert: \"" + cert + "\", key: \"" + key + "\" }");
    }

    /** Serves /metrics, /healthz and /readyz (and later the console) on this address. */
    public TestGateway console(String listen) {
        console = "console:\n  listen: \"" + listen + "\"\n";
        return this;
    }

    /** A console user whose password no test uses; see {@link #consoleUser(String, String, String)}. */
    public TestGateway consoleUser(String name, String role) {
        return consoleUser(name, role, "unused password");
    }

    /**
     * Test only: a console user (role admin or viewer) written into the store before the gateway
     * starts, with a {@link ConsoleClient#cheapHash}; the gateway then makes no first-run
     * administrator, whose password hashing takes seconds.
     */
    public TestGateway consoleUser(String name, String role, String password) {
        consoleUsers.add(new ConsoleUser(name, role, password));
        return this;
    }

    public TestGateway dns(TestDns server) {
        return dns(server, Duration.ofSeconds(2));
    }

    public TestGateway dns(TestDns server, Duration timeout) {
        return dns(server.address().getHostString() + ":" + server.address().getPort(), timeout);
    }

    /** Sends every DNS query to the server at {@code hostPort} (e.g. a {@link Dnsmasq}). */
    public TestGateway dns(String hostPort, Duration timeout) {
        dns = "dns:\n  servers: [\"" + hostPort + "\"]\n  timeout: " + timeout.toMillis() + "ms\n";
        return this;
    }

    /** The configuration file this gateway is started with. */
    public String yaml() {
        StringBuilder yaml = new StringBuilder()
                .append("hostname: gw.test\n")
                .append("data_dir: ").append(directory.resolve("data")).append('\n')
                .append("smtp:\n");
        smtp.values().forEach(line -> yaml.append("  ").append(line).append('\n'));
        yaml.append("delivery:\n");
        delivery.values().forEach(line -> yaml.append("  ").append(line).append('\n'));
        yaml.append("callout:\n");
        callout.values().forEach(line -> yaml.append("  ").append(line).append('\n'));
        yaml.append(dns).append(console).append(cache).append(store).append(node);
        if (!log.isEmpty()) {
            yaml.append("log:\n");
            log.values().forEach(line -> yaml.append("  ").append(line).append('\n'));
        }
        yaml.append("policy:\n  trusted_networks: [").append(String.join(", ", trusted)).append("]\n");
        policy.values().forEach(line -> yaml.append("  ").append(line).append('\n'));
        yaml.append("  domains:\n");
        domains.forEach(line -> yaml.append(line).append('\n'));
        if (domains.isEmpty()) {
            yaml.setLength(yaml.length() - "  domains:\n".length());
        }
        return yaml.toString();
    }

    /** The port outbound (MX) deliveries connect to; a test MX listens on an ephemeral port. */
    public TestGateway remotePort(int port) {
        return delivery("remote_port: " + port);
    }

    /**
     * One RCPT TO on a new session (after a MAIL FROM from elsewhere), answered as "code enhanced",
     * e.g. {@code "550 5.1.1"}: the verdict for {@code recipient}.
     */
    public String rcpt(String recipient) throws IOException {
        try (SmtpTestClient client = client()) {
            client.command("MAIL FROM:<sender@elsewhere.test>");
            Reply reply = client.command("RCPT TO:<" + recipient + ">");
            return reply.code() + " " + reply.enhanced();
        }
    }

    /** Writes the configuration to {@code gatehouse.yaml} in the directory and returns its path. */
    public Path writeConfig() throws IOException {
        Files.createDirectories(directory);
        Path file = directory.resolve("gatehouse.yaml");
        Files.writeString(file, yaml());
        return file;
    }

    public TestGateway start() throws Exception {
        config = ConfigLoader.load(writeConfig());
        if (!consoleUsers.isEmpty()) {
            try (Database database = Database.open(config.store(), config.dataDir())) {
                ConsoleUsers users = new ConsoleUsers(database);
                consoleUsers.forEach(user -> users.add(user.name(), user.role(), ConsoleClient.cheapHash(user.password()),
                        Instant.now(), TestActor.TEST));
            }
        }
        gateway = new Gateway(config, Clock.systemUTC(), polling, heartbeat);
        gateway.start();
        return this;
    }

    public int port() {
        return gateway.smtpAddresses().getFirst().getPort();
    }

    public Gateway gateway() {
        return gateway;
    }

    public GatewayConfig config() {
        return config;
    }

    public Path dataDir() {
        return config.dataDir();
    }

    public SmtpTestClient client() throws IOException {
        SmtpTestClient client = SmtpTestClient.connect(port());
        client.command("EHLO client.test");
        return client;
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private record ConsoleUser(String name, String role, String password) {
    }
}
