package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import net.gatehouse.config.DirectoryConfig.Kind;
import net.gatehouse.config.DirectoryConfig.Server;
import net.gatehouse.config.PolicyConfig.Verification;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code policy.directories} and {@code verification: directory} (SPEC §8): defaults, and refusals naming the key. */
class DirectoryConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void secret() throws IOException {
        Files.writeString(dir.resolve("ldap.secret"), "the-password-x1\n");
    }

    private static final String CORP = "{name: corp, servers: [\"ldaps://dc1.corp.internal\", \"ldap://dc2.corp.internal:3389\"], "
            + "bind_dn: \"CN=gatehouse,OU=Service,DC=corp,DC=internal\", bind_password_file: ldap.secret, "
            + "base_dn: \"DC=corp,DC=internal\"";

    private GatewayConfig load(String policy) throws ConfigException {
        return ConfigLoader.parse("policy:\n" + policy, dir);
    }

    @Test
    void readsADirectoryWithTheDefaultsOfActiveDirectory() throws ConfigException {
        GatewayConfig config = load("  directories: [" + CORP + "}]\n"
                + "  domains: [{name: corp.example, backend: \"exchange.corp.internal:25\", verification: directory, directory: corp}]\n");
        PolicyConfig policy = config.policy().orElseThrow();
        DirectoryConfig corp = policy.directories().getFirst();
        assertThat(corp.servers()).containsExactly(new Server(true, "dc1.corp.internal", 636),
                new Server(false, "dc2.corp.internal", 3389));
        assertThat(corp.kind()).isEqualTo(Kind.ACTIVE_DIRECTORY);
        assertThat(corp.attributes()).containsExactly("mail", "proxyAddresses", "otherMailbox", "mailAlternativeAddress");
        assertThat(corp.filter()).isEqualTo(
                "(|(objectClass=user)(objectClass=group)(objectClass=contact)(objectClass=publicFolder))");
        assertThat(corp.excludeDisabled()).isFalse();
        assertThat(corp.syncEvery()).isEqualTo(Duration.ofMinutes(10));
        assertThat(corp.maxShrink()).isEqualTo(0.5);
        assertThat(corp.bindPasswordFile()).contains(dir.resolve("ldap.secret"));
        assertThat(corp.passwordVariable()).isEqualTo("GATEHOUSE_LDAP_CORP_PASSWORD");
        assertThat(policy.domains().getFirst().verification()).isEqualTo(Verification.DIRECTORY);
        assertThat(policy.domains().getFirst().directories()).containsExactly("corp");
        assertThat(policy.declares(PolicyConfig.DIRECTORIES)).isTrue();
    }

    @Test
    void namesThePasswordVariableInUpperCaseWithUnderscores() {
        assertThat(DirectoryConfig.passwordVariable("corp-eu.2")).isEqualTo("GATEHOUSE_LDAP_CORP_EU_2_PASSWORD");
    }

    @Test
    void aDomainMayNameSeveralDirectoriesAndRecipientVerificationMayBeDirectory() throws ConfigException {
        PolicyConfig policy = load("  recipient_verification: directory\n  directories: [" + CORP + "}, {name: emea, servers: \"ldap://dc.emea.internal\", "
                + "base_dn: \"DC=emea,DC=internal\", kind: openldap, max_shrink: 20%}]\n"
                + "  domains: [{name: corp.example, backend: \"x.internal:25\", directory: [corp, emea]}]\n").policy().orElseThrow();
        assertThat(policy.recipientVerification()).isEqualTo(Verification.DIRECTORY);
        assertThat(policy.domains().getFirst().directories()).containsExactly("corp", "emea");
        DirectoryConfig emea = policy.directory("emea").orElseThrow();
        assertThat(emea.bindDn()).isEmpty();
        assertThat(emea.maxShrink()).isEqualTo(0.2);
        assertThat(emea.attributes()).containsExactly("mail", "mailAlternativeAddress");
    }

    static Stream<Arguments> badDirectories() {
        return Stream.of(
                bad("  directories: [" + CORP + ", servers: [\"http://dc1\"]}]\n", "policy.directories[0].servers",
                        "duplicate key"),
                bad("  directories: [{name: corp, servers: [\"http://dc1\"], base_dn: \"DC=x\"}]\n",
                        "policy.directories[0].servers[0]", "expected ldap://host:port or ldaps://host:port"),
                bad("  directories: [{name: corp, servers: [\"ldap://dc1/DC=corp\"], base_dn: \"DC=x\"}]\n",
                        "policy.directories[0].servers[0]", "the base DN is base_dn"),
                bad("  directories: [{name: corp, servers: [], base_dn: \"DC=x\"}]\n",
                        "policy.directories[0].servers", "needs at least one address"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\", bind_dn: \"CN=g,DC=x\"}]\n",
                        "policy.directories[0].bind_dn", "needs a password: set bind_password_file, or "
                                + "GATEHOUSE_LDAP_CORP_PASSWORD in the environment"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\", bind_password_file: ldap.secret}]\n",
                        "policy.directories[0].bind_password_file", "bind_dn is not"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\", bind_dn: \"CN=g,DC=x\", "
                        + "bind_password_file: missing.secret}]\n", "policy.directories[0].bind_password_file",
                        "does not exist"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"not a dn\"}]\n",
                        "policy.directories[0].base_dn", "expected a DN"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\", filter: \"(mail=*\"}]\n",
                        "policy.directories[0].filter", "not a valid LDAP filter"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\", kind: novell}]\n",
                        "policy.directories[0].kind", "expected active_directory or openldap"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\", max_shrink: 150%}]\n",
                        "policy.directories[0].max_shrink", "at most 100%"),
                bad("  directories: [{name: corp, servers: \"ldaps://dc1\", base_dn: \"DC=x\", start_tls: true}]\n",
                        "policy.directories[0].start_tls", "every server here is ldaps://"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\", kind: openldap, "
                        + "exclude_disabled: true}]\n", "policy.directories[0].exclude_disabled", "kind: active_directory"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\"}, {name: corp, servers: "
                        + "\"ldap://dc2\", base_dn: \"DC=x\"}]\n", "policy.directories[1].name", "another directory"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\", sync_evry: 1m}]\n",
                        "policy.directories[0].sync_evry", "did you mean sync_every?"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\"}]\n"
                        + "  domains: [{name: corp.example, backend: \"x:25\", verification: directory, directory: crop}]\n",
                        "policy.domains[0].directory", "no directory \"crop\" in policy.directories (it has corp)"),
                bad("  domains: [{name: corp.example, backend: \"x:25\", verification: directory}]\n",
                        "policy.domains[0].verification", "needs at least one directory in policy.directories"),
                bad("  recipient_verification: directory\n", "policy.recipient_verification",
                        "needs at least one directory"),
                bad("  directories: [{name: corp, servers: \"ldap://dc1\", base_dn: \"DC=x\"}]\n"
                        + "  domains: [{name: corp.example, backend: \"x:25\", verification: callout, directory: corp}]\n",
                        "policy.domains[0].directory", "is used only with verification: directory"));
    }

    private static Arguments bad(String policy, String key, String reason) {
        return Arguments.of(policy, key, reason);
    }

    @ParameterizedTest
    @MethodSource("badDirectories")
    void refusesWithTheKeyAndTheReason(String policy, String key, String reason) {
        assertThatThrownBy(() -> load(policy)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).contains(reason).doesNotContain("the-password-x1");
        });
    }

    @Test
    void theConsolesDocumentDeclaresDirectoriesWhosePasswordIsInTheStore() throws ConfigException {
        // no password anywhere: the console keeps it apart (store.DirectoryPasswords), so bind_dn alone is valid
        PolicyConfig stored = ConfigLoader.parsePolicy("directories: [{name: corp, servers: \"ldap://dc1\", "
                + "bind_dn: \"CN=gw,DC=x\", base_dn: \"DC=x\", ca_file: /nowhere/on/this/node.pem, kind: openldap, "
                + "max_shrink: 0.07}]\n");
        DirectoryConfig corp = stored.directories().getFirst();
        assertThat(corp.bindPasswordFile()).isEmpty();
        assertThat(corp.caFile()).contains(Path.of("/nowhere/on/this/node.pem")); // checked where edited, not here
        assertThat(corp.attributes()).isEqualTo(DirectoryConfig.Kind.OPENLDAP.defaultAttributes());
        assertThat(stored.declares(PolicyConfig.DIRECTORIES)).isTrue();
        String written = PolicyDocument.write(stored);
        assertThat(written).doesNotContain("attributes").doesNotContain("filter").contains("0.07");
        assertThat(ConfigLoader.parsePolicy(written)).isEqualTo(stored);
    }

    @Test
    void theConsolesDocumentRefusesAPasswordFileAndARelativeCaFile() {
        assertThatThrownBy(() -> ConfigLoader.parsePolicy("directories: [{name: corp, servers: \"ldap://dc1\", "
                + "bind_dn: \"CN=gw,DC=x\", bind_password_file: /etc/x, base_dn: \"DC=x\"}]\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.key()).isEqualTo("policy.directories[0].bind_password_file");
                    assertThat(e.getMessage()).contains("keeps its bind password in the store");
                });
        assertThatThrownBy(() -> ConfigLoader.parsePolicy("directories: [{name: corp, servers: \"ldap://dc1\", "
                + "ca_file: ca.pem, base_dn: \"DC=x\"}]\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.key()).isEqualTo("policy.directories[0].ca_file");
                    assertThat(e.getMessage()).contains("expected an absolute path");
                });
    }

    @Test
    void theConsolesDocumentMayUseTheFilesDirectoriesByName() throws ConfigException {
        PolicyConfig stored = ConfigLoader.parsePolicy(
                "domains: [{name: corp.example, backend: \"x:25\", verification: directory, directory: corp}]\n");
        assertThat(stored.domains().getFirst().directories()).containsExactly("corp");
        assertThat(ConfigLoader.parsePolicy(PolicyDocument.write(stored))).isEqualTo(stored);
        assertThat(List.of(PolicyDocument.write(stored))).anySatisfy(text -> assertThat(text).contains("directory:"));
    }
}
