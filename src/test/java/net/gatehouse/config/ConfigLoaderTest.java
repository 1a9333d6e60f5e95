package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.SmtpConfig.BareLineEndings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @BeforeEach
    void createTlsFiles() throws IOException {
        Files.writeString(dir.resolve("cert.pem"), "not checked here\n");
        Files.writeString(dir.resolve("key.pem"), "not checked here\n");
    }

    @Test
    void readsTheSpecExampleIntoRecords() throws ConfigException {
        GatewayConfig config = ConfigLoader.parse("""
                hostname: gw.example.net
                data_dir: ./data
                smtp:
                  listen: ["0.0.0.0:25"]
                  max_message_size: 50MiB
                  max_recipients: 100
                  max_connections: 5000
                  max_connections_per_ip: 50
                  proxy_protocol: false
                  tls: { cert: cert.pem, key: key.pem }
                  command_timeout: 5m
                  data_timeout: 3m
                  greet_pause: 0s
                  max_errors: 10
                  bare_line_endings: normalise
                  min_free_space: 100MiB
                  shutdown_grace: 30s
                console:
                  listen: "127.0.0.1:8080"
                store: embedded
                cache: local
                dns:
                  servers: []
                  timeout: 5s
                delivery:
                  max_lifetime: 5d
                  min_backoff: 5m
                  max_backoff: 1h
                  concurrency: 100
                  destination_concurrency: 20
                  connect_timeout: 30s
                  command_timeout: 5m
                  remote_port: 25
                policy:
                  trusted_networks: ["127.0.0.0/8", "::1/128"]
                  reject_unknown_recipient_domains: true
                  recipient_verification: callout
                  domains:
                    - name: example.com
                      backend: ["mail1.internal:25", "mail2.internal:25"]
                      verification: inherit
                      valid_recipients: ["alice@example.com", "@example.com"]
                """, dir);

        assertThat(config).isEqualTo(new GatewayConfig(
                "gw.example.net",
                dir.resolve("data"),
                new SmtpConfig(
                        List.of(new ListenAddress("0.0.0.0", 25)),
                        50 * MIB, 100, 5000, 50, false,
                        Optional.of(new TlsConfig(dir.resolve("cert.pem"), dir.resolve("key.pem"))),
                        Duration.ofMinutes(5), Duration.ofMinutes(3), 500, Duration.ZERO, 10,
                        BareLineEndings.NORMALISE, 100 * MIB, Duration.ofSeconds(30)),
                new ConsoleConfig(Optional.of(new ListenAddress("127.0.0.1", 8080))),
                "embedded",
                "local",
                NodeName.systemHostName(),
                new DnsConfig(List.of(), Duration.ofSeconds(5)),
                new DeliveryConfig(Duration.ofDays(5), Duration.ofMinutes(5), Duration.ofHours(1), 100, 20,
                        Duration.ofSeconds(30), Duration.ofMinutes(5), 25),
                ConfigLoader.DEFAULT_CALLOUT,
                Duration.ofDays(30),
                LogConfig.DEFAULTS,
                Optional.of(new PolicyConfig(
                        List.of("127.0.0.0/8", "::1/128"),
                        true,
                        Verification.CALLOUT,
                        List.of(new DomainConfig(
                                "example.com",
                                List.of(new ListenAddress("mail1.internal", 25), new ListenAddress("mail2.internal", 25)),
                                Verification.INHERIT,
                                List.of("alice@example.com", "@example.com"))),
                        "", ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST,
                        java.util.Set.of("trusted_networks", "reject_unknown_recipient_domains", "recipient_verification", "domains")))));
    }

    @Test
    void readsEveryKeyNotJustItsDefault() throws ConfigException {
        GatewayConfig config = ConfigLoader.parse("""
                hostname: MX1.Example.NET.
                data_dir: /var/lib/gatehouse
                smtp:
                  listen: ["0.0.0.0:2525", "[::]:2525"]
                  max_message_size: 10485760
                  max_recipients: 500
                  max_connections: 100
                  max_connections_per_ip: 5
                  proxy_protocol: yes
                  command_timeout: 10m
                  data_timeout: 10m
                  min_data_rate: 250
                  greet_pause: 500ms
                  max_errors: 3
                  bare_line_endings: REJECT
                  min_free_space: 1GiB
                  shutdown_grace: 2m
                console: {listen: "[::1]:0"}
                store: jdbc:postgresql://db.internal/gatehouse
                cache: local
                node: gw-1.site_a
                dns: {servers: ["127.0.0.1:5353", "::1"], timeout: 2s}
                delivery:
                  max_lifetime: 2d
                  min_backoff: 1m
                  max_backoff: 4h
                  concurrency: 10
                  destination_concurrency: 2
                  connect_timeout: 10s
                  command_timeout: 1m
                  remote_port: 2525
                log:
                  format: JSON
                  level: debug
                  syslog_name: postfix-gatehouse
                policy:
                  trusted_networks: 10.0.0.0/8
                  reject_unknown_recipient_domains: No
                  recipient_verification: valid_list
                  domains:
                    - name: example.org
                      backend: mail.internal
                      verification: none
                """, dir);

        assertThat(config).isEqualTo(new GatewayConfig(
                "mx1.example.net",
                Path.of("/var/lib/gatehouse"),
                new SmtpConfig(
                        List.of(new ListenAddress("0.0.0.0", 2525), new ListenAddress("::", 2525)),
                        10 * MIB, 500, 100, 5, true, Optional.empty(),
                        Duration.ofMinutes(10), Duration.ofMinutes(10), 250, Duration.ofMillis(500), 3,
                        BareLineEndings.REJECT, 1024 * MIB, Duration.ofMinutes(2)),
                new ConsoleConfig(Optional.of(new ListenAddress("::1", 0))),
                "jdbc:postgresql://db.internal/gatehouse",
                "local",
                "gw-1.site_a",
                new DnsConfig(List.of(new ListenAddress("127.0.0.1", 5353), new ListenAddress("::1", 53)),
                        Duration.ofSeconds(2)),
                new DeliveryConfig(Duration.ofDays(2), Duration.ofMinutes(1), Duration.ofHours(4), 10, 2,
                        Duration.ofSeconds(10), Duration.ofMinutes(1), 2525),
                ConfigLoader.DEFAULT_CALLOUT,
                Duration.ofDays(30),
                new LogConfig(LogConfig.Format.JSON, LogConfig.Level.DEBUG, "postfix-gatehouse"),
                Optional.of(new PolicyConfig(
                        List.of("10.0.0.0/8"),
                        false,
                        Verification.VALID_LIST,
                        List.of(new DomainConfig("example.org", List.of(new ListenAddress("mail.internal", 25)),
                                Verification.NONE, List.of())),
                        "", ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST,
                        java.util.Set.of("trusted_networks", "reject_unknown_recipient_domains", "recipient_verification", "domains")))));
    }

    @Test
    void theNodeNameDefaultsToTheSystemsHostNameAsTheHostnameCommandPrintsIt() throws Exception {
        Process hostname = new ProcessBuilder("hostname").redirectErrorStream(true).start();
        String printed = new String(hostname.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        assertThat(hostname.waitFor()).isZero();

        assertThat(ConfigLoader.parse("hostname: gw.example.net\n", dir).node()).isEqualTo(printed);
    }

    @Test
    void takesANodeNameOfLettersDigitsDotsDashesAndUnderscoresAsWritten() throws ConfigException {
        String longest = "N".repeat(63);

        assertThat(ConfigLoader.parse("node: Gw-1.site_A\n", dir).node()).isEqualTo("Gw-1.site_A");
        assertThat(ConfigLoader.parse("node: " + longest + "\n", dir).node()).isEqualTo(longest);
        assertThat(ConfigLoader.parse("node: 7\n", dir).node()).isEqualTo("7");
    }

    @Test
    void givesEveryKeyItsDefaultWhenOnlyTheHostnameIsSet() throws ConfigException {
        GatewayConfig config = ConfigLoader.parse("hostname: gw.example.net\n", dir);

        assertThat(config).isEqualTo(new GatewayConfig(
                "gw.example.net",
                dir.resolve("data"),
                new SmtpConfig(List.of(new ListenAddress("0.0.0.0", 25)), 50 * MIB, 100, 5000, 50, false,
                        Optional.empty(), Duration.ofMinutes(5), Duration.ofMinutes(3), 500, Duration.ZERO, 10,
                        BareLineEndings.NORMALISE, 100 * MIB, Duration.ofSeconds(30)),
                new ConsoleConfig(Optional.empty()),
                "embedded",
                "local",
                NodeName.systemHostName(),
                new DnsConfig(List.of(), Duration.ofSeconds(5)),
                new DeliveryConfig(Duration.ofDays(5), Duration.ofMinutes(5), Duration.ofHours(1), 100, 20,
                        Duration.ofSeconds(30), Duration.ofMinutes(5), 25),
                ConfigLoader.DEFAULT_CALLOUT,
                Duration.ofDays(30),
                LogConfig.DEFAULTS,
                Optional.empty()));
    }

    @Test
    void defaultsTheHostnameToAValidNameOfThisMachine() throws ConfigException {
        String hostname = ConfigLoader.parse("{}", dir).hostname();

        assertThat(DomainName.normalize(hostname)).isEqualTo(hostname);
    }

    @Test
    void givesPresentSectionsTheirDefaults() throws ConfigException {
        GatewayConfig config = ConfigLoader.parse("""
                console: {}
                policy:
                  domains:
                    - {name: example.com, backend: "mail.internal:2525"}
                """, dir);

        assertThat(config.console().listen()).contains(new ListenAddress("127.0.0.1", 8080));
        assertThat(config.policy()).contains(new PolicyConfig(List.of(), true, Verification.NONE, List.of(
                new DomainConfig("example.com", List.of(new ListenAddress("mail.internal", 2525)),
                        Verification.INHERIT, List.of())),
                        "", ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST, java.util.Set.of("domains")));
    }

    @Test
    void storesInternationalisedDomainsInTheirAsciiForm() throws ConfigException {
        GatewayConfig config = ConfigLoader.parse("""
                policy:
                  domains:
                    - name: Bücher.Example
                      backend: mail.internal
                      valid_recipients: [anna@bücher.example, "@XN--BCHER-KVA.example"]
                """, dir);

        DomainConfig domain = config.policy().orElseThrow().domains().getFirst();
        assertThat(domain.name()).isEqualTo("xn--bcher-kva.example");
        assertThat(domain.validRecipients()).containsExactly("anna@xn--bcher-kva.example", "@xn--bcher-kva.example");
    }

    @Test
    void resolvesRelativePathsAgainstTheBaseDirectory() throws ConfigException, IOException {
        Files.createDirectories(dir.resolve("tls"));
        Files.writeString(dir.resolve("tls/cert.pem"), "");
        Files.writeString(dir.resolve("tls/key.pem"), "");

        GatewayConfig config = ConfigLoader.parse("""
                data_dir: spool/../state
                smtp: {tls: {cert: tls/cert.pem, key: tls/key.pem}}
                """, dir);

        assertThat(config.dataDir()).isEqualTo(dir.resolve("state"));
        assertThat(config.smtp().tls()).contains(new TlsConfig(dir.resolve("tls/cert.pem"), dir.resolve("tls/key.pem")));
    }

    @Test
    void loadsAFileAndResolvesPathsAgainstItsDirectory() throws ConfigException, IOException {
        Path file = dir.resolve("gatehouse.yaml");
        Files.writeString(file, "hostname: gw.example.net\nsmtp: {tls: {cert: cert.pem, key: key.pem}}\n");

        GatewayConfig config = ConfigLoader.load(file);

        assertThat(config.dataDir()).isEqualTo(dir.toAbsolutePath().resolve("data"));
        assertThat(config.smtp().tls().orElseThrow().cert()).isEqualTo(dir.toAbsolutePath().resolve("cert.pem"));
    }

    @Test
    void acceptsASingleValueWhereAListIsExpected() throws ConfigException {
        GatewayConfig config = ConfigLoader.parse("smtp: {listen: \"[::1]:2525\"}", dir);

        assertThat(config.smtp().listen()).containsExactly(new ListenAddress("::1", 2525));
    }

    @Test
    void refusesAMissingFileNamingIt() {
        Path missing = dir.resolve("nowhere.yaml");

        assertThatThrownBy(() -> ConfigLoader.load(missing))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.key()).isEmpty();
                    assertThat(e.getMessage()).isEqualTo("cannot read " + missing + ": no such file");
                });
    }

    @Test
    void placesYamlSyntaxErrorsByLineAndColumn() {
        assertThatThrownBy(() -> ConfigLoader.parse("smtp:\n  listen: [\"0.0.0.0:25\"\n", dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.key()).isEmpty();
                    assertThat(e.line()).hasValue(3);
                    assertThat(e.getMessage())
                            .startsWith("not valid YAML: ")
                            .contains("while parsing a flow sequence at line 2, column 11")
                            .endsWith("(line 3, column 1)");
                });
    }

    @Test
    void placesValueErrorsByLine() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                hostname: gw.example.net
                smtp:
                  max_recipients: lots
                """, dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.key()).isEqualTo("smtp.max_recipients");
                    assertThat(e.reason()).isEqualTo("expected a whole number, got \"lots\"");
                    assertThat(e.getMessage())
                            .isEqualTo("smtp.max_recipients: expected a whole number, got \"lots\" (line 3, column 19)");
                });
    }

    /** docs/CONFIGURATION.md must show a file that loads: administrators copy it. */
    @Test
    void loadsTheExampleOfTheDocumentation() throws IOException, ConfigException {
        String doc = Files.readString(Path.of("docs/CONFIGURATION.md"));
        Matcher example = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(doc);
        assertThat(example.find()).as("a yaml block in docs/CONFIGURATION.md").isTrue();

        GatewayConfig config = ConfigLoader.parse(example.group(1), dir);

        assertThat(config.policy()).isPresent();
    }
}
