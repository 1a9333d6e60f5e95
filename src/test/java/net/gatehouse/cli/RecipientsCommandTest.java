package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code gatehouse recipients ...}, run in-process as an administrator would type it. */
class RecipientsCommandTest {

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
                  recipient_verification: valid_list
                  domains:
                    - { name: example.com, backend: ["127.0.0.1:2526"], valid_recipients: ["postboss@example.com"] }
                    - { name: callout.example, backend: ["127.0.0.1:2526"], verification: callout }
                """);
    }

    private CommandRun run(String... args) {
        return runWithInput("", args);
    }

    /** Runs {@code gatehouse recipients SUBCOMMAND --config FILE ARGS...}. */
    private CommandRun runWithInput(String input, String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "recipients";
        full[1] = args[0];
        full[2] = "--config=" + config;
        System.arraycopy(args, 1, full, 3, args.length - 1);
        return CommandRun.of(input, full);
    }

    @Test
    void importThenExportGivesTheListBackInOrder() throws Exception {
        Path file = directory.resolve("staff.csv");
        Files.writeString(file, """
                # exported from the directory
                name,email,department
                Bob,Bob@Example.com,Sales
                Alice,alice@example.com,R&D
                """);
        CommandRun imported = run("import", "example.com", file.toString());
        assertThat(imported.exitCode()).isZero();
        assertThat(imported.out()).isEqualTo("example.com: 2 entries read from " + file + ", 2 new; the list has 2 entries\n");
        assertThat(imported.err()).isEmpty();

        CommandRun exported = run("export", "example.com");
        assertThat(exported.exitCode()).isZero();
        assertThat(exported.out()).isEqualTo("alice@example.com\nbob@example.com\n");

        Path exportFile = directory.resolve("export.txt");
        Files.writeString(exportFile, exported.out());
        CommandRun replaced = run("import", "--replace", "example.com", exportFile.toString());
        assertThat(replaced.out()).isEqualTo("example.com: replaced the valid list with 2 entries from " + exportFile
                + " (it had 2)\n");
    }

    @Test
    void anInvalidFileIsReportedByLineAndImportsNothing() throws Exception {
        Path file = directory.resolve("list.txt");
        Files.writeString(file, "alice@example.com\nbob@example.org\n\nnot an address\n");
        CommandRun run = run("import", "example.com", file.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("gatehouse: " + file + ": 2 invalid entries for the valid list of example.com, "
                + "nothing changed\n"
                + "  line 2: \"bob@example.org\" is not an address of example.com\n"
                + "  line 4: \"not an address\" is not an address: expected alice@example.com, or @example.com for "
                + "every address of the domain\n");
        assertThat(run("count", "example.com").out()).isEqualTo("example.com 0\n");
    }

    @Test
    void aFileThatIsNotUtf8ImportsNothing() throws Exception {
        Path file = directory.resolve("latin1.txt");
        Files.write(file, "alice@example.com\nj\u00f6rg@example.com\n".getBytes(StandardCharsets.ISO_8859_1));
        CommandRun run = run("import", "example.com", file.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("gatehouse: " + file + ": not UTF-8 text; nothing imported\n");
        assertThat(run("count", "example.com").out()).isEqualTo("example.com 0\n");
    }

    @Test
    void aMissingFileIsNamed() {
        CommandRun run = run("import", "example.com", directory.resolve("missing.txt").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("missing.txt: no such file");
    }

    @Test
    void importsFromStandardInput() {
        String list = IntStream.range(0, 1000).mapToObj(i -> "user" + i + "@example.com").collect(Collectors.joining("\n"));
        CommandRun run = runWithInput(list, "import", "example.com", "-");
        assertThat(run.exitCode()).isZero();
        assertThat(run("count", "example.com").out()).isEqualTo("example.com 1000\n");
    }

    @Test
    void addRemoveCountAndSearch() {
        CommandRun added = run("add", "example.com", "alice@example.com", "Bob@example.com", "@example.com");
        assertThat(added.exitCode()).isZero();
        assertThat(added.out()).isEqualTo("example.com: added 3 of 3\n");
        assertThat(run("add", "example.com", "alice@example.com").out())
                .isEqualTo("example.com: added 0 of 1 (the others were listed already)\n");

        CommandRun removed = run("remove", "example.com", "bob@example.com", "nobody@example.com", "postboss@example.com");
        assertThat(removed.exitCode()).isZero();
        assertThat(removed.out()).isEqualTo("example.com: removed 1 of 3 (the others were not in the store's list)\n");
        assertThat(removed.err()).isEqualTo("gatehouse: note: postboss@example.com is in the configuration file's "
                + "valid_recipients, which stay in force; remove it there\n");

        run("add", "callout.example", "carol@callout.example");
        assertThat(run("count").out()).isEqualTo("callout.example 1\nexample.com 2\n");
        assertThat(run("search", "example.com", "ALI").out()).isEqualTo("alice@example.com\n");
        assertThat(run("search", "example.com", "nobody").exitCode()).isEqualTo(1);
    }

    @Test
    void anInvalidAddressIsRefusedWithTheReason() {
        CommandRun run = run("add", "example.com", "alice@example.com", "bob@elsewhere.example");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("gatehouse: 1 invalid entry for the valid list of example.com, nothing changed\n"
                + "  \"bob@elsewhere.example\" is not an address of example.com\n");
        assertThat(run("count", "example.com").out()).isEqualTo("example.com 0\n");
    }

    @Test
    void warnsWhenTheListWouldHaveNoEffect() {
        CommandRun unprotected = run("add", "example.org", "alice@example.org");
        assertThat(unprotected.exitCode()).isZero();
        assertThat(unprotected.err()).isEqualTo("gatehouse: warning: example.org is not a protected domain (neither "
                + "in the configuration file nor added in the console); its valid list has no effect until it is\n");

        // a domain added from the console (here with the CLI) counts as protected
        assertThat(CommandRun.of("", "domains", "add", "--config=" + config, "example.org", "--backend", "10.0.0.9:25",
                "--verification", "valid_list").exitCode()).isZero();
        assertThat(run("add", "example.org", "bob@example.org").err()).isEmpty();

        CommandRun callout = run("add", "callout.example", "alice@callout.example");
        assertThat(callout.err()).isEqualTo("gatehouse: note: callout.example is verified by callout; its valid list "
                + "is used once its verification is valid_list\n");
    }

    @Test
    void anInvalidDomainIsRefused() {
        CommandRun run = run("add", "exa mple.com", "alice@example.com");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("gatehouse: DOMAIN: \"exa mple.com\" is not a valid domain name");
    }

    @Test
    void aBadConfigurationExitsTwo() throws Exception {
        Files.writeString(config, "store: mysql\n");
        CommandRun run = run("count");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("store");
    }

    @ParameterizedTest
    @ValueSource(strings = {"import", "export", "add", "remove", "count", "search"})
    void everySubcommandHasHelp(String command) {
        PrintStream out = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            assertThat(Main.commandLine().execute("recipients", command, "--help")).isZero();
        } finally {
            System.setOut(out);
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("Usage: gatehouse recipients " + command);
    }
}
