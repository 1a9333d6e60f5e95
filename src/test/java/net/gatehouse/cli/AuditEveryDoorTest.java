package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.Database;
import net.gatehouse.testing.TestDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The house rule through the command line's door: every change made with a {@code gatehouse}
 * command leaves exactly one new entry in the audit log, naming the operating-system user who ran
 * it and the door {@code cli}. (The console's and the API's doors: {@code web.AuditEveryDoorIT}.)
 * One row per kind of change, run in order on one store: a row may rely on the rows above.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditEveryDoorTest {

    @TempDir
    static Path directory;
    private Path config;
    private Spool spool;
    private final List<QueueId> queued = new ArrayList<>();
    /** The directory of the {@code directory sync} rows. */
    private final TestDirectory ldap = TestDirectory.start();

    /** One command, its standard input, and the audit action it must leave. */
    record Row(String action, String input, String... args) {
        @Override
        public String toString() {
            return String.join(" ", args);
        }
    }

    @BeforeAll
    void writeConfigAndSpool() throws Exception {
        config = directory.resolve("gatehouse.yaml");
        Path ldapPassword = directory.resolve("ldap.secret");
        Files.writeString(ldapPassword, TestDirectory.BIND_PASSWORD);
        Files.writeString(config, """
                hostname: gw.test
                data_dir: data
                policy:
                  directories:
                    - { name: corp, servers: ["%s"], bind_dn: "%s", bind_password_file: %s, base_dn: "%s", page_size: 4 }
                  domains:
                    - { name: example.com, backend: ["127.0.0.1:2526"] }
                """.formatted(ldap.url(), TestDirectory.BIND_DN, ldapPassword, TestDirectory.BASE_DN));
        spool = new Spool(directory.resolve("data/spool"), 0);
        for (int i = 0; i < 5; i++) {
            queued.add(queued());
        }
        // a dead node's spool for queue adopt, with one message
        Spool dead = new Spool(directory.resolve("dead/spool"), 0);
        try (Spool.Writer writer = dead.begin(new Envelope(QueueId.next(System.currentTimeMillis()), Instant.now(),
                "192.0.2.1", "client.test", "<bob@example.org>", List.of("<alice@example.com>"), false))) {
            writer.content().write("Subject: orphan\r\n\r\nThe body.\r\n".getBytes(StandardCharsets.US_ASCII));
            writer.commit();
        }
        Files.writeString(directory.resolve("staff.txt"), "carol@example.com\ndave@example.com\n");
        Files.writeString(directory.resolve("policy.yaml"), "recipient_verification: none\n");
    }

    @AfterAll
    void noChangeWentUnrecorded() {
        ldap.close();
        try (Database database = Database.open(Database.EMBEDDED, directory.resolve("data"))) {
            assertThat(new AuditLog(database).recent(AuditLog.MAX_ENTRIES))
                    .allSatisfy(entry -> assertThat(entry.door()).isEqualTo("cli"));
        }
    }

    static Stream<Row> commands() {
        return Stream.of(
                new Row("recipients.add", "", "recipients", "add", "example.com", "alice@example.com", "bob@example.com"),
                new Row("recipients.remove", "", "recipients", "remove", "example.com", "bob@example.com"),
                new Row("recipients.import", "", "recipients", "import", "example.com", "STAFF"),
                new Row("recipients.replace", "", "recipients", "import", "--replace", "example.com", "STAFF"),
                new Row("recipients.import", "erin@example.com\n", "recipients", "import", "example.com", "-"),
                new Row("domain.add", "", "domains", "add", "cli.example", "--backend", "127.0.0.1:2527"),
                new Row("domain.change", "", "domains", "add", "cli.example", "--backend", "127.0.0.1:2528",
                        "--verification", "callout"),
                new Row("domain.remove", "", "domains", "remove", "cli.example"),
                new Row("network.add", "", "networks", "add", "192.0.2.0/24"),
                new Row("network.remove", "", "networks", "remove", "192.0.2.0/24"),
                new Row("policy.import", "", "policy", "import", "POLICY"),
                new Row("user.add", "", "user", "add", "root"),
                new Row("user.add", "", "user", "add", "vic", "--role", "viewer"),
                new Row("user.password", "a long new password\n", "user", "passwd", "vic", "--password-stdin"),
                new Row("user.role", "", "user", "role", "vic", "admin"),
                new Row("user.remove", "", "user", "remove", "vic"),
                new Row("token.create", "", "token", "create", "--user", "root", "--label", "deploy"),
                new Row("token.revoke", "", "token", "revoke", "TOKEN"),
                new Row("queue.hold", "", "queue", "hold", "QUEUED0"),
                new Row("queue.release", "", "queue", "release", "QUEUED0"),
                new Row("queue.requeue", "", "queue", "requeue", "QUEUED1"),
                new Row("queue.flush", "", "queue", "flush", "QUEUED2"),
                new Row("queue.flush", "", "queue", "flush"),
                new Row("queue.delete", "", "queue", "delete", "QUEUED3"),
                new Row("queue.adopt", "", "queue", "adopt", "DEAD"),
                new Row("directory.sync", "", "directory", "sync", "corp"),
                new Row("directory.sync_forced", "", "directory", "sync", "--force", "corp"));
    }

    @ParameterizedTest(name = "gatehouse {0}")
    @MethodSource("commands")
    void everyChangeMadeWithACommandIsAuditedOnceAsTheUserWhoRanIt(Row row) {
        long before = newestId();

        CommandRun run = CommandRun.of(row.input(), withConfig(row.args()));

        assertThat(run.exitCode()).as(run.err()).isZero();
        try (Database database = openStore()) {
            List<AuditLog.Entry> added = new AuditLog(database).recent(AuditLog.MAX_ENTRIES).stream()
                    .filter(e -> e.id() > before).toList();
            assertThat(added).as("new audit entries").hasSize(1);
            assertThat(added.getFirst()).satisfies(entry -> {
                assertThat(entry.action()).isEqualTo(row.action());
                assertThat(entry.actor()).isEqualTo(ConsoleStore.ACTOR.name()).startsWith(System.getProperty("user.name"));
                assertThat(entry.door()).isEqualTo("cli");
            });
        }
    }

    /** {@code gatehouse COMMAND SUBCOMMAND --config FILE ARGS...}, with the placeholders filled in. */
    private String[] withConfig(String[] args) {
        List<String> full = new ArrayList<>(List.of(args[0], args[1], "--config=" + config));
        for (int i = 2; i < args.length; i++) {
            full.add(switch (args[i]) {
                case "STAFF" -> directory.resolve("staff.txt").toString();
                case "POLICY" -> directory.resolve("policy.yaml").toString();
                case "TOKEN" -> newestToken();
                case "DEAD" -> directory.resolve("dead").toString();
                default -> args[i].startsWith("QUEUED") ? queued.get(args[i].charAt(6) - '0').value() : args[i];
            });
        }
        return full.toArray(String[]::new);
    }

    private Database openStore() {
        return Database.open(Database.EMBEDDED, directory.resolve("data"));
    }

    private long newestId() {
        try (Database database = openStore()) {
            List<AuditLog.Entry> newest = new AuditLog(database).recent(1);
            return newest.isEmpty() ? 0 : newest.getFirst().id();
        }
    }

    private String newestToken() {
        try (Database database = openStore()) {
            return new ConsoleUsers(database).tokens().getLast().id();
        }
    }

    private QueueId queued() throws Exception {
        QueueId id = QueueId.next(System.currentTimeMillis());
        try (Spool.Writer writer = spool.begin(new Envelope(id, Instant.now(), "192.0.2.1", "client.test",
                "<bob@example.org>", List.of("<alice@example.com>"), false))) {
            writer.content().write("Subject: waiting\r\n\r\nThe body.\r\n".getBytes(StandardCharsets.US_ASCII));
            writer.commit();
        }
        return id;
    }
}
