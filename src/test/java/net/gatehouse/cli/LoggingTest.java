package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A command that keeps its log to warnings does so for itself only, not for the rest of the JVM. */
class LoggingTest {

    @TempDir
    Path directory;

    @Test
    void aQuietCommandLeavesTheLogLevelAsItFoundIt() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        Path config = Files.writeString(directory.resolve("gatehouse.yaml"),
                "hostname: gw.test\ndata_dir: " + directory.resolve("data") + "\n");
        try {
            root.setLevel(Level.INFO);

            CommandRun run = CommandRun.of("", "queue", "list", "--config", config.toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(root.getLevel()).isEqualTo(Level.INFO);
        } finally {
            root.setLevel(before);
        }
    }
}
