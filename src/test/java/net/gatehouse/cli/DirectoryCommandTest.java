package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.Database;
import net.gatehouse.testing.LoopbackPorts;
import net.gatehouse.testing.TestDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse directory sync|test} and {@code gatehouse check} for a domain verified against a
 * directory (SPEC §8), run in-process against UnboundID's in-memory server.
 */
class DirectoryCommandTest {

    @TempDir
    Path directory;

    private TestDirectory ldap;
    private Path config;

    @BeforeEach
    void start() throws Exception {
        ldap = TestDirectory.start();
        config = config(ldap.url());
    }

    @AfterEach
    void stop() {
        ldap.close();
    }

    private Path config(String server) throws Exception {
        Files.writeString(directory.resolve("ldap.secret"), TestDirectory.BIND_PASSWORD);
        Path file = directory.resolve("gatehouse.yaml");
        Files.writeString(file, """
                hostname: gw.test
                data_dir: data
                policy:
                  sub_address_delimiter: "+"
                  directories:
                    - { name: corp, servers: ["%s"], bind_dn: "%s", bind_password_file: ldap.secret,
                        base_dn: "%s", page_size: 4, connect_timeout: 2s }
                  domains:
                    - { name: corp.example, backend: ["127.0.0.1:2526"], verification: directory, directory: corp }
                """.formatted(server, TestDirectory.BIND_DN, TestDirectory.BASE_DN));
        return file;
    }

    private CommandRun run(String... args) {
        return CommandRun.of("", args);
    }

    @Test
    void testShowsWhichEntryAndAttributeMakeAnAddressValid() {
        CommandRun alias = run("directory", "test", "--config=" + config, "A.Example+news@corp.example");
        assertThat(alias.exitCode()).as(alias.err()).isZero();
        assertThat(alias.out()).contains("match: cn=Alice Example,ou=Users,dc=corp,dc=example")
                .contains("proxyAddresses: smtp:a.example@corp.example  (without the sub-address)")
                .contains("snapshot in force (no snapshot yet): does not list it");

        CommandRun ghost = run("directory", "test", "--config=" + config, "ghost@corp.example");
        assertThat(ghost.exitCode()).isEqualTo(5);
        assertThat(ghost.out()).contains("not listed");
    }

    @Test
    void syncPutsTheSnapshotInTheStoreAndIsAudited() throws Exception {
        CommandRun sync = run("directory", "sync", "--config=" + config);
        assertThat(sync.exitCode()).as(sync.err()).isZero();
        assertThat(sync.out()).contains("corp: ok: in force: 8 entries, 13 addresses");
        String url = ldap.url();
        ldap.stop();

        CommandRun known = run("check", "--config=" + config, "alice@corp.example");
        assertThat(known.exitCode()).as(known.out() + known.err()).isZero();
        assertThat(known.out()).contains("verification directory").contains("directory corp (snapshot of");
        CommandRun unknown = run("check", "--config=" + config, "nobody@corp.example");
        assertThat(unknown.exitCode()).isEqualTo(5);
        assertThat(unknown.out()).contains("550 5.1.1").contains("address is in no directory of the domain: corp");

        CommandRun status = run("directory", "status", "--config=" + config);
        assertThat(status.out()).contains("corp: " + url).contains("8 entries, 13 addresses");
        try (Database database = Database.open(Database.EMBEDDED, directory.resolve("data"))) {
            assertThat(new AuditLog(database).recent(10)).anySatisfy(entry -> {
                assertThat(entry.action()).isEqualTo("directory.sync");
                assertThat(entry.target()).isEqualTo("corp");
                assertThat(entry.door()).isEqualTo("cli");
            });
        }
    }

    @Test
    void checkWithoutSnapshotAndWithoutDirectoryIsATemporaryRefusal() throws Exception {
        config = config("ldap://127.0.0.1:" + LoopbackPorts.free());
        CommandRun check = run("check", "--config=" + config, "alice@corp.example");
        assertThat(check.exitCode()).isEqualTo(4);
        assertThat(check.out()).contains("451 4.4.3").contains("no snapshot yet");
    }
}
