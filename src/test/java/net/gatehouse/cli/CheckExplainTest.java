package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import net.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse check --explain} (SPEC §9): what decided, the callout's cache entry, the probe's
 * timing and the back-end's reply as received, against a back-end that answers in Postfix's words.
 */
class CheckExplainTest {

    private static final String POSTFIX_UNKNOWN =
            "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in local recipient table";

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start().onlyAccept("alice@example.com")
            .replyToRecipient("bob@example.com", POSTFIX_UNKNOWN);
    private Path config;

    @BeforeEach
    void writeConfig() throws Exception {
        config = directory.resolve("gatehouse.yaml");
        Files.writeString(config, """
                hostname: gw.test
                data_dir: data
                callout: { timeout: 5s }
                policy:
                  trusted_networks: ["10.0.0.0/8"]
                  recipient_verification: callout
                  domains:
                    - { name: example.com, backend: ["%s"] }
                    - { name: listed.example, backend: ["%s"], verification: valid_list }
                """.formatted(backend.hostPort(), backend.hostPort()));
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    private CommandRun check(String... args) {
        String[] full = new String[args.length + 3];
        full[0] = "check";
        full[1] = "--config";
        full[2] = config.toString();
        System.arraycopy(args, 0, full, 3, args.length);
        return CommandRun.of("", full);
    }

    @Test
    void explainsACalloutRejectionWithTheBackendsReplyAsReceived() {
        CommandRun run = check("--explain", "bob@example.com");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(5);
        assertThat(run.out()).contains("decided by:    callout")
                .contains("cache entry:   rejected, written ")
                .contains("entry source:  probe to backend 1 of 1 (" + backend.hostPort() + ")")
                .containsPattern("probe time:    \\d+ ms")
                .contains("back-end said: " + POSTFIX_UNKNOWN);
    }

    @Test
    void explainsAnAcceptAndTheOtherSources() {
        CommandRun accepted = check("--explain", "alice@example.com");
        assertThat(accepted.exitCode()).as(accepted.err()).isZero();
        assertThat(accepted.out()).contains("decided by:    callout").contains("back-end said: 250");

        CommandRun trusted = check("--explain", "--client", "10.1.2.3", "someone@example.com");
        assertThat(trusted.out()).contains("decided by:    trusted").contains("cache entry:   none (the callout was not asked)");

        CommandRun listed = check("--explain", "someone@listed.example");
        assertThat(listed.out()).contains("decided by:    list");
    }

    @Test
    void withoutExplainTheOutputIsAsBefore() {
        CommandRun run = check("bob@example.com");

        assertThat(run.out()).doesNotContain("explain:").doesNotContain("decided by:");
    }
}
