package net.gatehouse.cli;

import net.gatehouse.testing.TestActor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.Database;
import net.gatehouse.store.PolicyStore;
import net.gatehouse.users.Passwords;
import net.gatehouse.users.Secrets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line's part of the console (issue 4, CLI parity): {@code policy}, {@code domains},
 * {@code networks}, {@code user} and {@code token}, run in-process as an administrator would type
 * them, against the store of a configuration file that pins part of the policy.
 */
class ConsoleCommandsTest {

    @TempDir
    Path directory;

    private Path config;

    @BeforeEach
    void writeConfig() throws Exception {
        config = directory.resolve("gatehouse.yaml");
        Files.writeString(config, """
                hostname: gw.test
                data_dir: data
                policy:
                  trusted_networks: ["10.0.0.0/8"]
                  recipient_verification: none
                  domains:
                    - { name: example.com, backend: ["127.0.0.1:2526"] }
                """);
    }

    private CommandRun run(String... args) {
        return runWithInput("", args);
    }

    /** Runs {@code gatehouse COMMAND SUBCOMMAND --config FILE ARGS...}. */
    private CommandRun runWithInput(String input, String... args) {
        String[] full = new String[args.length + 1];
        full[0] = args[0];
        full[1] = args[1];
        full[2] = "--config=" + config;
        System.arraycopy(args, 2, full, 3, args.length - 2);
        return CommandRun.of(input, full);
    }

    private Database openStore() {
        return Database.open(Database.EMBEDDED, directory.resolve("data"));
    }

    // ---- policy set (the rollout settings, SPEC §9)

    @Test
    void policySetChangesTheRolloutSettingsAndDomainsAddTakesADomainsOwn() throws Exception {
        CommandRun set = run("policy", "set", "--enforce", "false", "--unknown-recipient-reply", "450");
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(set.out()).contains("changed: enforce false, unknown_recipient_reply 450, when_backend_down defer");
        assertThat(run("policy", "export").out()).contains("enforce: false").contains("unknown_recipient_reply: 450")
                .doesNotContain("when_backend_down");

        CommandRun bad = run("policy", "set", "--when-backend-down", "maybe");
        assertThat(bad.exitCode()).isEqualTo(Main.EXIT_BAD_CONFIG);
        assertThat(bad.err()).contains("when_backend_down: expected defer or accept_known");

        assertThat(run("domains", "add", "observed.example", "--backend", "127.0.0.1:2527", "--enforce", "true")
                .exitCode()).isZero();
        assertThat(run("policy", "export").out()).contains("name: observed.example").contains("enforce: true");
        CommandRun badDomain = run("domains", "add", "x.example", "--backend", "127.0.0.1:2527",
                "--unknown-recipient-reply", "451");
        assertThat(badDomain.exitCode()).isEqualTo(Main.EXIT_BAD_CONFIG);
        assertThat(badDomain.err()).contains("--unknown-recipient-reply").contains("expected inherit, 550 or 450");

        try (Database store = openStore()) {
            assertThat(new AuditLog(store).recent(10)).extracting(AuditLog.Entry::action)
                    .contains("settings.change", "domain.add");
        }
    }

    // ---- policy export | import

    @Test
    void exportPrintsTheConsolesDocumentAndEffectiveTheMergeWithTheFile() {
        assertThat(run("policy", "export").out()).isEqualTo("{}\n");
        assertThat(run("domains", "add", "console.example", "--backend", "127.0.0.1:2527").exitCode()).isZero();

        CommandRun stored = run("policy", "export");
        assertThat(stored.exitCode()).isZero();
        assertThat(stored.out()).contains("console.example").doesNotContain("example.com\n")
                .doesNotContain("recipient_verification");

        CommandRun effective = run("policy", "export", "--effective");
        assertThat(effective.exitCode()).isZero();
        assertThat(effective.out()).contains("name: example.com").contains("name: console.example")
                .contains("recipient_verification: none").contains("reject_unknown_recipient_domains: true")
                .contains("10.0.0.0/8").contains("harvest:");
    }

    @Test
    void importThenExportGivesTheSameDocument() throws Exception {
        Path file = directory.resolve("policy.yaml");
        Files.writeString(file, """
                trusted_networks: ["192.0.2.0/24", "2001:DB8::/32"]
                reject_unknown_recipient_domains: false
                sub_address_delimiter: "+"
                domains:
                  - name: Imported.Example
                    backend: ["10.0.0.5:25", "10.0.0.6:25"]
                    verification: valid_list
                    valid_recipients: ["postmaster@imported.example"]
                """);
        CommandRun imported = run("policy", "import", file.toString());
        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("1 domain").contains("2 trusted networks");

        String exported = run("policy", "export").out();
        assertThat(ConfigLoader.parsePolicy(exported)).isEqualTo(ConfigLoader.parsePolicy(Files.readString(file)));
        assertThat(exported).contains("imported.example").contains("2001:db8::/32");

        Files.writeString(file, exported);
        assertThat(run("policy", "import", file.toString()).exitCode()).isZero();
        assertThat(run("policy", "export").out()).isEqualTo(exported);
    }

    @Test
    void importReadsStandardInput() {
        CommandRun run = runWithInput("trusted_networks: [\"192.0.2.0/24\"]\n", "policy", "import", "-");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run("networks", "list").out()).contains("192.0.2.0/24  console");
    }

    @Test
    void importOfAnInvalidDocumentNamesTheKeyAndChangesNothing() throws Exception {
        Path file = directory.resolve("bad.yaml");
        Files.writeString(file, """
                domains:
                  - { name: bad.example, backend: ["mail.bad.example:lots"] }
                """);
        CommandRun run = run("policy", "import", file.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains(file.toString()).contains("policy.domains[0].backend");

        Files.writeString(file, "recipient_verifcation: callout\n");
        assertThat(run("policy", "import", file.toString()).err()).contains("recipient_verifcation");
        assertThat(run("policy", "export").out()).isEqualTo("{}\n");
    }

    @Test
    void importRefusesWhatTheFilePins() throws Exception {
        Path file = directory.resolve("pinned.yaml");
        Files.writeString(file, "domains:\n  - { name: example.com, backend: [\"10.0.0.9:25\"] }\n");
        CommandRun domain = run("policy", "import", file.toString());
        assertThat(domain.exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(domain.err()).contains("example.com is declared in the configuration file");

        Files.writeString(file, "recipient_verification: callout\n");
        CommandRun setting = run("policy", "import", file.toString());
        assertThat(setting.exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(setting.err()).contains("policy.recipient_verification is set in the configuration file");
        assertThat(run("policy", "export").out()).isEqualTo("{}\n");
    }

    @Test
    void importOfAMissingFileFails() {
        CommandRun run = run("policy", "import", directory.resolve("nope.yaml").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("nope.yaml: no such file");
    }

    // ---- domains

    @Test
    void domainsAddListReplaceAndRemove() {
        CommandRun add = run("domains", "add", "Console.Example", "--backend", "10.0.0.5:25", "--backend", "10.0.0.6:2525",
                "--verification", "callout");
        assertThat(add.exitCode()).as(add.err()).isZero();
        assertThat(add.out()).contains("console.example added");

        CommandRun list = run("domains", "list");
        assertThat(list.out()).containsPattern("example\\.com +file +none \\(global\\) +127\\.0\\.0\\.1:2526")
                .containsPattern("console\\.example +console +callout +10\\.0\\.0\\.5:25 10\\.0\\.0\\.6:2525");

        CommandRun replace = run("domains", "add", "console.example", "--backend", "10.0.0.7:25");
        assertThat(replace.out()).contains("console.example replaced");
        assertThat(run("domains", "list").out()).containsPattern("console\\.example +console +none \\(global\\) +10\\.0\\.0\\.7:25\n");

        assertThat(run("domains", "remove", "console.example").exitCode()).isZero();
        assertThat(run("domains", "list").out()).doesNotContain("console.example");
        assertThat(run("domains", "remove", "console.example").exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
    }

    @Test
    void domainsRefuseToChangeWhatTheFileDeclares() {
        CommandRun add = run("domains", "add", "example.com", "--backend", "10.0.0.5:25");
        assertThat(add.exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(add.err()).contains("example.com is declared in the configuration file");
        CommandRun remove = run("domains", "remove", "example.com");
        assertThat(remove.exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(remove.err()).contains("declared in the configuration file");
    }

    @Test
    void domainsAddNamesTheBadOption() {
        CommandRun backend = run("domains", "add", "new.example", "--backend", "mail.new.example:lots");
        assertThat(backend.exitCode()).isEqualTo(2);
        assertThat(backend.err()).startsWith("gatehouse: --backend: ");
        CommandRun mode = run("domains", "add", "new.example", "--backend", "10.0.0.5:25", "--verification", "sometimes");
        assertThat(mode.exitCode()).isEqualTo(2);
        assertThat(mode.err()).startsWith("gatehouse: --verification: ");
        CommandRun name = run("domains", "add", "not a domain", "--backend", "10.0.0.5:25");
        assertThat(name.exitCode()).isEqualTo(2);
        assertThat(name.err()).startsWith("gatehouse: NAME: ");
        assertThat(run("domains", "add", "new.example").exitCode()).isEqualTo(2); // --backend is required
    }

    @Test
    void checkSeesTheDomainsAddedFromTheConsole() {
        assertThat(check("someone@console.example").exitCode()).isEqualTo(5); // not protected: relay refused
        assertThat(run("domains", "add", "console.example", "--backend", "127.0.0.1:2527").exitCode()).isZero();
        CommandRun check = check("someone@console.example");
        assertThat(check.exitCode()).as(check.out()).isZero();
        assertThat(check.out()).contains("console.example");
    }

    private CommandRun check(String address) {
        return CommandRun.of("", "check", "--config", config.toString(), address);
    }

    @Test
    void aRunningGatewayFollowsTheChangeAtItsNextPoll() throws Exception {
        try (Database database = openStore();
             LivePolicy gateway = LivePolicy.start(ConfigLoader.load(config).policy(), new PolicyStore(database),
                     Clock.systemUTC(), Duration.ofMillis(50))) {
            assertThat(gateway.current().domain("console.example")).isEmpty();
            assertThat(run("domains", "add", "console.example", "--backend", "127.0.0.1:2527").exitCode()).isZero();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(
                    () -> assertThat(gateway.current().domain("console.example")).isPresent());
        }
    }

    // ---- networks

    @Test
    void networksAddListAndRemove() {
        CommandRun add = run("networks", "add", "2001:DB8:0::/32");
        assertThat(add.exitCode()).as(add.err()).isZero();
        assertThat(add.out()).contains("2001:db8::/32 trusted");
        assertThat(run("networks", "list").out()).containsPattern("10\\.0\\.0\\.0/8 +file")
                .containsPattern("2001:db8::/32 +console");
        assertThat(run("networks", "add", "2001:db8::/32").exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(run("networks", "remove", "2001:db8::/32").exitCode()).isZero();
        assertThat(run("networks", "list").out()).doesNotContain("2001:db8::/32");
        assertThat(run("networks", "remove", "2001:db8::/32").exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
    }

    @Test
    void networksRefuseWhatTheFileTrustsAndBadInput() {
        CommandRun remove = run("networks", "remove", "10.0.0.0/8");
        assertThat(remove.exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(remove.err()).contains("10.0.0.0/8 is trusted by the configuration file");
        assertThat(run("networks", "add", "10.0.0.0/8").exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        CommandRun bad = run("networks", "add", "mail.example.com");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("CIDR: ").contains("not an IP network");
        assertThat(run("networks", "add", "10.0.0.1/8").exitCode()).isEqualTo(2);
    }

    // ---- users

    @Test
    void userAddWithAPasswordFromStandardInputCanSignIn() {
        CommandRun add = runWithInput("correct horse battery\n", "user", "add", "alice", "--role", "viewer", "--password-stdin");
        assertThat(add.exitCode()).as(add.err()).isZero();
        assertThat(add.out()).contains("added viewer alice").doesNotContain("correct horse");
        try (Database database = openStore()) {
            ConsoleUsers.User alice = new ConsoleUsers(database).user("alice").orElseThrow();
            assertThat(alice.role()).isEqualTo("viewer");
            assertThat(Passwords.verify("correct horse battery", alice.passwordHash())).isTrue();
        }
        assertThat(run("user", "list").out()).containsPattern("alice +viewer");
        assertThat(run("user", "add", "alice").exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
    }

    @Test
    void userAddAndPasswdGenerateAPasswordPrintedOnce() {
        CommandRun add = run("user", "add", "root");
        assertThat(add.exitCode()).as(add.err()).isZero();
        String password = passwordIn(add.out());
        CommandRun passwd = run("user", "passwd", "root");
        assertThat(passwd.exitCode()).isZero();
        String changed = passwordIn(passwd.out());
        assertThat(changed).isNotEqualTo(password);
        try (Database database = openStore()) {
            ConsoleUsers users = new ConsoleUsers(database);
            ConsoleUsers.User root = users.user("root").orElseThrow();
            assertThat(root.role()).isEqualTo("admin");
            assertThat(Passwords.verify(changed, root.passwordHash())).isTrue();
            assertThat(Passwords.verify(password, root.passwordHash())).isFalse();
            assertThat(new AuditLog(database).recent(10)).extracting(AuditLog.Entry::actor, AuditLog.Entry::action)
                    .contains(tuple(ConsoleStore.ACTOR.name(), "user.add"),
                            tuple(ConsoleStore.ACTOR.name(), "user.password"));
        }
    }

    private static String passwordIn(String out) {
        return out.lines().filter(line -> line.startsWith("password: ")).findFirst().orElseThrow()
                .substring("password: ".length());
    }

    @Test
    void userCommandsRefuseBadInput() {
        CommandRun weak = runWithInput("short\n", "user", "add", "bob", "--password-stdin");
        assertThat(weak.exitCode()).isEqualTo(2);
        assertThat(weak.err()).contains("at least " + Passwords.MIN_LENGTH);
        CommandRun role = run("user", "add", "bob", "--role", "owner");
        assertThat(role.exitCode()).isEqualTo(2);
        assertThat(role.err()).contains("--role");
        assertThat(run("user", "add", "bob smith").exitCode()).isEqualTo(2);
        assertThat(runWithInput("a good long password\n", "user", "passwd", "nobody", "--password-stdin").exitCode())
                .isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(run("user", "remove", "nobody").exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
    }

    @Test
    void userRemoveKeepsTheLastAdministrator() {
        try (Database database = openStore()) {
            ConsoleUsers users = new ConsoleUsers(database);
            users.add("boss", "admin", "x", Instant.now(), TestActor.TEST);
            users.add("reader", "viewer", "x", Instant.now(), TestActor.TEST);
        }
        CommandRun last = run("user", "remove", "boss");
        assertThat(last.exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(last.err()).contains("last administrator");
        assertThat(run("user", "remove", "reader").exitCode()).isZero();
        assertThat(run("user", "list").out()).contains("boss").doesNotContain("reader");
    }

    // ---- tokens

    @Test
    void tokenCreateListAndRevoke() {
        try (Database database = openStore()) {
            new ConsoleUsers(database).add("deployer", "admin", "x", Instant.now(), TestActor.TEST);
        }
        CommandRun create = run("token", "create", "--user", "deployer", "--label", "deploy script");
        assertThat(create.exitCode()).as(create.err()).isZero();
        String token = create.out().strip();
        assertThat(token).startsWith("gh_").doesNotContain("\n");
        String id;
        try (Database database = openStore()) {
            Optional<ConsoleUsers.Token> found = new ConsoleUsers(database).useToken(Secrets.sha256(token), Instant.now());
            assertThat(found).isPresent();
            assertThat(found.get().userName()).isEqualTo("deployer");
            assertThat(found.get().label()).isEqualTo("deploy script");
            id = found.get().id();
        }
        assertThat(create.err()).contains(id);
        assertThat(run("token", "list").out()).contains(id).contains("deployer").contains("deploy script")
                .doesNotContain(token);

        assertThat(run("token", "revoke", id).exitCode()).isZero();
        assertThat(run("token", "revoke", id).exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        try (Database database = openStore()) {
            assertThat(new ConsoleUsers(database).useToken(Secrets.sha256(token), Instant.now())).isEmpty();
            assertThat(new AuditLog(database).recent(10)).extracting(AuditLog.Entry::actor, AuditLog.Entry::action)
                    .contains(tuple(ConsoleStore.ACTOR.name(), "token.create"),
                            tuple(ConsoleStore.ACTOR.name(), "token.revoke"));
        }
    }

    @Test
    void tokenCreateForAnUnknownUserIsRefused() {
        CommandRun run = run("token", "create", "--user", "ghost");
        assertThat(run.exitCode()).isEqualTo(ConsoleStore.EXIT_REFUSED);
        assertThat(run.err()).contains("no user ghost");
        assertThat(run.out()).isEmpty();
    }

    // ---- common

    @Test
    void policyChangesAreAuditedAsTheCommandLine() {
        run("networks", "add", "192.0.2.0/24");
        run("domains", "add", "console.example", "--backend", "127.0.0.1:2527");
        try (Database database = openStore()) {
            assertThat(new AuditLog(database).recent(10))
                    .extracting(AuditLog.Entry::actor, AuditLog.Entry::action, AuditLog.Entry::target)
                    .contains(tuple(ConsoleStore.ACTOR.name(), "network.add", "192.0.2.0/24"),
                            tuple(ConsoleStore.ACTOR.name(), "domain.add", "console.example"));
        }
    }

    @Test
    void aBadConfigurationExitsTwoNamingTheKey() throws Exception {
        Files.writeString(config, "smtp:\n  max_recipients: lots\n");
        CommandRun run = run("domains", "list");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("max_recipients");
    }

    @ParameterizedTest
    @ValueSource(strings = {"policy export", "policy import", "domains list", "domains add", "domains remove",
            "networks list", "networks add", "networks remove", "user add", "user passwd", "user role", "user list",
            "user remove", "token create", "token list", "token revoke"})
    void everySubcommandHasHelp(String command) {
        String[] words = command.split(" ");
        CommandRun run = CommandRun.of("", words[0], words[1], "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: gatehouse " + command).contains("--config");
    }

    @Test
    void listsSayWhenThereIsNothing() {
        assertThat(run("user", "list").out()).contains("no users");
        assertThat(run("token", "list").out()).contains("no API tokens");
        assertThat(List.of(run("domains", "list").exitCode(), run("networks", "list").exitCode())).containsOnly(0);
    }
}
