package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {

    @TempDir
    Path directory;

    private static Envelope envelope(String... recipients) {
        return new Envelope(QueueId.next(System.currentTimeMillis()), Instant.parse("2026-11-23T10:00:00Z"),
                "192.0.2.1", "client.test", "<sender@example.test>", List.of(recipients), false);
    }

    private static SpooledMessage write(Spool spool, Envelope envelope, String content) throws IOException {
        try (Spool.Writer writer = spool.begin(envelope)) {
            writer.content().write(content.getBytes(StandardCharsets.UTF_8));
            return writer.commit();
        }
    }

    private static String content(SpooledMessage message) throws IOException {
        byte[] file = Files.readAllBytes(message.file());
        return new String(file, (int) message.contentOffset(), (int) message.contentLength(), StandardCharsets.UTF_8);
    }

    @Test
    void committedMessagesComeBackAfterARestart() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage written = write(spool, envelope("<a@example.test>", "<b@example.test>"), "Subject: x\r\n\r\nbody\r\n");
        List<SpooledMessage> recovered = new Spool(directory, 0).recover();
        assertThat(recovered).hasSize(1);
        SpooledMessage message = recovered.getFirst();
        assertThat(message.envelope()).isEqualTo(written.envelope());
        assertThat(content(message)).isEqualTo("Subject: x\r\n\r\nbody\r\n");
        assertThat(message.pendingRecipients()).containsExactly("<a@example.test>", "<b@example.test>");
    }

    @Test
    void messagesNeverCommittedAreNeverDelivered() throws IOException {
        Spool spool = new Spool(directory, 0);
        Spool.Writer writer = spool.begin(envelope("<a@example.test>"));
        writer.content().write("half a message".getBytes(StandardCharsets.UTF_8));
        writer.content().flush();
        // The process dies here: no commit, no abort.
        assertThat(new Spool(directory, 0).recover()).isEmpty();
        assertThat(directory.resolve("incoming")).isEmptyDirectory();
    }

    @Test
    void abortLeavesNothingBehind() throws IOException {
        Spool spool = new Spool(directory, 0);
        Spool.Writer writer = spool.begin(envelope("<a@example.test>"));
        writer.abort();
        assertThat(directory.resolve("incoming")).isEmptyDirectory();
        assertThat(spool.ids()).isEmpty();
    }

    @Test
    void aTruncatedFileIsQuarantinedNotDelivered() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>"), "Subject: x\r\n\r\nbody\r\n");
        byte[] bytes = Files.readAllBytes(message.file());
        Files.write(message.file(), java.util.Arrays.copyOf(bytes, bytes.length - 5));
        assertThat(new Spool(directory, 0).recover()).isEmpty();
        assertThat(directory.resolve("corrupt").resolve(message.id().value())).exists();
    }

    @Test
    void finishedRecipientsAreNotPendingAfterARestart() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>", "<b@example.test>"), "x\r\n");
        spool.recordFinished(message.id(), List.of("<a@example.test>"));
        SpooledMessage recovered = new Spool(directory, 0).recover().getFirst();
        assertThat(recovered.pendingRecipients()).containsExactly("<b@example.test>");
    }

    @Test
    void aHalfWrittenJournalLineIsIgnored() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>", "<b@example.test>"), "x\r\n");
        spool.recordFinished(message.id(), List.of("<a@example.test>"));
        Files.writeString(directory.resolve("active").resolve(message.id() + ".done"), "done <b@exa",
                java.nio.file.StandardOpenOption.APPEND);
        assertThat(spool.read(message.id()).orElseThrow().pendingRecipients()).containsExactly("<b@example.test>");
    }

    @Test
    void removedMessagesAreGone() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>"), "x\r\n");
        spool.recordFinished(message.id(), List.of("<a@example.test>"));
        assertThat(spool.remove(message.id())).isTrue();
        assertThat(spool.read(message.id())).isEmpty();
        assertThat(spool.ids()).isEmpty();
        // the file is kept to be overwritten by a later message; the journal is gone
        assertThat(directory.resolve("active")).isDirectoryContaining(path -> path.endsWith(message.id() + ".spare"));
        assertThat(directory.resolve("active").resolve(message.id() + ".done")).doesNotExist();
    }

    @Test
    void aRemovedMessagesFileIsOverwrittenByALaterOneOnlyOnceOldEnough() throws IOException {
        AtomicLong now = new AtomicLong();
        Spool spool = new Spool(directory, 0, new SpareFiles(10, 1_000, now::get));
        SpooledMessage first = write(spool, envelope("<a@example.test>"), "Subject: long\r\n\r\n" + "x".repeat(3000) + "\r\n");
        spool.remove(first.id());
        Path spare = directory.resolve("active").resolve(first.id() + ".spare");

        SpooledMessage tooSoon = write(spool, envelope("<b@example.test>"), "y\r\n");
        assertThat(spare).exists();
        now.addAndGet(1_000);
        SpooledMessage reusing = write(spool, envelope("<c@example.test>"), "Subject: short\r\n\r\nz\r\n");

        assertThat(spare).doesNotExist();
        // shorter than what the file held before: cut to its own end, and read back exactly
        SpooledMessage read = spool.read(reusing.id()).orElseThrow();
        assertThat(content(read)).isEqualTo("Subject: short\r\n\r\nz\r\n");
        assertThat(read.envelope().recipients()).containsExactly("<c@example.test>");
        assertThat(content(spool.read(tooSoon.id()).orElseThrow())).isEqualTo("y\r\n");
        assertThat(new Spool(directory, 0).recover()).extracting(SpooledMessage::id)
                .containsExactlyInAnyOrder(tooSoon.id(), reusing.id());
    }

    @Test
    void aSpareIsNeverDeliveredWhateverItHolds() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>"), "x\r\n");
        spool.remove(message.id());
        // a crash while a new message was being written into it leaves it half overwritten
        Path spare = directory.resolve("active").resolve(message.id() + ".spare");
        Files.writeString(spare, "half a new mess");

        Spool restarted = new Spool(directory, 0, new SpareFiles(10, 1_000_000, () -> 0));
        assertThat(restarted.recover()).isEmpty();
        assertThat(directory.resolve("corrupt")).isEmptyDirectory();
        // kept, and free for the next message at once
        SpooledMessage next = write(restarted, envelope("<b@example.test>"), "y\r\n");
        assertThat(spare).doesNotExist();
        assertThat(content(restarted.read(next.id()).orElseThrow())).isEqualTo("y\r\n");
    }

    @Test
    void abortingAMessageWrittenIntoASpareKeepsTheSpare() throws IOException {
        Spool spool = new Spool(directory, 0, new SpareFiles(10, 0, () -> 0));
        SpooledMessage message = write(spool, envelope("<a@example.test>"), "x\r\n");
        spool.remove(message.id());
        Spool.Writer writer = spool.begin(envelope("<b@example.test>"));
        writer.content().write("partial".getBytes(StandardCharsets.UTF_8));
        writer.abort();
        assertThat(spool.ids()).isEmpty();
        assertThat(directory.resolve("active").resolve(message.id() + ".spare")).exists();
        assertThat(directory.resolve("incoming")).isEmptyDirectory();
    }

    @Test
    void largeFilesAreDeletedRatherThanKept() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>"), "x".repeat(300 * 1024) + "\r\n");
        spool.remove(message.id());
        assertThat(directory.resolve("active")).isEmptyDirectory();
    }

    @Test
    void hasNoRoomBelowTheConfiguredFreeSpace() throws IOException {
        assertThat(new Spool(directory, 0).hasRoom()).isTrue();
        assertThat(new Spool(directory, Long.MAX_VALUE).hasRoom()).isFalse();
    }

    @Test
    void writingFailsCleanlyWhenTheSpoolIsUnwritable() throws IOException {
        Spool spool = new Spool(directory, 0);
        Path incoming = directory.resolve("incoming");
        Files.delete(incoming);
        Files.writeString(incoming, "not a directory");
        assertThatThrownBy(() -> spool.begin(envelope("<a@example.test>"))).isInstanceOf(IOException.class);
        assertThat(spool.ids()).isEmpty();
    }

    @Test
    void flushRequestsAreTakenOnce() throws IOException {
        Spool spool = new Spool(directory, 0);
        assertThat(spool.takeFlushRequest()).isFalse();
        spool.requestFlush();
        assertThat(spool.takeFlushRequest()).isTrue();
        assertThat(spool.takeFlushRequest()).isFalse();
    }
}
