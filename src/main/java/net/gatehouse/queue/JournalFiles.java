package net.gatehouse.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;

/**
 * The journals of the messages in {@code active/}: {@code ID.done} beside message {@code ID}, where
 * the delivery agent records its attempts and the administrator holds, releases and requeues;
 * appended to and never rewritten, so that a crash can cost at most the line being written (see
 * {@link Journal} for what a line holds, {@link Spool} for which appends are fsynced and why). A
 * journal exists only beside its message: one created while the message was being removed is
 * removed again, and any left without one is removed at start-up.
 */
final class JournalFiles {

    private static final String SUFFIX = ".done";

    private final Path active;
    private final GroupSync activeSync;
    private final SpoolOwner owner;

    /** @param activeSync the fsync of {@code active}, shared with the spool's commits */
    JournalFiles(Path active, GroupSync activeSync, SpoolOwner owner) {
        this.active = active;
        this.activeSync = activeSync;
        this.owner = owner;
    }

    Path path(QueueId id) {
        return active.resolve(id.value() + SUFFIX);
    }

    /** The message's journal; empty when it has none yet (never attempted nor administered). */
    Journal read(QueueId id, Instant arrival) throws IOException {
        try {
            // leniently decoded: bytes a crash garbled make one unreadable line, not an unreadable message
            return Journal.parse(new String(Files.readAllBytes(path(id)), StandardCharsets.UTF_8), arrival);
        } catch (NoSuchFileException none) {
            return Journal.empty(arrival);
        }
    }

    /**
     * Records the results of an attempt that leaves the message queued: durably for the finished
     * recipients, so that they are not delivered to again; without an fsync when all were deferred.
     */
    void recordAttempt(QueueId id, int attempt, Instant at, Map<String, Outcome> outcomes) throws IOException {
        if (outcomes.isEmpty()) {
            return;
        }
        StringBuilder lines = new StringBuilder();
        boolean anyFinished = false;
        for (Map.Entry<String, Outcome> result : outcomes.entrySet()) {
            lines.append(Journal.resultLine(attempt, at, result.getKey(), result.getValue()));
            anyFinished |= result.getValue().finished();
        }
        append(id, lines.toString(), anyFinished);
    }

    /** An administrator's record, durable, for a message that is in the spool; false when it is not. */
    boolean administer(QueueId id, String line) throws IOException {
        Path message = active.resolve(id.value());
        if (!Files.exists(message)) {
            return false;
        }
        boolean created = append(id, line, true);
        if (created) {
            // The command line may run as root beside a gateway that runs as its own user.
            owner.give(path(id));
        }
        if (!Files.exists(message)) { // delivered meanwhile: nothing left to hold
            if (created) {
                delete(id);
            }
            return false;
        }
        return true;
    }

    /**
     * Appends to the message's journal; fsyncs it when {@code durable}, and the directory when the
     * journal is new. Returns whether it was created.
     */
    private boolean append(QueueId id, String lines, boolean durable) throws IOException {
        Path journal = path(id);
        boolean created = !Files.exists(journal);
        try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer buffer = ByteBuffer.wrap(lines.getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            if (durable) {
                channel.force(true);
            }
        }
        if (created) {
            if (!Files.exists(active.resolve(id.value()))) {
                Files.deleteIfExists(journal); // the message was removed during the attempt
                return false;
            }
            // also when not durable: a later record that must be durable appends to this file
            activeSync.sync();
        }
        return created;
    }

    void delete(QueueId id) throws IOException {
        Files.deleteIfExists(path(id));
    }

    /** Removes the journals whose message is gone (a crash between the two deletions). */
    void removeOrphans() throws IOException {
        try (DirectoryStream<Path> journals = Files.newDirectoryStream(active, "*" + SUFFIX)) {
            for (Path journal : journals) {
                String name = journal.getFileName().toString();
                if (!Files.exists(active.resolve(name.substring(0, name.length() - SUFFIX.length())))) {
                    Files.deleteIfExists(journal);
                }
            }
        }
    }
}
