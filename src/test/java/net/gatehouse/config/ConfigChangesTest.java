package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigChangesTest {

    private static final Path BASE = Path.of("/srv/gatehouse");
    private static final String FILE = """
            hostname: gw.example.net
            smtp:
              listen: ["127.0.0.1:2525"]
              max_recipients: 100
            delivery:
              min_backoff: 5m
            policy:
              recipient_verification: callout
              domains:
                - { name: example.com, backend: ["10.0.0.5:25"] }
            """;

    @Test
    void anIdenticalFileChangesNothing() throws ConfigException {
        assertThat(ConfigChanges.between(parse(FILE), parse(FILE)).none()).isTrue();
    }

    @Test
    void sortsLimitsAndPolicyAsLiveAndSocketsAsRestart() throws ConfigException {
        GatewayConfig running = parse(FILE);
        GatewayConfig reread = parse(FILE.replace("max_recipients: 100", "max_recipients: 50")
                .replace("127.0.0.1:2525", "0.0.0.0:25")
                .replace("hostname: gw.example.net", "hostname: mx.example.net")
                .replace("recipient_verification: callout", "recipient_verification: valid_list"));

        ConfigChanges changes = ConfigChanges.between(running, reread);

        assertThat(changes.live()).containsExactly("smtp.max_recipients", "policy");
        assertThat(changes.restart()).containsExactly("hostname", "smtp.listen");
    }

    @Test
    void theConfigurationInForceTakesLiveValuesAndKeepsTheRestForTheRestart() throws ConfigException {
        GatewayConfig running = parse(FILE);
        GatewayConfig reread = parse(FILE.replace("max_recipients: 100", "max_recipients: 50")
                .replace("127.0.0.1:2525", "0.0.0.0:25")
                .replace("min_backoff: 5m", "min_backoff: 1m"));

        GatewayConfig inForce = ConfigChanges.inForce(running, reread);

        assertThat(inForce.smtp().maxRecipients()).isEqualTo(50);
        assertThat(inForce.smtp().listen()).isEqualTo(running.smtp().listen());
        assertThat(inForce.delivery()).isEqualTo(running.delivery());
        // until the restart, every reload names them again
        assertThat(ConfigChanges.between(inForce, reread).restart()).containsExactly("delivery", "smtp.listen");
        assertThat(ConfigChanges.between(inForce, reread).live()).isEmpty();
    }

    @Test
    void theLogSectionIsLiveAndInForceAfterTheReload() throws ConfigException {
        GatewayConfig running = parse(FILE);
        GatewayConfig reread = parse(FILE + "log: { format: json, level: debug }\n");

        assertThat(ConfigChanges.between(running, reread).live()).containsExactly("log.format", "log.level");
        assertThat(ConfigChanges.inForce(running, reread).log())
                .isEqualTo(new LogConfig(LogConfig.Format.JSON, LogConfig.Level.DEBUG, "postfix"));
    }

    @Test
    void aNewNodeNameWaitsForTheRestart() throws ConfigException {
        GatewayConfig running = parse(FILE + "node: gw1\n");
        GatewayConfig reread = parse(FILE + "node: gw2\n");

        assertThat(ConfigChanges.between(running, reread).restart()).containsExactly("node");
        assertThat(ConfigChanges.inForce(running, reread).node()).isEqualTo("gw1");
    }

    @Test
    void directoriesChangeLiveWithThePolicy() throws ConfigException {
        GatewayConfig running = parse(FILE);
        GatewayConfig reread = parse(FILE + "  directories: [{ name: corp, servers: \"ldap://dc1.corp.internal\", "
                + "base_dn: \"DC=corp\" }]\n");

        ConfigChanges changes = ConfigChanges.between(running, reread);
        assertThat(changes.live()).containsExactly("policy");
        assertThat(changes.restart()).isEmpty();
        assertThat(ConfigChanges.inForce(running, reread).policy().orElseThrow().directories())
                .extracting(DirectoryConfig::name).containsExactly("corp");
    }

    private static GatewayConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, BASE);
    }
}
