package net.gatehouse.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The files by which {@code gatehouse reload} finds and hears back from the gateway running on a
 * {@code data_dir}: {@code gatehouse.pid} (written when the gateway is up, removed when it stops)
 * and {@code reload.status} (the outcome of the last reload, numbered from 1 since the start).
 */
final class ControlFiles {

    private final Path pidFile;
    private final Path statusFile;

    ControlFiles(Path dataDir) {
        this.pidFile = dataDir.resolve("gatehouse.pid");
        this.statusFile = dataDir.resolve("reload.status");
    }

    /** The outcome of one reload, as the running gateway reports it. */
    record Status(long generation, boolean applied, String message) {
    }

    /** At start-up: this process's pid, and no status left from an earlier run. */
    void started() throws IOException {
        Files.deleteIfExists(statusFile);
        writeAtomically(pidFile, ProcessHandle.current().pid() + "\n");
    }

    void stopped() {
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException ignored) {
            // a stale pid file is recognised as such: its process is gone
        }
    }

    /** The running gateway's pid, if the file names a live process. */
    OptionalLong runningPid() throws IOException {
        String text;
        try {
            text = Files.readString(pidFile).strip();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(text);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent() ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    void writeStatus(Status status) throws IOException {
        writeAtomically(statusFile, "generation=" + status.generation() + "\nresult="
                + (status.applied() ? "applied" : "refused") + "\nmessage=" + oneLine(status.message()) + "\n");
    }

    Optional<Status> readStatus() throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(statusFile, StandardCharsets.UTF_8)) {
                int equals = line.indexOf('=');
                if (equals > 0) {
                    fields.put(line.substring(0, equals), line.substring(equals + 1));
                }
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Status(Long.parseLong(fields.getOrDefault("generation", "")),
                    "applied".equals(fields.get("result")), fields.getOrDefault("message", "")));
        } catch (NumberFormatException e) {
            return Optional.empty(); // being replaced: the rename makes this rare, never wrong
        }
    }

    private static String oneLine(String text) {
        return text.replace('\r', ' ').replace('\n', ' ');
    }

    // Readers never see half a file: written beside, then renamed over.
    private static void writeAtomically(Path file, String content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
