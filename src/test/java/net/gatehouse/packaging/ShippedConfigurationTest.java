package net.gatehouse.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig;
import org.junit.jupiter.api.Test;

/**
 * The configuration the Debian package installs as /etc/gatehouse/gatehouse.yaml: valid as shipped,
 * since an unknown key would stop the service at its first start, and valid once its commented
 * policy example is switched on, since that is what administrators will do first.
 */
class ShippedConfigurationTest {

    private static final Path SHIPPED = Path.of("packaging/deb/gatehouse.yaml");
    private static final Path CONFIG_DIR = Path.of("/etc/gatehouse");

    @Test
    void runsOnPort25WithItsStateWhereThePackagePutsItAndTheConsoleOnLoopback() throws Exception {
        GatewayConfig config = ConfigLoader.parse(Files.readString(SHIPPED), CONFIG_DIR);

        assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/gatehouse"));
        assertThat(config.smtp().listen()).containsExactly(new ListenAddress("0.0.0.0", 25));
        assertThat(config.console().listen()).contains(new ListenAddress("127.0.0.1", 8080));
        assertThat(config.policy()).as("no policy until the administrator declares one").isEmpty();
    }

    @Test
    void itsCommentedPolicyExampleIsValidOnceUncommented() throws Exception {
        String shipped = Files.readString(SHIPPED);
        int example = shipped.indexOf("\n#policy:\n") + 1;
        assertThat(example).as("the example starts at a line '#policy:'").isPositive();
        String uncommented = shipped.substring(0, example) + shipped.substring(example).replaceAll("(?m)^#", "");

        PolicyConfig policy = ConfigLoader.parse(uncommented, CONFIG_DIR).policy().orElseThrow();

        assertThat(policy.domains()).extracting(PolicyConfig.DomainConfig::name).containsExactly("example.com");
        assertThat(policy.trustedNetworks()).isNotEmpty();
    }
}
