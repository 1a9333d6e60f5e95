package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each bad file is refused with the full key of the problem and a reason an administrator can act on. */
class ConfigLoaderErrorsTest {

    @TempDir
    Path dir;

    static Stream<Arguments> badFiles() {
        return Stream.of(
                // unknown keys, at every level, with a suggestion when one is near
                bad("smpt: {}", "smpt", "unknown key (did you mean smtp?)"),
                bad("colour: blue", "colour", "unknown key; valid keys here: hostname, data_dir, smtp, console, "
                        + "store, cache, node, dns, delivery, callout, message_log, log, policy"),
                bad("smtp: {max_recipient: 5}", "smtp.max_recipient", "unknown key (did you mean max_recipients?)"),
                bad("smtp: {max-recipients: 5}", "smtp.max-recipients", "unknown key (did you mean max_recipients?)"),
                bad("smtp: {tls: {cert: cert.pem, key: key.pem, chain: x}}", "smtp.tls.chain", "unknown key; valid keys here: cert, key"),
                bad("policy: {domains: [{name: example.com, backend: m.internal, backends: x}]}",
                        "policy.domains[0].backends", "unknown key (did you mean backend?)"),
                // YAML 1.1 merge keys, which SnakeYAML would otherwise apply (CONFIGURATION.md says they do not)
                bad("console:\n  <<: {listen: \"127.0.0.1:9999\"}", "", "merge keys (<<) are not supported"),
                bad("delivery: &d {min_backoff: 1m}\ncallout:\n  <<: *d", "", "merge keys (<<) are not supported"),
                bad("cache: memcached://x", "cache", "expected local, or a Redis URL"),
                // nesting that would overflow SnakeYAML's recursive composer (issue 11)
                bad("hostname: " + "[".repeat(5000), "", "lists and mappings are nested more than 50 deep"),
                bad("policy: " + "{a: ".repeat(5000), "", "lists and mappings are nested more than 50 deep"),
                bad(nestedBlockList(5000), "", "lists and mappings are nested more than 50 deep"),
                bad("hostname: " + "[".repeat(49) + "]".repeat(49), "hostname", "expected a domain name, got a list"),
                // a tag SnakeYAML refuses with IllegalArgumentException rather than its own exception (found by fuzzing)
                bad("!%b", "", "not valid YAML: Tag must not contain leading or trailing spaces"),
                bad("hostname: !a%20 mx.example.com", "", "not valid YAML: Tag must not contain leading or trailing spaces"),
                // wrong types and bad numbers
                bad("smtp: {max_recipients: lots}", "smtp.max_recipients", "expected a whole number, got \"lots\""),
                bad("smtp: {max_recipients: 1.5}", "smtp.max_recipients", "expected a whole number, got \"1.5\""),
                bad("smtp: {max_recipients: -5}", "smtp.max_recipients", "must be at least 1, got -5"),
                bad("smtp: {max_connections: 0}", "smtp.max_connections", "must be at least 1, got 0"),
                bad("smtp: {max_errors: 99999999999}", "smtp.max_errors", "is too large, got 99999999999"),
                bad("delivery: {remote_port: 70000}", "delivery.remote_port", "must be from 1 to 65535, got 70000"),
                bad("smtp: {max_recipients: [1]}", "smtp.max_recipients", "expected a whole number, got a list"),
                bad("smtp: {max_recipients: }", "smtp.max_recipients", "expected a whole number, got an empty value"),
                bad("smtp: {proxy_protocol: maybe}", "smtp.proxy_protocol", "expected true or false, got \"maybe\""),
                bad("smtp: [listen]", "smtp", "expected a mapping (key: value lines or {key: value}), got a list"),
                bad("smtp:", "smtp", "expected a mapping (key: value lines or {key: value}), got an empty value"),
                // sizes and durations
                bad("smtp: {max_message_size: 50MB}", "smtp.max_message_size", "is ambiguous: write 50MiB"),
                bad("smtp: {max_message_size: 0}", "smtp.max_message_size", "must be larger than 0"),
                bad("smtp: {command_timeout: 30}", "smtp.command_timeout", "missing unit in \"30\""),
                bad("smtp: {data_timeout: 0s}", "smtp.data_timeout", "must be longer than 0s"),
                bad("dns: {timeout: soon}", "dns.timeout", "expected a duration such as 30s or 5m, got \"soon\""),
                bad("delivery: {min_backoff: 2h}", "delivery.min_backoff", "must not be longer than max_backoff (1h)"),
                // addresses
                bad("smtp: {listen: [\"0.0.0.0:25\", \"0.0.0.0\"]}", "smtp.listen[1]", "missing port in \"0.0.0.0\""),
                bad("smtp: {listen: [\"0.0.0.0:25\", \"0.0.0.0:25\"]}", "smtp.listen[1]", "duplicate of smtp.listen[0]"),
                bad("smtp: {listen: []}", "smtp.listen", "needs at least one address"),
                bad("smtp: {listen: \"[::1]:99999\"}", "smtp.listen", "must be a number from 0 to 65535"),
                bad("console: {listen: localhost}", "console.listen", "missing port"),
                bad("dns: {servers: [dns.example.net]}", "dns.servers[0]", "expected an IP address"),
                bad("hostname: mail_gw.example", "hostname", "contains \"_\""),
                bad("hostname: 192.0.2.1", "hostname", "ends in a number"),
                // store and cache: the value is not repeated (it may hold a password)
                bad("store: mysql://user:secret@db/gatehouse", "store", "expected embedded or a PostgreSQL JDBC URL"),
                bad("store: \"jdbc:postgresql:\"", "store", "expected embedded or a PostgreSQL JDBC URL"),
                bad("cache: \"redis://:secret@cache.internal:6379/x\"", "cache", "must be a database number"),
                bad("cache: \"redis://:secret@cache.internal:99999/0\"", "cache", "port must be from 1 to 65535"),
                bad("cache: \"redis://:secret@/0\"", "cache", "needs a host"),
                bad("cache: \"redis://:secret@cache internal/0\"", "cache", "not a valid URL"),
                bad("cache: \"redis://:secret@cache.internal/0?timeout=1\"", "cache", "options are prefix= and ca_file="),
                // node
                bad("node: \"\"", "node", "expected 1 to 63 letters, digits, . - or _"),
                bad("node: \"gw 1\"", "node", "got \"gw 1\""),
                bad("node: gw1/site", "node", "letters, digits, . - or _"),
                bad("node: gw1:25", "node", "letters, digits, . - or _"),
                bad("node: \"gwé\"", "node", "letters, digits, . - or _"),
                bad("node: " + "n".repeat(64), "node", "expected 1 to 63"),
                bad("node: [gw1, gw2]", "node", "got a list"),
                bad("node:", "node", ""),
                // log
                bad("log: {format: syslog}", "log.format", "expected postfix or json, got \"syslog\""),
                bad("log: {level: verbose}", "log.level", "expected error, warn, info or debug, got \"verbose\""),
                bad("log: {level: [info]}", "log.level", "expected error, warn, info or debug, got a list"),
                bad("log: {syslog_name: \"postfix/gatehouse\"}", "log.syslog_name", "letters, digits, - _ or ."),
                bad("log: {syslog_name: \"\"}", "log.syslog_name", "starts with a letter"),
                bad("log: {formats: json}", "log.formats", "unknown key (did you mean format?)"),
                // policy
                bad("policy: {trusted_networks: [10.0.0.0/33]}", "policy.trusted_networks[0]", "must be a number from 0 to 32"),
                bad("policy: {trusted_networks: [127.0.0.0/8, 999.1.1.1/8]}", "policy.trusted_networks[1]",
                        "is not an IP network"),
                bad("policy: {trusted_networks: [example.com]}", "policy.trusted_networks[0]", "host names are not allowed"),
                bad("policy: {trusted_networks: [10.0.0.1/8]}", "policy.trusted_networks[0]", "did you mean 10.0.0.0/8?"),
                bad("policy: {trusted_networks: [10.0.0.0/8, 10.0.0.0/8]}", "policy.trusted_networks[1]",
                        "duplicate of policy.trusted_networks[0]"),
                bad("policy: {recipient_verification: always}", "policy.recipient_verification",
                        "expected none, callout, valid_list or directory, got \"always\""),
                bad("policy: {recipient_verification: inherit}", "policy.recipient_verification",
                        "inherit is for a domain's verification"),
                bad("policy: {reject_unknown_recipient_domains: sometimes}", "policy.reject_unknown_recipient_domains",
                        "expected true or false"),
                bad("""
                        policy:
                          domains:
                            - {name: example.com, backend: mail.internal}
                            - {name: Example.COM., backend: mail.internal}
                        """, "policy.domains[1].name", "duplicate of policy.domains[0]"),
                bad("""
                        policy:
                          domains:
                            - {name: bücher.example, backend: mail.internal}
                            - {name: xn--bcher-kva.example, backend: mail.internal}
                        """, "policy.domains[1].name", "duplicate of policy.domains[0]"),
                bad("policy: {domains: [{name: example.com}]}", "policy.domains[0].backend", "required, but missing"),
                bad("policy: {domains: [{backend: mail.internal}]}", "policy.domains[0].name", "required, but missing"),
                bad("policy: {domains: [{name: example.com, backend: []}]}", "policy.domains[0].backend",
                        "needs at least one address"),
                bad("policy: {domains: [{name: example.com, backend: [a.internal, \"a.internal:99999\"]}]}",
                        "policy.domains[0].backend[1]", "must be a number from 1 to 65535"),
                bad("policy: {domains: [{name: example.com, backend: m.internal, verification: sometimes}]}",
                        "policy.domains[0].verification", "expected inherit, none, callout, valid_list or directory"),
                bad("policy: {domains: [{name: example.com, backend: m.internal, valid_recipients: [alice]}]}",
                        "policy.domains[0].valid_recipients[0]", "expected an address such as alice@example.com"),
                bad("policy: {domains: [{name: example.com, backend: m.internal, valid_recipients: [bob@example.org]}]}",
                        "policy.domains[0].valid_recipients[0]", "\"bob@example.org\" is not an address of example.com"),
                bad("policy: {domains: [{name: \"exa mple.com\", backend: m.internal}]}", "policy.domains[0].name",
                        "is not a valid domain name"),
                // TLS files must be there
                bad("smtp: {tls: {cert: missing.pem, key: key.pem}}", "smtp.tls.cert", "does not exist"),
                bad("smtp: {tls: {cert: cert.pem, key: missing.pem}}", "smtp.tls.key", "does not exist"),
                bad("smtp: {tls: {cert: cert.pem}}", "smtp.tls.key", "required, but missing"),
                bad("smtp: {tls: {cert: ., key: key.pem}}", "smtp.tls.cert", "is not a file"),
                bad("data_dir: cert.pem", "data_dir", "exists and is not a directory"),
                // the YAML itself
                bad("smtp:\n  max_recipients: 5\n  max_recipients: 6\n", "smtp.max_recipients", "duplicate key (first at line 2)"),
                bad("hostname: a.example\nhostname: b.example\n", "hostname", "duplicate key (first at line 1)"),
                bad("", "", "the file is empty"),
                bad("# nothing but a comment\n", "", "the file is empty"),
                bad("- hostname: gw.example.net", "", "expected a mapping (key: value lines or {key: value}), got a list"),
                bad("gw.example.net", "", "expected a mapping (key: value lines or {key: value}), got \"gw.example.net\""),
                bad("hostname: a.example\n---\nhostname: b.example\n", "", "not valid YAML"),
                bad("smtp: {listen: *nowhere}", "", "not valid YAML: found undefined alias nowhere"));
    }

    /** "-" under "-" under "-", each indented one more. */
    private static String nestedBlockList(int depth) {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            yaml.append(" ".repeat(i)).append("-\n");
        }
        return yaml.toString();
    }

    private static Arguments bad(String yaml, String key, String reason) {
        return Arguments.of(yaml, key, reason);
    }

    @ParameterizedTest(name = "[{index}] {1}: {2}")
    @MethodSource("badFiles")
    void refusesWithTheKeyAndTheReason(String yaml, String key, String reason) throws IOException {
        Files.writeString(dir.resolve("cert.pem"), "");
        Files.writeString(dir.resolve("key.pem"), "");

        assertThatThrownBy(() -> ConfigLoader.parse(yaml, dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.key()).isEqualTo(key);
                    assertThat(e.getMessage()).startsWith(key.isEmpty() ? "" : key + ": ").contains(reason);
                });
    }

    @Test
    void neverRepeatsAStoreUrlThatMayHoldAPassword() {
        assertThatThrownBy(() -> ConfigLoader.parse("store: mysql://gatehouse:s3cret@db/gatehouse", dir))
                .isInstanceOf(ConfigException.class)
                .message().doesNotContain("s3cret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis://:s3cret@cache.internal:6379/x", "redis://gw:s3cret@cache internal/0",
            "redis://:s3cret@cache.internal/0?prefix=a b", "rediss://gw:s3cret@:0/0"})
    void neverRepeatsACacheUrlThatMayHoldAPassword(String url) {
        assertThatThrownBy(() -> ConfigLoader.parse("cache: \"" + url + "\"", dir))
                .isInstanceOf(ConfigException.class)
                .message().doesNotContain("s3cret");
    }
}
