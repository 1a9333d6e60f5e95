package net.gatehouse.queue;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local queue: one file per message, written so that a message acknowledged with 250 survives
 * a crash and a message not acknowledged is never delivered.
 *
 * <p>Layout under the spool directory:
 * <ul>
 * <li>{@code incoming/ID}: being received. Never delivered; deleted at start-up.</li>
 * <li>{@code active/ID}: committed, in the format of a {@link QueueFile}. As in Postfix's queue
 * files, a file without a valid end record is corrupt: it is moved to {@code corrupt/} and
 * reported, never delivered.</li>
 * <li>{@code active/ID.done}: the journal ({@link Journal}, {@link JournalFiles}), appended to after
 * each delivery attempt that leaves the message queued: one line per recipient, finished (delivered or bounced) or
 * deferred, with the reply; and the administrator's hold, release and requeue. Appends with a
 * finished recipient, a hold, a release or a requeue are fsynced, so that a restart neither
 * delivers to a finished recipient again nor forgets a hold; deferrals are not (losing one in a
 * crash loses a reason shown to administrators, nothing else), which keeps a retry cheap.</li>
 * <li>{@code active/ID.spare}: the file of a finished message, kept to be overwritten by a new one
 * ({@link SpareFiles}: reusing a file is much cheaper for the file system than creating and
 * deleting one per message). Never delivered: its name is not a queue ID. A new message is written
 * into a spare where there is one, else into a new file in {@code incoming/}.</li>
 * <li>{@code requests/ID}: the command line asks the running gateway to look at the message again
 * (a hold, release, requeue, flush or deletion made in the spool); {@code flush}: to attempt every
 * deferred message now ({@link SpoolRequests}). The gateway looks once a second.</li>
 * </ul>
 *
 * <p>Commit order: write, fsync the file, rename it from {@code incoming/ID} or {@code active/OLD.spare}
 * to {@code active/ID} (atomic), fsync the directory; only then may the session answer 250. A crash
 * before the rename leaves a file that is never delivered: {@code incoming/} is emptied at start-up,
 * and a spare stays a spare whatever it holds. Directory fsyncs are grouped ({@link GroupSync}):
 * sessions committing at the same moment share one.
 *
 * <p>Limits, honestly: a crash between the back-end's 250 after DATA and the journal's fsync
 * delivers that message a second time after restart; RFC 5321 6.1 prefers a duplicate to a loss.
 */
public final class Spool {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final String SPARE_SUFFIX = ".spare";
    /** Spares kept at most: a few seconds' worth of mail on a busy gateway. */
    private static final int SPARE_CAPACITY = 10_000;
    /** Files larger than this are deleted rather than kept: a spare holds on to its disk blocks. */
    private static final long SPARE_MAX_BYTES = 256 * 1024;
    private static final long SPARE_MINIMUM_AGE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Small messages go to the file in one write: envelope, content and end record. */
    private static final int WRITE_BUFFER_BYTES = 16 * 1024;

    private final Path incoming;
    private final Path active;
    /** fsyncs of {@code active/}, shared by the sessions and deliveries that need one at once. */
    private final GroupSync activeSync;
    private final Path corrupt;
    private final JournalFiles journals;
    private final SpoolRequests requests;
    private final long minFreeSpace;
    private final FileStore fileStore;
    private final SpareFiles spares;

    /**
     * @param directory    the spool directory, created if missing
     * @param minFreeSpace {@link #hasRoom()} is false below this many free bytes
     */
    public Spool(Path directory, long minFreeSpace) throws IOException {
        this(directory, minFreeSpace, new SpareFiles(SPARE_CAPACITY, SPARE_MINIMUM_AGE_NANOS, System::nanoTime));
    }

    Spool(Path directory, long minFreeSpace, SpareFiles spares) throws IOException {
        this.spares = spares;
        this.incoming = Files.createDirectories(directory.resolve("incoming"));
        this.active = Files.createDirectories(directory.resolve("active"));
        this.activeSync = GroupSync.of(active);
        this.corrupt = Files.createDirectories(directory.resolve("corrupt"));
        SpoolOwner owner = new SpoolOwner(active);
        this.journals = new JournalFiles(active, activeSync, owner);
        this.requests = new SpoolRequests(directory, owner);
        this.minFreeSpace = minFreeSpace;
        // Looked up once: on Linux each lookup reads and parses the mount table.
        this.fileStore = Files.getFileStore(active);
    }

    /**
     * The spool as the command line opens it beside a running gateway: the files of messages it
     * deletes are deleted, not kept as spares that only the gateway's next start would reuse.
     */
    public static Spool forAdministration(Path directory) throws IOException {
        Spool spool = new Spool(directory, 0, new SpareFiles(0, 0, System::nanoTime));
        // created here by a command run as root when the gateway has not yet run this version
        spool.requests.giveToOwner();
        return spool;
    }

    /** Whether the spool's file system has the configured free space (checked before accepting mail). */
    public boolean hasRoom() {
        try {
            return minFreeSpace <= 0 || fileStore.getUsableSpace() >= minFreeSpace;
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts writing a message; the caller writes the content, then commits or aborts. */
    public Writer begin(Envelope envelope) throws IOException {
        return new Writer(envelope);
    }

    /** Receives one message's content; nothing of it is visible to delivery before {@link #commit()}. */
    public final class Writer implements AutoCloseable {

        private final Envelope envelope;
        /** {@code incoming/ID}, or a spare being overwritten. */
        private final Path temporary;
        private final boolean spare;
        private final FileChannel channel;
        /** Envelope, content and end record, in that order. */
        private final BufferedOutputStream file;
        private final CountingOutputStream content;
        private final long contentOffset;
        private boolean finished;

        private Writer(Envelope envelope) throws IOException {
            this.envelope = envelope;
            Optional<Path> reusable = spares.take();
            FileChannel opened = reusable.isPresent() ? openSpare(reusable.get()) : null;
            this.spare = opened != null;
            this.temporary = spare ? reusable.get() : incoming.resolve(envelope.id().value());
            this.channel = spare ? opened : FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                byte[] header = QueueFile.header(envelope);
                this.file = new BufferedOutputStream(Channels.newOutputStream(channel), WRITE_BUFFER_BYTES);
                file.write(header);
                this.contentOffset = header.length;
                this.content = new CountingOutputStream(file);
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
        }

        /** Where the content goes: unstuffed, CRLF line endings. */
        public OutputStream content() {
            return content;
        }

        /** Makes the message durable and visible to delivery; on failure nothing is left behind. */
        public SpooledMessage commit() throws IOException {
            try {
                long length = content.count();
                file.write(QueueFile.endRecord(length));
                file.flush();
                if (spare) {
                    channel.truncate(channel.position()); // what the spare held beyond the new end
                }
                channel.force(true);
                channel.close();
                Path committed = active.resolve(envelope.id().value());
                move(temporary, committed);
                activeSync.sync();
                finished = true;
                return new SpooledMessage(envelope, committed, contentOffset, length, Journal.empty(envelope.received()));
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
        }

        /** Discards the message. Never throws. */
        public void abort() {
            if (finished) {
                return;
            }
            finished = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // the file is deleted or kept as a spare next; nothing more to save
            }
            if (spare && spares.giveBack(temporary)) {
                return; // what was written into it is never read: it is still a spare
            }
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                log.warn("spool_cleanup_failed file={} error=\"{}\"", temporary, e.getMessage());
            }
        }

        @Override
        public void close() {
            abort();
        }
    }

    /** A spare opened for writing, or null when it cannot be (gone: then a new file is created). */
    private static FileChannel openSpare(Path file) {
        try {
            return FileChannel.open(file, StandardOpenOption.WRITE);
        } catch (IOException e) {
            log.warn("spool_spare_unusable file={} error=\"{}\"", file.getFileName(), e.getMessage());
            return null;
        }
    }

    /**
     * Brings the spool back after a start: deletes messages that were never acknowledged, moves
     * corrupt ones aside, removes orphaned journals, keeps the spares, forgets requests to a gateway
     * that was not running (what they asked for is in the journals) and returns what is still to be
     * delivered, held messages included.
     */
    public List<SpooledMessage> recover() throws IOException {
        // First: a request made while the journals are read below is then looked at once running.
        requests.forgetAll();
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(incoming)) {
            for (Path file : leftovers) {
                log.info("spool_discard_unacknowledged file={}", file.getFileName());
                Files.deleteIfExists(file);
            }
        }
        try (DirectoryStream<Path> found = Files.newDirectoryStream(active, "*" + SPARE_SUFFIX)) {
            for (Path file : found) {
                if (!spares.adopt(file)) {
                    Files.deleteIfExists(file);
                }
            }
        }
        List<SpooledMessage> messages = new ArrayList<>();
        for (QueueId id : ids()) {
            try {
                read(id).ifPresent(messages::add);
            } catch (CorruptMessageException e) {
                log.error("spool_corrupt queue_id={} reason=\"{}\" moved_to={}", id, e.getMessage(), corrupt);
                move(active.resolve(id.value()), corrupt.resolve(id.value()));
                journals.delete(id);
            }
        }
        journals.removeOrphans();
        syncDirectory(active);
        return messages;
    }

    /** The IDs of the committed messages, oldest first. */
    public List<QueueId> ids() throws IOException {
        List<QueueId> ids = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(active)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (QueueId.isValid(name)) {
                    ids.add(new QueueId(name));
                }
            }
        }
        ids.sort(null);
        return ids;
    }

    /** Reads a committed message, or empty when it is gone (delivered or deleted). */
    public Optional<SpooledMessage> read(QueueId id) throws IOException {
        Path file = active.resolve(id.value());
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            QueueFile.Layout layout = QueueFile.read(id, channel);
            Envelope envelope = layout.envelope();
            return Optional.of(new SpooledMessage(envelope, file, layout.contentOffset(), layout.contentLength(),
                    journals.read(id, envelope.received())));
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        }
    }

    /**
     * Records the results of an attempt that leaves the message queued: durably for the finished
     * recipients, so that they are not delivered to again; without an fsync when all were deferred.
     */
    void recordAttempt(QueueId id, int attempt, Instant at, Map<String, Outcome> outcomes) throws IOException {
        journals.recordAttempt(id, attempt, at, outcomes);
    }

    /**
     * Puts the message on hold: no attempt starts until it is released (a running gateway notices
     * at its next look at the message, see {@link #requestReview}). False when it is not in the spool.
     */
    public boolean hold(QueueId id, Instant at) throws IOException {
        return journals.administer(id, Journal.actionLine(Journal.HOLD, at));
    }

    /** Releases a message from hold. False when it is not in the spool. */
    public boolean release(QueueId id, Instant at) throws IOException {
        return journals.administer(id, Journal.actionLine(Journal.RELEASE, at));
    }

    /**
     * Postfix's {@code postsuper -r}: the message starts again as if it had just arrived, released
     * from hold, its attempts, reasons and lifetime counted from {@code at}; finished recipients
     * stay finished. Routes are the current policy's at every attempt anyway. False when it is not
     * in the spool.
     */
    public boolean requeue(QueueId id, Instant at) throws IOException {
        return journals.administer(id, Journal.actionLine(Journal.REQUEUE, at));
    }

    /**
     * Removes a message and its journal for good (all recipients finished, or deleted by an
     * administrator). Its file becomes a spare, to be overwritten by a later message, when it is
     * small and there is room among the spares; otherwise it is deleted.
     */
    public boolean remove(QueueId id) throws IOException {
        Path file = active.resolve(id.value());
        Path spare = active.resolve(id.value() + SPARE_SUFFIX);
        boolean existed;
        boolean kept = false;
        if (spares.hasRoom()) {
            try {
                move(file, spare);
                existed = true;
                kept = true;
            } catch (NoSuchFileException gone) {
                existed = false;
            }
        } else {
            existed = Files.deleteIfExists(file);
        }
        journals.delete(id);
        activeSync.sync();
        // only now: a spare is overwritten only once its rename away from the message's name is durable
        if (kept && (Files.size(spare) > SPARE_MAX_BYTES || !spares.giveBack(spare))) {
            Files.deleteIfExists(spare);
        }
        return existed;
    }

    /** Asks the running gateway to attempt every deferred message now ({@code gatehouse queue flush}). */
    public void requestFlush() throws IOException {
        requests.requestFlush();
    }

    /** Whether a flush was requested since the last call; cheap enough to poll every second. */
    public boolean takeFlushRequest() {
        return requests.takeFlushRequest();
    }

    /**
     * Asks the running gateway to look at the message again within a second, for what the command
     * line changed in the spool: it then takes a hold into account, forgets a deleted message, and
     * attempts any other at once ({@code gatehouse queue hold|release|requeue|flush ID|delete}).
     */
    public void requestReview(QueueId id) throws IOException {
        requests.requestReview(id);
    }

    /** The messages the command line asked to be looked at again; one directory read, fit for every second. */
    public List<QueueId> reviewRequests() {
        return requests.reviewRequests();
    }

    /** The message was looked at again: the request is done. */
    public void reviewed(QueueId id) {
        requests.reviewed(id);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("spool directories must be on one file system: " + from + " -> " + to, e);
        }
    }

    /** fsync of a directory, so that a rename or a new file in it survives a crash. */
    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** A committed file that cannot be read back: never delivered, moved aside at recovery. */
    public static final class CorruptMessageException extends IOException {
        CorruptMessageException(String reason) {
            super(reason);
        }
    }
}
