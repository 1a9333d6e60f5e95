package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.SmtpConfig.BareLineEndings;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads the configuration file (SPEC §2) into a {@link GatewayConfig}, validating every value once,
 * at start-up. The first problem found stops the load with a {@link ConfigException} naming the key,
 * the reason and the line; keys the file has but Gatehouse does not know are problems too.
 *
 * <p>Each section is read by one method below, key by key, with its default next to it;
 * {@code docs/CONFIGURATION.md} documents the same keys and defaults for administrators.
 */
public final class ConfigLoader {

    private static final long MIB = 1L << 20;
    private static final int MAX_PORT = 65535;

    // The file is the administrator's own, not input from the network, and a valid_recipients list
    // can be long: allow far more than SnakeYAML's 3 MB default, but keep a bound.
    private static final int MAX_FILE_CODE_POINTS = 256 * 1024 * 1024;

    // SnakeYAML Engine composes nested collections by recursion and has no depth limit of its own:
    // a few thousand "[" overflowed the stack (issue 11). The deepest value the file has is 5 levels
    // down (policy.domains[0].valid_recipients[0]); SnakeYAML 2's own default limit is 50.
    static final int MAX_NESTING_DEPTH = 50;

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
        return new ConfigValue("", compose(yaml)).section(root -> gateway(root, baseDir));
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
        return new ConfigValue("policy", compose(yaml)).section(ConfigLoader::policy);
    }

    /**
     * The YAML as a tree of nodes rather than plain maps: nodes keep their line, so every error can
     * say where it is, and scalars keep their text, so "5m" and "100" are read as we mean them.
     */
    private static Node compose(String yaml) throws ConfigException {
        LoadSettings settings = LoadSettings.builder()
                .setSchema(new CoreSchema()) // YAML 1.2 core: "~" and "null" are empty values
                .setCodePointLimit(MAX_FILE_CODE_POINTS)
                .build();
        try {
            return new StrictComposer(settings, yaml).getSingleNode().orElseThrow(() -> new ConfigException("",
                    "the file is empty; write for example \"hostname: <this gateway's name>\", or {} for all defaults"));
        } catch (RefusedYamlException e) {
            throw new ConfigException("", e.getMessage(), e.line, e.column, null);
        } catch (MarkedYamlEngineException e) {
            throw syntaxError(e);
        } catch (YamlEngineException e) {
            throw new ConfigException("", "not valid YAML: " + e.getMessage(), 0, 0, e);
        } catch (IllegalArgumentException e) {
            // SnakeYAML Engine 3.2 lets this out of its Tag class for a tag that decodes to leading
            // or trailing spaces ("!%20x", "!a%20"), instead of a YamlEngineException (issue 11:
            // found by fuzzing as "!%b").
            throw new ConfigException("", "not valid YAML: " + e.getMessage(), 0, 0, e);
        }
    }

    /**
     * SnakeYAML's composer, with two refusals. It applies YAML 1.1 merge keys ({@code <<: *base})
     * as it builds the tree; YAML 1.2, which the file is, has none. A file that uses one is refused,
     * not read in a way the docs do not promise. And it recurses once per level of nesting, so a
     * file nested deeper than {@link #MAX_NESTING_DEPTH} is refused before the stack runs out.
     */
    private static final class StrictComposer extends Composer {
        private int depth;

        StrictComposer(LoadSettings settings, String yaml) {
            super(settings, new ParserImpl(settings, new StreamReader(settings, yaml)));
        }

        @Override
        protected Node composeKeyNode(MappingNode node) {
            Node key = super.composeKeyNode(node);
            if (key.getTag().equals(Tag.MERGE) || key instanceof ScalarNode scalar && scalar.getValue().equals("<<")) {
                throw new RefusedYamlException(
                        "merge keys (<<) are not supported: write the keys out (an alias of a whole value, *name, works)",
                        key.getStartMark());
            }
            return key;
        }

        @Override
        protected SequenceNode composeSequenceNode(Optional<Anchor> anchor) {
            enter();
            try {
                return super.composeSequenceNode(anchor);
            } finally {
                depth--;
            }
        }

        @Override
        protected Node composeMappingNode(Optional<Anchor> anchor) {
            enter();
            try {
                return super.composeMappingNode(anchor);
            } finally {
                depth--;
            }
        }

        private void enter() {
            if (++depth > MAX_NESTING_DEPTH) {
                throw new RefusedYamlException("lists and mappings are nested more than " + MAX_NESTING_DEPTH
                        + " deep", parser.peekEvent().getStartMark());
            }
        }
    }

    private static final class RefusedYamlException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int line;
        private final int column;

        RefusedYamlException(String message, Optional<Mark> mark) {
            super(message);
            this.line = mark.map(m -> m.getLine() + 1).orElse(0);
            this.column = mark.map(m -> m.getColumn() + 1).orElse(0);
        }
    }

    private static ConfigException syntaxError(MarkedYamlEngineException e) {
        StringBuilder reason = new StringBuilder("not valid YAML: ")
                .append(Objects.requireNonNullElse(e.getProblem(), "unexpected text"));
        if (e.getContext() != null && !e.getContext().isBlank()) {
            reason.append(" (").append(e.getContext().strip());
            e.getContextMark().ifPresent(m -> reason.append(" at line ").append(m.getLine() + 1)
                    .append(", column ").append(m.getColumn() + 1));
            reason.append(')');
        }
        Optional<Mark> mark = e.getProblemMark();
        return new ConfigException("", reason.toString(),
                mark.map(m -> m.getLine() + 1).orElse(0), mark.map(m -> m.getColumn() + 1).orElse(0), e);
    }

    private static GatewayConfig gateway(ConfigSection root, Path baseDir) throws ConfigException {
        String hostname = root.optional("hostname", ConfigLoader::domainName).orElseGet(ConfigLoader::machineHostName);
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
                root.section("dns", ConfigLoader::dns),
                root.section("delivery", ConfigLoader::delivery),
                root.section("callout", ConfigLoader::callout),
                root.section("message_log", log -> log.get("retention", ConfigValue::positiveDuration, Duration.ofDays(30))),
                root.section("log", ConfigLoader::log),
                root.optionalSection("policy", ConfigLoader::policy));
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

    private static SmtpConfig smtp(ConfigSection smtp, Path baseDir) throws ConfigException {
        return new SmtpConfig(
                smtp.get("listen", v -> atLeastOne(v, v.distinctList(ConfigLoader::listenAddress)),
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
    private static Path readableFile(ConfigValue value, Path baseDir) throws ConfigException {
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

    private static PolicyConfig policy(ConfigSection policy) throws ConfigException {
        List<String> trustedNetworks = policy.get("trusted_networks",
                v -> v.distinctList(n -> n.parse("an IP network such as 10.0.0.0/8", Cidr::normalize)), List.of());
        boolean rejectUnknownRecipientDomains = policy.get("reject_unknown_recipient_domains", ConfigValue::bool, true);
        Verification recipientVerification = policy.get("recipient_verification",
                v -> v.parse("none, callout or valid_list", ConfigLoader::globalVerification), Verification.NONE);
        Map<String, String> domainPaths = new HashMap<>(); // name → path of the domain that has it
        List<DomainConfig> domains = policy.get("domains",
                v -> v.list(d -> d.section(domain -> domain(domain, domainPaths))), List.of());
        String subAddressDelimiter = policy.get("sub_address_delimiter", ConfigLoader::subAddressDelimiter, "");
        VerificationCacheConfig cache = policy.section("cache", ConfigLoader::verificationCache);
        HarvestConfig harvest = policy.section("harvest", ConfigLoader::harvest);
        Set<String> declared = new HashSet<>();
        for (String key : PolicyConfig.KEYS) {
            if (policy.value(key).isPresent()) {
                declared.add(key);
            }
        }
        return new PolicyConfig(trustedNetworks, rejectUnknownRecipientDomains, recipientVerification, domains,
                subAddressDelimiter, cache, harvest, declared);
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

    private static VerificationCacheConfig verificationCache(ConfigSection cache) throws ConfigException {
        VerificationCacheConfig d = DEFAULT_CACHE;
        VerificationCacheConfig config = new VerificationCacheConfig(
                cache.get("positive_ttl", ConfigValue::positiveDuration, d.positiveTtl()),
                cache.get("positive_refresh", ConfigValue::positiveDuration, d.positiveRefresh()),
                cache.get("negative_ttl", ConfigValue::positiveDuration, d.negativeTtl()),
                cache.get("negative_refresh", ConfigValue::positiveDuration, d.negativeRefresh()),
                cache.get("tempfail_hold", ConfigValue::duration, d.tempfailHold()),
                cache.get("max_entries", ConfigValue::positiveNumber, d.maxEntries()));
        if (config.positiveRefresh().compareTo(config.positiveTtl()) > 0) {
            throw cache.error("positive_refresh", "must not be longer than positive_ttl");
        }
        if (config.negativeRefresh().compareTo(config.negativeTtl()) > 0) {
            throw cache.error("negative_refresh", "must not be longer than negative_ttl");
        }
        return config;
    }

    private static HarvestConfig harvest(ConfigSection harvest) throws ConfigException {
        HarvestConfig d = DEFAULT_HARVEST;
        HarvestConfig config = new HarvestConfig(
                harvest.get("window", ConfigValue::positiveDuration, d.window()),
                harvest.get("tarpit_after", v -> v.wholeNumber(0, Integer.MAX_VALUE), d.tarpitAfter()),
                harvest.get("tarpit_delay", ConfigValue::duration, d.tarpitDelay()),
                harvest.get("block_after", v -> v.wholeNumber(0, Integer.MAX_VALUE), d.blockAfter()),
                harvest.get("block_for", ConfigValue::positiveDuration, d.blockFor()));
        if (config.blockAfter() > 0 && config.tarpitAfter() > config.blockAfter()) {
            throw harvest.error("tarpit_after", "must not be more than block_after (" + config.blockAfter() + ")");
        }
        return config;
    }

    private static String subAddressDelimiter(ConfigValue value) throws ConfigException {
        String delimiter = value.string();
        if (delimiter.length() > 1 || (!delimiter.isEmpty() && "+-_=".indexOf(delimiter.charAt(0)) < 0)) {
            throw value.error("expected one of + - _ = or \"\" (off), got \"" + delimiter + "\"");
        }
        return delimiter;
    }

    private static String probeSender(String text) {
        if (!text.isEmpty() && (text.indexOf('@') <= 0 || text.indexOf('@') == text.length() - 1
                || text.chars().anyMatch(c -> c <= ' ' || c == '<' || c == '>'))) {
            throw new IllegalArgumentException("expected an address such as verify@example.com, or \"\"");
        }
        return text;
    }

    private static DomainConfig domain(ConfigSection domain, Map<String, String> domainPaths) throws ConfigException {
        ConfigValue nameValue = domain.required("name", v -> v);
        String name = domainName(nameValue);
        String earlier = domainPaths.putIfAbsent(name, domain.path());
        if (earlier != null) {
            throw nameValue.error("duplicate of " + earlier);
        }
        return new DomainConfig(
                name,
                domain.required("backend", v -> atLeastOne(v, v.distinctList(
                        b -> b.parse("a host:port", text -> HostPort.server(text, 25))))),
                domain.get("verification", v -> v.parse("inherit, none, callout or valid_list",
                        ConfigLoader::domainVerification), Verification.INHERIT),
                domain.get("valid_recipients", v -> v.list(
                        r -> r.parse("an address", text -> validRecipient(text, name))), List.of()));
    }

    private static String domainName(ConfigValue value) throws ConfigException {
        return value.parse("a domain name", DomainName::normalize);
    }

    private static ListenAddress listenAddress(ConfigValue value) throws ConfigException {
        return value.parse("a host:port", HostPort::listener);
    }

    private static <T> List<T> atLeastOne(ConfigValue value, List<T> list) throws ConfigException {
        if (list.isEmpty()) {
            throw value.error("needs at least one address");
        }
        return list;
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

    private static Verification domainVerification(String word) {
        for (Verification verification : Verification.values()) {
            if (verification.configName().equalsIgnoreCase(word)) {
                return verification;
            }
        }
        throw new IllegalArgumentException("expected inherit, none, callout or valid_list, got " + quote(word));
    }

    private static Verification globalVerification(String word) {
        Verification verification;
        try {
            verification = domainVerification(word);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected none, callout or valid_list, got " + quote(word));
        }
        if (verification == Verification.INHERIT) {
            throw new IllegalArgumentException("inherit is for a domain's verification, which then follows this "
                    + "setting; here, choose none, callout or valid_list");
        }
        return verification;
    }

    /**
     * An entry of a domain's valid list: {@code local@domain}, or {@code @domain} for every address
     * of the domain. Its domain must be the one the list belongs to, since an entry for another
     * domain could never match. The local part is kept as written (matching ignores case, SPEC §3).
     */
    private static String validRecipient(String text, String domain) {
        int at = text.lastIndexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("expected an address such as alice@" + domain + ", or @" + domain
                    + " for every address of the domain, got " + quote(text));
        }
        String local = text.substring(0, at);
        String addressDomain = DomainName.normalize(text.substring(at + 1));
        if (!addressDomain.equals(domain)) {
            throw new IllegalArgumentException(quote(text) + " is not an address of " + domain);
        }
        // RFC 5321 4.5.3.1.1: at most 64 octets; no blanks or controls, which no address contains
        if (local.getBytes(StandardCharsets.UTF_8).length > 64
                || local.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException(quote(text) + " is not a valid address");
        }
        return local + "@" + addressDomain;
    }
}
