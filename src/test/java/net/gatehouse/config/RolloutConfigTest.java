package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.util.List;
import java.util.Map;
import net.gatehouse.config.Rollout.BackendDown;
import net.gatehouse.config.Rollout.Enforce;
import net.gatehouse.config.Rollout.UnknownRecipientReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SPEC §9's keys: globally under {@code policy}, per domain, and in the console's document. */
class RolloutConfigTest {

    @Test
    void defaultsToEnforcing550AndDeferAndDomainsInherit() throws ConfigException {
        PolicyConfig policy = ConfigLoader.parsePolicy("""
                domains:
                  - { name: example.com, backend: [mail.internal] }
                """);

        assertThat(policy.rollout()).isEqualTo(Rollout.DEFAULTS);
        assertThat(policy.domains().getFirst().rollout()).isEqualTo(Rollout.INHERIT);
        assertThat(policy.domains().getFirst().rollout().over(policy.rollout())).isEqualTo(Rollout.DEFAULTS);
    }

    @Test
    void readsTheGlobalSettingsAndADomainsOwnWhichOverrideThem() throws ConfigException {
        PolicyConfig policy = ConfigLoader.parsePolicy("""
                enforce: false
                unknown_recipient_reply: 450
                when_backend_down: accept_known
                domains:
                  - { name: example.com, backend: [mail.internal], enforce: true, when_backend_down: defer }
                  - { name: example.org, backend: [mail.internal], unknown_recipient_reply: inherit }
                """);

        assertThat(policy.rollout()).isEqualTo(new Rollout(Enforce.FALSE, UnknownRecipientReply.DEFER,
                BackendDown.ACCEPT_KNOWN));
        assertThat(policy.domains().get(0).rollout().over(policy.rollout())).isEqualTo(new Rollout(Enforce.TRUE,
                UnknownRecipientReply.DEFER, BackendDown.DEFER));
        assertThat(policy.domains().get(1).rollout().over(policy.rollout())).isEqualTo(policy.rollout());
        assertThat(policy.declares(Rollout.ENFORCE)).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "enforce: maybe | policy.enforce: expected true or false, got \"maybe\"",
        "enforce: inherit | policy.enforce: expected true or false, got \"inherit\"",
        "unknown_recipient_reply: 451 | policy.unknown_recipient_reply: expected 550 or 450, got \"451\"",
        "unknown_recipient_reply: inherit | policy.unknown_recipient_reply: expected 550 or 450, got \"inherit\"",
        "when_backend_down: accept | policy.when_backend_down: expected defer or accept_known, got \"accept\"",
        "domains: [{ name: a.example, backend: [m], enforce: sometimes }] | policy.domains[0].enforce: expected inherit, true or false, got \"sometimes\"",
        "domains: [{ name: a.example, backend: [m], unknown_recipient_reply: 500 }] | policy.domains[0].unknown_recipient_reply: expected inherit, 550 or 450, got \"500\"",
    })
    void refusesABadValueNamingTheKey(String yaml, String message) {
        assertThatExceptionOfType(ConfigException.class).isThrownBy(() -> ConfigLoader.parsePolicy(yaml))
                .withMessageContaining(message);
    }

    @Test
    void theConsolesDocumentKeepsThemAsWritten() throws ConfigException {
        PolicyConfig policy = ConfigLoader.parsePolicy("""
                enforce: false
                domains:
                  - { name: example.com, backend: [mail.internal], unknown_recipient_reply: 450 }
                """);

        String yaml = PolicyDocument.write(policy);

        assertThat(yaml).contains("enforce: false").contains("unknown_recipient_reply: 450")
                .doesNotContain("when_backend_down");
        assertThat(ConfigLoader.parsePolicy(yaml)).isEqualTo(policy);
    }

    @Test
    void formsAndTheApiAreReadWithTheFilesValidation() throws ConfigException {
        assertThat(PolicyDocument.rollout(Rollout.DEFAULTS, Map.of("enforce", "false")))
                .isEqualTo(new Rollout(Enforce.FALSE, UnknownRecipientReply.REJECT, BackendDown.DEFER));
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> PolicyDocument.rollout(Rollout.DEFAULTS, Map.of("when_backend_down", "never")))
                .withMessageContaining("policy.when_backend_down: expected defer or accept_known");
        assertThat(PolicyDocument.domain("example.com", List.of("mail.internal"), "inherit",
                Map.of("enforce", "false", "when_backend_down", "inherit")).rollout())
                .isEqualTo(new Rollout(Enforce.FALSE, UnknownRecipientReply.INHERIT, BackendDown.INHERIT));
    }
}
