package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import org.junit.jupiter.api.Test;

class PolicyDocumentTest {

    @Test
    void readsBackExactlyWhatItWrote() throws ConfigException {
        PolicyConfig policy = new PolicyConfig(List.of("10.0.0.0/8", "2001:db8::/32"), false, Verification.VALID_LIST,
                List.of(new DomainConfig("example.com", List.of(new ListenAddress("mail.internal", 2525),
                        new ListenAddress("::1", 25)), Verification.CALLOUT, List.of("alice@example.com", "@example.com")),
                        new DomainConfig("xn--bcher-kva.example", List.of(new ListenAddress("10.0.0.5", 25)),
                                Verification.INHERIT, List.of())),
                "+", new VerificationCacheConfig(Duration.ofDays(3), Duration.ofHours(2), Duration.ofMinutes(10),
                        Duration.ofMinutes(1), Duration.ZERO, 5000),
                new HarvestConfig(Duration.ofMinutes(5), 3, Duration.ofSeconds(1), 9, Duration.ofHours(1)));

        String yaml = PolicyDocument.write(policy);

        assertThat(ConfigLoader.parsePolicy(yaml)).isEqualTo(policy);
    }

    @Test
    void writesOnlyTheKeysThePolicyDeclares() throws ConfigException {
        PolicyConfig policy = new PolicyConfig(List.of(), true, Verification.CALLOUT, List.of(), "",
                ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST, Set.of("recipient_verification"));

        String yaml = PolicyDocument.write(policy);

        assertThat(yaml).isEqualTo("recipient_verification: callout\n");
        assertThat(ConfigLoader.parsePolicy(yaml)).isEqualTo(policy);
        assertThat(PolicyDocument.write(PolicyConfig.DEFAULTS)).isEqualTo("{}\n");
        assertThat(ConfigLoader.parsePolicy("{}\n")).isEqualTo(PolicyConfig.DEFAULTS);
    }

    @Test
    void quotesWhatYamlWouldOtherwiseReadAsSomethingElse() throws ConfigException {
        // "no" is a boolean in YAML 1.1 readers, "-" starts a list: the writer must quote them
        PolicyConfig policy = new PolicyConfig(List.of(), true, Verification.NONE, List.of(), "-",
                ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST, Set.of("sub_address_delimiter"));

        assertThat(ConfigLoader.parsePolicy(PolicyDocument.write(policy)).subAddressDelimiter()).isEqualTo("-");
    }

    @Test
    void readsADomainFromFormWordsWithTheFilesValidation() throws ConfigException {
        DomainConfig domain = PolicyDocument.domain("Example.COM", List.of("mail.internal:2525", "10.0.0.1"), "callout");

        assertThat(domain).isEqualTo(new DomainConfig("example.com", List.of(new ListenAddress("mail.internal", 2525),
                new ListenAddress("10.0.0.1", 25)), Verification.CALLOUT, List.of()));
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> PolicyDocument.domain("example.com", List.of("mail.internal:99999"), "inherit"))
                .withMessageContaining("policy.domains[0].backend[0]");
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> PolicyDocument.domain("example.com", List.of(), "inherit"))
                .withMessageContaining("at least one");
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> PolicyDocument.domain("example.com", List.of("mail:25"), "sometimes"))
                .withMessageContaining("verification");
    }
}
