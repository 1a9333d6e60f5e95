package net.gatehouse.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Moves the messages of another node's spool (a dead node's, its disk mounted or its
 * {@code data_dir} copied here) into this node's spool, which then delivers them: {@code gatehouse
 * queue adopt}. Each message is moved on its own, so that an interruption at any point (a crash,
 * a kill, a full disk) neither loses nor duplicates one; running the command again finishes the
 * work.
 *
 * <p>Per message, in this order:
 * <ol>
 * <li>The message is written to {@code adopting/ID} in this spool, with the pending recipients
 * only (those the dead node's journal does not record as delivered or bounced), and fsynced. No
 * gateway reads {@code adopting/}, and {@code incoming/} is not used because a starting gateway
 * empties it.</li>
 * <li>Its ID is appended to this spool's ledger {@code adopting/adopted} and fsynced: from now on
 * the message belongs to this node.</li>
 * <li>The file is renamed to {@code active/ID} (atomic) and the directory fsynced; a hold of the
 * dead node's is applied; the running gateway, if any, is asked to look at it
 * ({@link Spool#requestReview}), which it does within a second. A stopped gateway finds it at its
 * start.</li>
 * <li>The message and its journal are deleted from the source.</li>
 * </ol>
 * Run again after an interruption: an ID not in the ledger has nothing visible here and starts
 * again at 1; an ID in the ledger whose file is still in {@code adopting/} resumes at 3; an ID in
 * the ledger without such a file was renamed into {@code active/} (and may have been delivered
 * since), so only 3's review request and 4 are done. The ledger is kept: a second copy of the same
 * dead spool adopted later is recognised and not delivered again.
 *
 * <p>The source must not be in use: its gateway holds {@code data_dir/gatehouse.lock} while it
 * runs, and {@link #open} refuses a source whose lock is held (on a network file system the lock is
 * seen across machines only if the file system carries locks, as NFSv4 does). The lock is held
 * for the whole adoption, so that the dead node cannot start on it meanwhile.
 */
public final class SpoolAdoption implements AutoCloseable {

    /** What became of one message of the source. */
    public enum Outcome {
        /** Now in this node's spool, to be delivered by it. */
        ADOPTED,
        /** Adopted by an earlier, interrupted run (or from another copy of the same spool): removed from the source. */
        ALREADY_ADOPTED,
        /** Every recipient was delivered or bounced before the node died: removed from the source. */
        NOTHING_PENDING
    }

    /**
     * One message moved.
     *
     * @param pending the recipients this node will deliver to; empty unless {@link Outcome#ADOPTED}
     * @param held    whether the dead node had it on hold, as it stays here
     */
    public record Result(QueueId id, Outcome outcome, Envelope envelope, List<String> pending, boolean held) {
    }

    /** The source spool is in use by a running gateway. */
    public static final class SourceInUseException extends IOException {
        SourceInUseException(String message) {
            super(message);
        }
    }

    private static final String LOCK_FILE = "gatehouse.lock";
    private static final String STAGING = "adopting";
    private static final String LEDGER = "adopted";

    private final Path sourceSpool;
    private final Spool source;
    private final FileChannel sourceLockFile;
    private final FileLock sourceLock;
    private final Spool destination;
    private final Path staging;
    private final Path active;
    private final Path ledger;
    private final Set<String> adopted;
    private final SpoolOwner owner;

    private SpoolAdoption(Path sourceSpool, FileChannel sourceLockFile, FileLock sourceLock, Path destinationSpool)
            throws IOException {
        this.sourceSpool = sourceSpool;
        this.sourceLockFile = sourceLockFile;
        this.sourceLock = sourceLock;
        this.source = Spool.forAdministration(sourceSpool);
        this.destination = Spool.forAdministration(destinationSpool);
        this.active = destinationSpool.resolve("active");
        this.owner = new SpoolOwner(active);
        boolean created = !Files.isDirectory(destinationSpool.resolve(STAGING));
        this.staging = Files.createDirectories(destinationSpool.resolve(STAGING));
        if (created) {
            owner.give(staging);
        }
        this.ledger = staging.resolve(LEDGER);
        this.adopted = Files.exists(ledger) ? new HashSet<>(Files.readAllLines(ledger, StandardCharsets.US_ASCII))
                : new HashSet<>();
    }

    /**
     * Opens a dead node's spool for adoption into this node's.
     *
     * @param from             the dead node's {@code data_dir} (with {@code spool/} in it) or its spool directory
     * @param destinationSpool this node's spool directory ({@code data_dir/spool}); it must exist
     * @throws SourceInUseException when a gateway runs on the source, or the source is this spool
     * @throws IOException          when {@code from} holds no spool, or it cannot be read
     */
    public static SpoolAdoption open(Path from, Path destinationSpool) throws IOException {
        Path sourceSpool = Files.isDirectory(from.resolve("spool").resolve("active")) ? from.resolve("spool") : from;
        if (!Files.isDirectory(sourceSpool.resolve("active"))) {
            throw new NoSuchFileException(from.toString(), null, "no spool there (neither DIR/active nor DIR/spool/active)");
        }
        if (!Files.isDirectory(destinationSpool.resolve("active"))) {
            throw new NoSuchFileException(destinationSpool.toString(), null, "no queue here: no gateway has run with this data_dir");
        }
        if (Files.isSameFile(sourceSpool, destinationSpool)) {
            throw new SourceInUseException(from + " is this node's own spool");
        }
        Path lockPath = sourceSpool.toAbsolutePath().getParent().resolve(LOCK_FILE);
        FileChannel lockFile = null;
        FileLock lock = null;
        if (Files.exists(lockPath)) {
            // a shared lock: refused while the gateway holds its exclusive one, and it keeps the gateway from starting
            lockFile = FileChannel.open(lockPath, StandardOpenOption.READ);
            try {
                lock = lockFile.tryLock(0, Long.MAX_VALUE, true);
            } catch (java.nio.channels.OverlappingFileLockException heldInThisProcess) {
                lock = null;
            }
            if (lock == null) {
                lockFile.close();
                throw new SourceInUseException("a gateway is running on " + sourceSpool.getParent()
                        + " (it holds " + lockPath + "): stop it first");
            }
        }
        try {
            return new SpoolAdoption(sourceSpool, lockFile, lock, destinationSpool);
        } catch (IOException | RuntimeException e) {
            if (lockFile != null) {
                lockFile.close();
            }
            throw e;
        }
    }

    /** The source's spool directory. */
    public Path sourceSpool() {
        return sourceSpool;
    }

    /** The committed messages of the source, oldest first. */
    public List<QueueId> ids() throws IOException {
        return source.ids();
    }

    /**
     * Moves one message, or finishes an interrupted move of it; empty when it is no longer in the
     * source.
     *
     * @throws Spool.CorruptMessageException when the source's file is not a whole message: it is left there
     */
    public Optional<Result> adopt(QueueId id) throws IOException {
        Optional<SpooledMessage> read = source.read(id);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        SpooledMessage message = read.get();
        boolean held = message.journal().held();
        Path staged = staging.resolve(id.value());
        Path committed = active.resolve(id.value());
        if (adopted.contains(id.value())) {
            if (Files.exists(staged)) {
                commit(staged, committed, held);
                source.remove(id);
                return Optional.of(new Result(id, Outcome.ADOPTED, message.envelope(), message.pendingRecipients(), held));
            }
            if (Files.exists(committed)) {
                destination.requestReview(id); // the earlier run may have stopped before asking
            }
            source.remove(id);
            return Optional.of(new Result(id, Outcome.ALREADY_ADOPTED, message.envelope(), List.of(), held));
        }
        List<String> pending = message.pendingRecipients();
        if (pending.isEmpty()) {
            source.remove(id);
            return Optional.of(new Result(id, Outcome.NOTHING_PENDING, message.envelope(), List.of(), held));
        }
        if (Files.exists(committed)) {
            throw new IOException(id + ": a different message of that ID is already in this queue; left in " + sourceSpool);
        }
        stage(message, pending, staged);
        record(id);
        commit(staged, committed, held);
        source.remove(id);
        return Optional.of(new Result(id, Outcome.ADOPTED, message.envelope(), pending, held));
    }

    /** Step 1: the message with its pending recipients, in {@code adopting/}, durably. */
    private void stage(SpooledMessage message, List<String> pending, Path staged) throws IOException {
        Envelope original = message.envelope();
        Envelope envelope = original.withRecipients(pending);
        try (FileChannel in = FileChannel.open(message.file(), StandardOpenOption.READ);
             FileChannel out = FileChannel.open(staged, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, ByteBuffer.wrap(QueueFile.header(envelope)));
            long position = message.contentOffset();
            long end = position + message.contentLength();
            while (position < end) {
                long copied = in.transferTo(position, end - position, out);
                if (copied <= 0) {
                    throw new IOException(message.id() + ": the source's file ended early");
                }
                position += copied;
            }
            writeFully(out, ByteBuffer.wrap(QueueFile.endRecord(message.contentLength())));
            out.force(true);
        }
        owner.give(staged);
        sync(staging);
    }

    /** Step 2: the ledger says the message is this node's. */
    private void record(QueueId id) throws IOException {
        boolean created = !Files.exists(ledger);
        try (FileChannel out = FileChannel.open(ledger, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            writeFully(out, ByteBuffer.wrap((id.value() + "\n").getBytes(StandardCharsets.US_ASCII)));
            out.force(true);
        }
        if (created) {
            owner.give(ledger);
            sync(staging);
        }
        adopted.add(id.value());
    }

    /** Step 3: visible to delivery, on hold if it was, and the running gateway told. */
    private void commit(Path staged, Path committed, boolean held) throws IOException {
        try {
            Files.move(staged, committed, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the spool's adopting/ and active/ must be on one file system", e);
        }
        sync(active);
        QueueId id = new QueueId(committed.getFileName().toString());
        if (held) {
            destination.hold(id, Instant.now());
        }
        destination.requestReview(id);
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    private static void sync(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * Removes what the dead node left that is no message: journals whose message is gone (a move
     * interrupted between the two deletions). Then releases the source's lock.
     */
    @Override
    public void close() throws IOException {
        try (DirectoryStream<Path> journals = Files.newDirectoryStream(sourceSpool.resolve("active"), "*.done")) {
            for (Path journal : journals) {
                String name = journal.getFileName().toString();
                String id = name.substring(0, name.length() - ".done".length());
                if (QueueId.isValid(id) && !Files.exists(journal.resolveSibling(id))) {
                    Files.deleteIfExists(journal);
                }
            }
        } finally {
            if (sourceLock != null) {
                sourceLock.release();
            }
            if (sourceLockFile != null) {
                sourceLockFile.close();
            }
        }
    }
}
