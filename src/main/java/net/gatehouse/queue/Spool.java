package net.gatehouse.queue;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
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
 * <li>{@code active/ID}: committed. A text envelope, a blank line, the content, and a fixed-size end
 * record holding the content length. As in Postfix's queue files, a file without a valid end record
 * is corrupt: it is moved to {@code corrupt/} and reported, never delivered.</li>
 * <li>{@code active/ID.done}: the journal ({@link Journal}), appended to after each delivery attempt
 * that leaves the message queued: one line per recipient, finished (delivered or bounced) or
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
 * deferred message now. The gateway looks once a second.</li>
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
    private static final String MAGIC = "gatehouse-spool: 1";
    private static final String END_MARK = "\nGATEHOUSE-END ";
    /** End record: the mark, 16 hex digits of content length, newline. */
    private static final int END_RECORD_LENGTH = END_MARK.length() + 16 + 1;
    private static final int MAX_ENVELOPE_BYTES = 1 << 20;
    private static final String JOURNAL_SUFFIX = ".done";
    private static final String SPARE_SUFFIX = ".spare";
    private static final String FLUSH_REQUEST = "flush";
    /** Spares kept at most: a few seconds' worth of mail on a busy gateway. */
    private static final int SPARE_CAPACITY = 10_000;
    /** Files larger than this are deleted rather than kept: a spare holds on to its disk blocks. */
    private static final long SPARE_MAX_BYTES = 256 * 1024;
    private static final long SPARE_MINIMUM_AGE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Small messages go to the file in one write: envelope, content and end record. */
    private static final int WRITE_BUFFER_BYTES = 16 * 1024;

    private final Path directory;
    private final Path incoming;
    private final Path active;
    /** fsyncs of {@code active/}, shared by the sessions and deliveries that need one at once. */
    private final GroupSync activeSync;
    private final Path corrupt;
    private final Path requests;
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
        this.directory = directory;
        this.spares = spares;
        this.incoming = Files.createDirectories(directory.resolve("incoming"));
        this.active = Files.createDirectories(directory.resolve("active"));
        this.activeSync = GroupSync.of(active);
        this.corrupt = Files.createDirectories(directory.resolve("corrupt"));
        this.requests = Files.createDirectories(directory.resolve("requests"));
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
        spool.giveToSpoolOwner(spool.requests);
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
                byte[] header = formatEnvelope(envelope);
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
                String end = END_MARK + HexFormat.of().toHexDigits(length) + "\n";
                file.write(end.getBytes(StandardCharsets.US_ASCII));
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
        try (DirectoryStream<Path> answered = Files.newDirectoryStream(requests)) {
            for (Path file : answered) {
                Files.deleteIfExists(file);
            }
        }
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
                Files.deleteIfExists(journal(id));
            }
        }
        try (DirectoryStream<Path> journals = Files.newDirectoryStream(active, "*" + JOURNAL_SUFFIX)) {
            for (Path journal : journals) {
                String name = journal.getFileName().toString();
                if (!Files.exists(active.resolve(name.substring(0, name.length() - JOURNAL_SUFFIX.length())))) {
                    Files.deleteIfExists(journal);
                }
            }
        }
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
            long fileSize = channel.size();
            if (fileSize < END_RECORD_LENGTH) {
                throw new CorruptMessageException("file too short for an end record");
            }
            ByteBuffer end = ByteBuffer.allocate(END_RECORD_LENGTH);
            readFully(channel, end, fileSize - END_RECORD_LENGTH);
            String endRecord = new String(end.array(), StandardCharsets.US_ASCII);
            if (!endRecord.startsWith(END_MARK) || !endRecord.endsWith("\n")) {
                throw new CorruptMessageException("no end record");
            }
            long contentLength = HexFormat.fromHexDigitsToLong(endRecord, END_MARK.length(), END_MARK.length() + 16);
            long contentOffset = fileSize - END_RECORD_LENGTH - contentLength;
            if (contentOffset <= 0 || contentOffset > MAX_ENVELOPE_BYTES) {
                throw new CorruptMessageException("content length does not fit the file");
            }
            ByteBuffer header = ByteBuffer.allocate((int) contentOffset);
            readFully(channel, header, 0);
            Envelope envelope = parseEnvelope(id, new String(header.array(), StandardCharsets.UTF_8));
            return Optional.of(new SpooledMessage(envelope, file, contentOffset, contentLength,
                    journal(id, envelope.received())));
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new CorruptMessageException(e.getMessage());
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

    /**
     * Puts the message on hold: no attempt starts until it is released (a running gateway notices
     * at its next look at the message, see {@link #requestReview}). False when it is not in the spool.
     */
    public boolean hold(QueueId id, Instant at) throws IOException {
        return administer(id, Journal.actionLine(Journal.HOLD, at));
    }

    /** Releases a message from hold. False when it is not in the spool. */
    public boolean release(QueueId id, Instant at) throws IOException {
        return administer(id, Journal.actionLine(Journal.RELEASE, at));
    }

    /**
     * Postfix's {@code postsuper -r}: the message starts again as if it had just arrived, released
     * from hold, its attempts, reasons and lifetime counted from {@code at}; finished recipients
     * stay finished. Routes are the current policy's at every attempt anyway. False when it is not
     * in the spool.
     */
    public boolean requeue(QueueId id, Instant at) throws IOException {
        return administer(id, Journal.actionLine(Journal.REQUEUE, at));
    }

    /** An administrator's record, durable, for a message that is in the spool. */
    private boolean administer(QueueId id, String line) throws IOException {
        Path message = active.resolve(id.value());
        if (!Files.exists(message)) {
            return false;
        }
        boolean created = append(id, line, true);
        if (created) {
            // The command line may run as root beside a gateway that runs as its own user.
            giveToSpoolOwner(journal(id));
        }
        if (!Files.exists(message)) { // delivered meanwhile: nothing left to hold
            if (created) {
                Files.deleteIfExists(journal(id));
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
        Path journal = journal(id);
        boolean created = !Files.exists(journal);
        try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            writeFully(channel, ByteBuffer.wrap(lines.getBytes(StandardCharsets.UTF_8)));
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
        Files.deleteIfExists(journal(id));
        activeSync.sync();
        // only now: a spare is overwritten only once its rename away from the message's name is durable
        if (kept && (Files.size(spare) > SPARE_MAX_BYTES || !spares.giveBack(spare))) {
            Files.deleteIfExists(spare);
        }
        return existed;
    }

    /** Asks the running gateway to attempt every deferred message now ({@code gatehouse queue flush}). */
    public void requestFlush() throws IOException {
        Path request = directory.resolve(FLUSH_REQUEST);
        Files.writeString(request, "");
        giveToSpoolOwner(request);
    }

    /** Whether a flush was requested since the last call; cheap enough to poll every second. */
    public boolean takeFlushRequest() {
        try {
            return Files.deleteIfExists(directory.resolve(FLUSH_REQUEST));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Asks the running gateway to look at the message again within a second, for what the command
     * line changed in the spool: it then takes a hold into account, forgets a deleted message, and
     * attempts any other at once ({@code gatehouse queue hold|release|requeue|flush ID|delete}).
     */
    public void requestReview(QueueId id) throws IOException {
        Path request = requests.resolve(id.value());
        try {
            Files.createFile(request);
        } catch (FileAlreadyExistsException pending) {
            return; // asked already, not yet looked at: the gateway reads the journal as it is then
        }
        giveToSpoolOwner(request);
    }

    /** The messages the command line asked to be looked at again; one directory read, fit for every second. */
    public List<QueueId> reviewRequests() {
        List<QueueId> ids = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(requests)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (QueueId.isValid(name)) {
                    ids.add(new QueueId(name));
                }
            }
        } catch (IOException e) {
            log.warn("spool_requests_unreadable directory={} error=\"{}\"", requests, e.getMessage());
        }
        return ids;
    }

    /** The message was looked at again: the request is done. */
    public void reviewed(QueueId id) {
        try {
            Files.deleteIfExists(requests.resolve(id.value()));
        } catch (IOException e) {
            log.warn("spool_request_undeletable queue_id={} error=\"{}\"", id, e.getMessage());
        }
    }

    /**
     * Gives a file the command line created to the owner and group of the spool, so that a gateway
     * running as its own user can append to it and delete it when the command ran as root. Without
     * the privilege to change owners the file stays as it is (the command then ran as that user).
     */
    private void giveToSpoolOwner(Path file) {
        try {
            PosixFileAttributes spool = Files.readAttributes(active, PosixFileAttributes.class);
            PosixFileAttributes created = Files.readAttributes(file, PosixFileAttributes.class);
            PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (!created.owner().equals(spool.owner())) {
                view.setOwner(spool.owner());
            }
            if (!created.group().equals(spool.group())) {
                view.setGroup(spool.group());
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("spool_owner_unchanged file={} error=\"{}\"", file, e.getMessage());
        }
    }

    private Journal journal(QueueId id, Instant arrival) throws IOException {
        try {
            // leniently decoded: bytes a crash garbled make one unreadable line, not an unreadable message
            return Journal.parse(new String(Files.readAllBytes(journal(id)), StandardCharsets.UTF_8), arrival);
        } catch (NoSuchFileException none) {
            return Journal.empty(arrival);
        }
    }

    private Path journal(QueueId id) {
        return active.resolve(id.value() + JOURNAL_SUFFIX);
    }

    private static byte[] formatEnvelope(Envelope envelope) {
        StringBuilder text = new StringBuilder(256).append(MAGIC).append('\n');
        text.append("id: ").append(envelope.id()).append('\n');
        text.append("received: ").append(envelope.received()).append('\n');
        text.append("client: ").append(oneLine(envelope.client())).append('\n');
        text.append("helo: ").append(oneLine(envelope.helo())).append('\n');
        text.append("smtputf8: ").append(envelope.smtpUtf8() ? "yes" : "no").append('\n');
        text.append("from: ").append(oneLine(envelope.sender())).append('\n');
        for (String recipient : envelope.recipients()) {
            text.append("to: ").append(oneLine(recipient)).append('\n');
        }
        return text.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Envelope parseEnvelope(QueueId id, String header) {
        String[] lines = header.split("\n");
        if (lines.length == 0 || !lines[0].equals(MAGIC) || !header.endsWith("\n\n")) {
            throw new IllegalArgumentException("not a Gatehouse spool file");
        }
        Instant received = null;
        String client = "";
        String helo = "";
        String sender = null;
        boolean smtpUtf8 = false;
        List<String> recipients = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(": ");
            if (colon < 0) {
                throw new IllegalArgumentException("bad envelope line: " + line);
            }
            String value = line.substring(colon + 2);
            switch (line.substring(0, colon)) {
                case "id" -> {
                    if (!value.equals(id.value())) {
                        throw new IllegalArgumentException("file holds message " + value);
                    }
                }
                case "received" -> received = Instant.parse(value);
                case "client" -> client = value;
                case "helo" -> helo = value;
                case "smtputf8" -> smtpUtf8 = value.equals("yes");
                case "from" -> sender = value;
                case "to" -> recipients.add(value);
                default -> throw new IllegalArgumentException("unknown envelope field: " + line);
            }
        }
        if (received == null || sender == null) {
            throw new IllegalArgumentException("envelope lacks received time or sender");
        }
        return new Envelope(id, received, client, helo, sender, recipients, smtpUtf8);
    }

    private static String oneLine(String value) {
        return value.replace('\n', ' ').replace('\r', ' ');
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

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new CorruptMessageException("file ends early");
            }
        }
    }

    /** A committed file that cannot be read back: never delivered, moved aside at recovery. */
    public static final class CorruptMessageException extends IOException {
        CorruptMessageException(String reason) {
            super(reason);
        }
    }

    private static final class CountingOutputStream extends FilterOutputStream {
        private long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        long count() {
            return count;
        }
    }
}
