package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import net.gatehouse.config.SmtpConfig.BareLineEndings;

/**
 * Reads the configuration file (SPEC §2) into a {@link GatewayConfig}, validating every value once,
 * at start-up. The first problem found stops the load with a {@link ConfigException} naming the key,
 * the reason and the line; keys the file has but Gatehouse does not know are problems too.
 *
 * <p>Each section is read by one method below, key by key, with its default next to it (the
 * {@code policy} section by {@link PolicyReader}, which also reads the console's policy document);
 * {@code docs/CONFIGURATION.md} documents the same keys and defaults for administrators. The text
 * becomes a tree of nodes in {@link YamlComposer}.
 */
public final class ConfigLoader {

    private static final long MIB = 1L << 20;
    private static final int MAX_PORT = 65535;

    private ConfigLoader() {
    }

    /**
     * Reads and validates the file; relative paths in it are resolved against its directory.
     *
     * @throws ConfigException if the file cannot be read, is not YAML, or has a bad or unknown key
     */
    public static GatewayConfig load(Path file) throws ConfigException {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", "cannot read " + file + ": no such file", 0, 0, e);
        } catch (AccessDeniedException e) {
            throw new ConfigException("", "cannot read " + file + ": permission denied", 0, 0, e);
        } catch (CharacterCodingException e) {
            throw new ConfigException("", "cannot read " + file + ": not UTF-8 text", 0, 0, e);
        } catch (IOException e) {
            throw new ConfigException("", "cannot read " + file + ": " + e.getMessage(), 0, 0, e);
        }
        return parse(yaml, file.toAbsolutePath().getParent());
    }

    /**
     * Validates a configuration given as text.
     *
     * @param baseDir directory against which relative paths ({@code data_dir}, TLS files) are resolved
     * @throws ConfigException if the text is not YAML or has a bad or unknown key
     */
    public static GatewayConfig parse(String yaml, Path baseDir) throws ConfigException {
        return new ConfigValue("", YamlComposer.compose(yaml)).section(root -> gateway(root, baseDir));
    }

    /**
     * Validates a policy document: the body of a {@code policy} section, as the console stores it and
     * {@code gatehouse policy import} reads it. Errors name keys as in the file ({@code
     * policy.domains[0].backend}).
     *
     * @throws ConfigException if the text is not YAML or has a bad or unknown key
     */
    public static PolicyConfig parsePolicy(String yaml) throws ConfigException {
        if (yaml.isBlank()) {
            return PolicyConfig.DEFAULTS;
        }
        return new ConfigValue("policy", YamlComposer.compose(yaml)).section(PolicyReader::read);
    }

    private static GatewayConfig gateway(ConfigSection root, Path baseDir) throws ConfigException {
        String hostname = root.optional("hostname", ConfigValue::domainName).orElseGet(ConfigLoader::machineHostName);
        Path dataDir = root.get("data_dir", v -> v.path(baseDir), baseDir.resolve("data").normalize());
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            throw root.error("data_dir", dataDir + " exists and is not a directory");
        }
        return new GatewayConfig(
                hostname,
                dataDir,
                root.section("smtp", smtp -> smtp(smtp, baseDir)),
                new ConsoleConfig(root.optionalSection("console", ConfigLoader::consoleListen)),
                root.get("store", v -> v.parse("embedded or a PostgreSQL JDBC URL", ConfigLoader::store), "embedded"),
                root.get("cache", v -> v.parse("local or a Redis URL", ConfigLoader::cache), "local"),
                node(root),
                root.section("dns", ConfigLoader::dns),
                root.section("delivery", ConfigLoader::delivery),
                root.section("callout", ConfigLoader::callout),
                root.section("message_log", log -> log.get("retention", ConfigValue::positiveDuration, Duration.ofDays(30))),
                root.section("log", ConfigLoader::log),
                root.optionalSection("policy", policy -> PolicyReader.read(policy, Optional.of(baseDir))));
    }

    /**
     * The default hostname: the machine's canonical name, as Postfix's myhostname defaults to the
     * system's. Without a usable one (the JDK gives back the IP address when the machine's address
     * has no name), {@code localhost}: fine for a trial, wrong on the Internet, and the docs say so.
     */
    private static String machineHostName() {
        try {
            return DomainName.normalize(InetAddress.getLocalHost().getCanonicalHostName());
        } catch (IOException | IllegalArgumentException e) {
            return "localhost";
        }
    }

    /**
     * The default node name: the system's host name as the kernel has it (what {@code hostname}
     * prints, no DNS lookup), so that each machine of a cluster is told apart without a setting.
     */
    private static String node(ConfigSection root) throws ConfigException {
        Optional<String> configured = root.optional("node", v -> v.parse("a node name", NodeName::check));
        if (configured.isPresent()) {
            return configured.get();
        }
        String name = NodeName.systemHostName();
        try {
            return NodeName.check(name);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("node", "the default is the machine's host name, which is not a node name ("
                    + e.getMessage() + "); set node: to a name for this node");
        }
    }

    private static SmtpConfig smtp(ConfigSection smtp, Path baseDir) throws ConfigException {
        return new SmtpConfig(
                smtp.get("listen", v -> v.addresses(ConfigLoader::listenAddress),
                        List.of(new ListenAddress("0.0.0.0", 25))),
                smtp.get("max_message_size", ConfigValue::positiveSize, 50 * MIB),
                smtp.get("max_recipients", ConfigValue::positiveNumber, 100),
                smtp.get("max_connections", ConfigValue::positiveNumber, 5000),
                smtp.get("max_connections_per_ip", ConfigValue::positiveNumber, 50),
                smtp.get("proxy_protocol", ConfigValue::bool, false),
                smtp.optionalSection("tls", tls -> tls(tls, baseDir)),
                smtp.get("command_timeout", ConfigValue::positiveDuration, Duration.ofMinutes(5)),
                smtp.get("data_timeout", ConfigValue::positiveDuration, Duration.ofMinutes(3)),
                smtp.get("min_data_rate", ConfigValue::positiveNumber, 500), // Postfix's smtpd_min_data_rate
                smtp.get("greet_pause", ConfigValue::duration, Duration.ZERO),
                smtp.get("max_errors", ConfigValue::positiveNumber, 10),
                smtp.get("bare_line_endings", v -> v.parse("normalise or reject", ConfigLoader::bareLineEndings),
                        BareLineEndings.NORMALISE),
                smtp.get("min_free_space", ConfigValue::size, 100 * MIB),
                smtp.get("shutdown_grace", ConfigValue::duration, Duration.ofSeconds(30)));
    }

    private static TlsConfig tls(ConfigSection tls, Path baseDir) throws ConfigException {
        return new TlsConfig(
                tls.required("cert", v -> readableFile(v, baseDir)),
                tls.required("key", v -> readableFile(v, baseDir)));
    }

    /** Checked now so that a wrong path stops start-up, not the first STARTTLS hours later. */
    static Path readableFile(ConfigValue value, Path baseDir) throws ConfigException {
        Path file = value.path(baseDir);
        if (!Files.exists(file)) {
            throw value.error("file " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw value.error(file + " is not a file");
        }
        if (!Files.isReadable(file)) {
            throw value.error("file " + file + " is not readable by this user");
        }
        return file;
    }

    private static ListenAddress consoleListen(ConfigSection console) throws ConfigException {
        // loopback by default: the console manages the policy and must not face the Internet by accident
        return console.get("listen", ConfigLoader::listenAddress, new ListenAddress("127.0.0.1", 8080));
    }

    private static LogConfig log(ConfigSection log) throws ConfigException {
        LogConfig d = LogConfig.DEFAULTS;
        return new LogConfig(
                log.get("format", v -> v.parse("postfix or json", text -> oneOf(LogConfig.Format.values(),
                        LogConfig.Format::configName, text)), d.format()),
                log.get("level", v -> v.parse("error, warn, info or debug", text -> oneOf(LogConfig.Level.values(),
                        LogConfig.Level::configName, text)), d.level()),
                log.get("syslog_name", v -> v.parse("a name such as postfix", ConfigLoader::syslogName), d.syslogName()));
    }

    /** The value whose configuration name is {@code word}, in any case. */
    private static <T> T oneOf(T[] values, Function<T, String> name, String word) {
        List<String> names = new ArrayList<>(values.length);
        for (T value : values) {
            if (name.apply(value).equalsIgnoreCase(word)) {
                return value;
            }
            names.add(name.apply(value));
        }
        String choices = String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.getLast();
        throw new IllegalArgumentException("expected " + choices + ", got " + quote(word));
    }

    /**
     * Postfix's {@code syslog_name}: the tag every postfix-format line starts with. Letters, digits
     * and {@code - _ .}, so that the {@code name/daemon[pid]:} prefix stays one word for the tools.
     */
    private static String syslogName(String text) {
        if (text.isEmpty() || text.length() > 64 || !Character.isLetter(text.charAt(0))
                || !text.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.'))) {
            throw new IllegalArgumentException("expected a name of letters, digits, - _ or . that starts with a letter"
                    + " (postfix, or postfix-NAME beside a Postfix on the same host), got " + quote(text));
        }
        return text;
    }

    private static DnsConfig dns(ConfigSection dns) throws ConfigException {
        return new DnsConfig(
                dns.get("servers", v -> v.distinctList(
                        s -> s.parse("an IP address, with an optional port", text -> HostPort.ipServer(text, 53))),
                        List.of()),
                dns.get("timeout", ConfigValue::positiveDuration, Duration.ofSeconds(5)));
    }

    private static DeliveryConfig delivery(ConfigSection delivery) throws ConfigException {
        Duration maxLifetime = delivery.get("max_lifetime", ConfigValue::positiveDuration, Duration.ofDays(5));
        Duration minBackoff = delivery.get("min_backoff", ConfigValue::positiveDuration, Duration.ofMinutes(5));
        Duration maxBackoff = delivery.get("max_backoff", ConfigValue::positiveDuration, Duration.ofHours(1));
        if (minBackoff.compareTo(maxBackoff) > 0) {
            throw delivery.error("min_backoff", "must not be longer than max_backoff ("
                    + Durations.format(maxBackoff) + ")");
        }
        return new DeliveryConfig(
                maxLifetime,
                minBackoff,
                maxBackoff,
                delivery.get("concurrency", ConfigValue::positiveNumber, 100),
                delivery.get("destination_concurrency", ConfigValue::positiveNumber, 20),
                delivery.get("connect_timeout", ConfigValue::positiveDuration, Duration.ofSeconds(30)),
                delivery.get("command_timeout", ConfigValue::positiveDuration, Duration.ofMinutes(5)),
                delivery.get("remote_port", v -> v.wholeNumber(1, MAX_PORT), 25));
    }

    /** Defaults: see docs/CONFIGURATION.md for why (against Postfix's verify(8) defaults). */
    public static final VerificationCacheConfig DEFAULT_CACHE = new VerificationCacheConfig(Duration.ofDays(7),
            Duration.ofHours(1), Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofSeconds(30), 1_000_000);
    public static final HarvestConfig DEFAULT_HARVEST = new HarvestConfig(Duration.ofMinutes(10), 10, Duration.ofSeconds(2),
            30, Duration.ofMinutes(30));
    public static final CalloutConfig DEFAULT_CALLOUT = new CalloutConfig("", Duration.ofSeconds(15), Duration.ofSeconds(5),
            30, 100, Duration.ofSeconds(30), Duration.ofHours(6));

    private static CalloutConfig callout(ConfigSection callout) throws ConfigException {
        CalloutConfig d = DEFAULT_CALLOUT;
        return new CalloutConfig(
                callout.get("probe_sender", v -> v.parse("an address, or \"\" for the null sender",
                        ConfigLoader::probeSender), d.probeSender()),
                callout.get("timeout", ConfigValue::positiveDuration, d.timeout()),
                callout.get("connect_timeout", ConfigValue::positiveDuration, d.connectTimeout()),
                callout.get("connections_per_backend", ConfigValue::positiveNumber, d.connectionsPerBackend()),
                callout.get("probes_per_connection", ConfigValue::positiveNumber, d.probesPerConnection()),
                callout.get("idle_timeout", ConfigValue::positiveDuration, d.idleTimeout()),
                callout.get("catch_all_recheck", ConfigValue::positiveDuration, d.catchAllRecheck()));
    }

    private static String probeSender(String text) {
        if (!text.isEmpty() && (text.indexOf('@') <= 0 || text.indexOf('@') == text.length() - 1
                || text.chars().anyMatch(c -> c <= ' ' || c == '<' || c == '>'))) {
            throw new IllegalArgumentException("expected an address such as verify@example.com, or \"\"");
        }
        return text;
    }

    private static ListenAddress listenAddress(ConfigValue value) throws ConfigException {
        return value.parse("a host:port", HostPort::listener);
    }

    // The store and cache URLs may carry passwords: messages describe what is expected and never
    // repeat the value, which would put the password in the logs.
    private static String store(String text) {
        String postgres = "jdbc:postgresql:";
        if (text.equals("embedded") || (text.startsWith(postgres) && text.length() > postgres.length())) {
            return text;
        }
        throw new IllegalArgumentException(
                "expected embedded or a PostgreSQL JDBC URL such as jdbc:postgresql://db.internal/gatehouse");
    }

    private static String cache(String text) {
        if (text.equals("local")) {
            return text;
        }
        if (!RedisUrl.isRedis(text)) {
            throw new IllegalArgumentException("expected local, or a Redis URL such as redis://cache.internal:6379/0");
        }
        RedisUrl.parse(text);
        return text;
    }

    private static BareLineEndings bareLineEndings(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "normalise", "normalize" -> BareLineEndings.NORMALISE;
            case "reject" -> BareLineEndings.REJECT;
            default -> throw new IllegalArgumentException("expected normalise or reject, got " + quote(word));
        };
    }
}
