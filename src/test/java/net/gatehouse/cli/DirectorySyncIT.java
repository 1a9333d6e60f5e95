package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.testing.TestDirectory;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shrink guard seen from outside: a running gateway refuses a snapshot that lost most of the
 * directory and keeps accepting its users; an administrator's {@code gatehouse directory sync
 * --force} takes the new snapshot, and the running gateway follows it within seconds.
 */
class DirectorySyncIT {

    @TempDir
    Path directory;

    private final TestDirectory ldap = TestDirectory.start();
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        ldap.close();
    }

    @Test
    void aForcedSyncOfTheCommandLineIsTakenByTheRunningGateway() throws Exception {
        Path password = directory.resolve("ldap.secret");
        Files.writeString(password, TestDirectory.BIND_PASSWORD);
        gateway = TestGateway.in(directory)
                .policy("directories: [{ name: corp, servers: [\"" + ldap.url() + "\"], bind_dn: \""
                        + TestDirectory.BIND_DN + "\", bind_password_file: " + password + ", base_dn: \""
                        + TestDirectory.BASE_DN + "\", page_size: 4 }]")
                .domain("{ name: corp.example, backend: [\"127.0.0.1:25\"], verification: directory }")
                .start();
        await().atMost(Duration.ofSeconds(60)).until(() -> gateway.gateway().directories().status("corp")
                .orElseThrow().snapshotTakenAt().isPresent());
        for (String cn : List.of("cn=Alice Example,ou=Users", "cn=Bob Smith,ou=Users", "cn=Sales,ou=Groups",
                "cn=Carol Jones,ou=Users")) {
            ldap.delete(cn + "," + TestDirectory.BASE_DN); // 13 addresses become 4
        }
        assertThat(gateway.gateway().directories().syncNow("corp", false).result()).isEqualTo("refused");
        assertThat(gateway.rcpt("alice@corp.example")).isEqualTo("250 2.1.5");

        CommandRun refused = CommandRun.of("", "directory", "sync", "--config=" + gateway.writeConfig());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.out()).contains("corp: refused: 4 addresses against 13");

        CommandRun forced = CommandRun.of("", "directory", "sync", "--force", "--config=" + gateway.writeConfig());
        assertThat(forced.exitCode()).as(forced.out() + forced.err()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.rcpt("alice@corp.example").equals("550 5.1.1"));
        assertThat(gateway.rcpt("reception@corp.example")).isEqualTo("250 2.1.5");
        assertThat(gateway.gateway().directories().status("corp").orElseThrow().addresses()).isEqualTo(4);
    }
}
