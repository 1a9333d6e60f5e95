package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
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
