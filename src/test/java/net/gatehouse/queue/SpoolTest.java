package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import net.gatehouse.smtp.protocol.Reply;
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

    private static final Instant ATTEMPTED = Instant.parse("2026-11-23T10:05:00Z");
    private static final Outcome SENT = Outcome.of(Reply.of(250, "2.0.0", "Ok"), "mx.example.test[192.0.2.25]:25");
    private static final Outcome BUSY = Outcome.of(Reply.of(450, "4.2.0", "Mailbox busy"), "mx.example.test[192.0.2.25]:25");

    private static void attempted(Spool spool, SpooledMessage message, int attempt, Map<String, Outcome> outcomes)
            throws IOException {
        spool.recordAttempt(message.id(), attempt, ATTEMPTED.plusSeconds(attempt), new LinkedHashMap<>(outcomes));
    }

    @Test
    void finishedRecipientsAreNotPendingAfterARestart() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>", "<b@example.test>"), "x\r\n");
        attempted(spool, message, 1, Map.of("<a@example.test>", SENT, "<b@example.test>", BUSY));
        SpooledMessage recovered = new Spool(directory, 0).recover().getFirst();
        assertThat(recovered.pendingRecipients()).containsExactly("<b@example.test>");
    }

    @Test
    void theLastResultOfEachRecipientAndTheAttemptsSurviveARestart() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>", "<b@example.test>"), "x\r\n");
        attempted(spool, message, 1, Map.of("<a@example.test>", BUSY, "<b@example.test>", BUSY));
        attempted(spool, message, 2, Map.of("<a@example.test>", SENT,
                "<b@example.test>", Outcome.deferred("4.4.1", "Connection to the destination's server failed")));

        Journal journal = new Spool(directory, 0).recover().getFirst().journal();

        assertThat(journal.attempts()).isEqualTo(2);
        assertThat(journal.held()).isFalse();
        assertThat(journal.result("<a@example.test>")).contains(new Journal.LastResult(true, 2, ATTEMPTED.plusSeconds(2),
                "mx.example.test[192.0.2.25]:25", "250 2.0.0 Ok"));
        assertThat(journal.result("<b@example.test>")).contains(new Journal.LastResult(false, 2, ATTEMPTED.plusSeconds(2),
                "none", "451 4.4.1 Connection to the destination's server failed"));
    }

    @Test
    void aHalfWrittenJournalLineIsIgnored() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>", "<b@example.test>"), "x\r\n");
        attempted(spool, message, 1, Map.of("<a@example.test>", SENT, "<b@example.test>", BUSY));
        Files.writeString(directory.resolve("active").resolve(message.id() + ".done"), "done\t2\t2026-11-23T10:0",
                java.nio.file.StandardOpenOption.APPEND);
        assertThat(spool.read(message.id()).orElseThrow().pendingRecipients()).containsExactly("<b@example.test>");
    }

    @Test
    void journalsOfEarlierVersionsStillMarkRecipientsFinished() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>", "<b@example.test>"), "x\r\n");
        Files.writeString(directory.resolve("active").resolve(message.id() + ".done"), "done <a@example.test>\n");
        assertThat(spool.read(message.id()).orElseThrow().pendingRecipients()).containsExactly("<b@example.test>");
    }

    @Test
    void aHoldSurvivesARestartUntilReleased() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>"), "x\r\n");

        assertThat(spool.hold(message.id(), ATTEMPTED)).isTrue();
        assertThat(new Spool(directory, 0).recover().getFirst().journal().held()).isTrue();

        assertThat(spool.release(message.id(), ATTEMPTED.plusSeconds(60))).isTrue();
        assertThat(new Spool(directory, 0).recover().getFirst().journal().held()).isFalse();
    }

    @Test
    void aHoldKeepsTheAttemptsAndTheLifetime() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>"), "x\r\n");
        attempted(spool, message, 1, Map.of("<a@example.test>", BUSY));
        spool.hold(message.id(), ATTEMPTED.plusSeconds(60));
        spool.release(message.id(), ATTEMPTED.plusSeconds(120));

        Journal journal = spool.read(message.id()).orElseThrow().journal();

        assertThat(journal.attempts()).isEqualTo(1);
        assertThat(journal.lifetimeStart()).isEqualTo(message.envelope().received());
        assertThat(journal.result("<a@example.test>")).map(Journal.LastResult::reply).contains("450 4.2.0 Mailbox busy");
    }

    @Test
    void requeueStartsAgainFromScratchButFinishedRecipientsStayFinished() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>", "<b@example.test>"), "x\r\n");
        attempted(spool, message, 1, Map.of("<a@example.test>", SENT, "<b@example.test>", BUSY));
        attempted(spool, message, 2, Map.of("<b@example.test>", BUSY));
        spool.hold(message.id(), ATTEMPTED.plusSeconds(60));
        Instant requeued = ATTEMPTED.plusSeconds(3600);

        assertThat(spool.requeue(message.id(), requeued)).isTrue();

        SpooledMessage read = new Spool(directory, 0).recover().getFirst();
        assertThat(read.journal().held()).isFalse();
        assertThat(read.journal().requeued()).isTrue();
        assertThat(read.journal().attempts()).isZero();
        assertThat(read.journal().lifetimeStart()).isEqualTo(requeued);
        assertThat(read.journal().result("<b@example.test>")).isEmpty();
        assertThat(read.pendingRecipients()).containsExactly("<b@example.test>");
    }

    @Test
    void holdReleaseAndRequeueOfAMessageNotInTheSpoolLeaveNothingBehind() throws IOException {
        Spool spool = new Spool(directory, 0);
        QueueId missing = QueueId.next(System.currentTimeMillis());

        assertThat(spool.hold(missing, ATTEMPTED)).isFalse();
        assertThat(spool.release(missing, ATTEMPTED)).isFalse();
        assertThat(spool.requeue(missing, ATTEMPTED)).isFalse();

        assertThat(directory.resolve("active")).isEmptyDirectory();
    }

    @Test
    void anAttemptRecordedForAMessageDeletedMeanwhileLeavesNoJournal() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>"), "x\r\n");
        Spool.forAdministration(directory).remove(message.id());

        attempted(spool, message, 1, Map.of("<a@example.test>", BUSY));

        assertThat(directory.resolve("active")).isEmptyDirectory();
    }

    @Test
    void reviewRequestsWaitUntilReviewedAndAreForgottenAtRecovery() throws IOException {
        Spool spool = new Spool(directory, 0);
        QueueId first = write(spool, envelope("<a@example.test>"), "x\r\n").id();
        QueueId second = write(spool, envelope("<b@example.test>"), "y\r\n").id();
        assertThat(spool.reviewRequests()).isEmpty();

        spool.requestReview(first);
        spool.requestReview(second);
        spool.requestReview(first);
        assertThat(spool.reviewRequests()).containsExactlyInAnyOrder(first, second);

        spool.reviewed(first);
        assertThat(spool.reviewRequests()).containsExactly(second);

        new Spool(directory, 0).recover();
        assertThat(spool.reviewRequests()).isEmpty();
    }

    @Test
    void theCommandLinesSpoolDeletesFilesRatherThanKeepingSpares() throws IOException {
        SpooledMessage message = write(new Spool(directory, 0), envelope("<a@example.test>"), "x\r\n");
        assertThat(Spool.forAdministration(directory).remove(message.id())).isTrue();
        assertThat(directory.resolve("active")).isEmptyDirectory();
    }

    @Test
    void removedMessagesAreGone() throws IOException {
        Spool spool = new Spool(directory, 0);
        SpooledMessage message = write(spool, envelope("<a@example.test>", "<b@example.test>"), "x\r\n");
        attempted(spool, message, 1, Map.of("<a@example.test>", SENT, "<b@example.test>", BUSY));
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
