package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import net.gatehouse.smtp.protocol.MailDsn;
import net.gatehouse.smtp.protocol.RcptDsn;
import net.gatehouse.smtp.protocol.Reply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse queue adopt}: a dead node's spool moved into this node's, and every way an
 * interrupted move can be left, run again: nothing lost, nothing twice.
 */
class SpoolAdoptionTest {

    private static final Outcome SENT = Outcome.of(Reply.of(250, "2.0.0", "Ok"), "mx.example.test[192.0.2.25]:25");
    private static final Outcome BUSY = Outcome.of(Reply.of(450, "4.2.0", "Mailbox busy"), "mx.example.test[192.0.2.25]:25");

    @TempDir
    Path directory;

    private Path deadDataDir;
    private Spool dead;
    private Path hereSpool;
    private Spool here;

    @BeforeEach
    void spools() throws IOException {
        deadDataDir = directory.resolve("dead");
        dead = new Spool(deadDataDir.resolve("spool"), 0);
        Files.writeString(deadDataDir.resolve("gatehouse.lock"), ""); // as the dead gateway left it
        hereSpool = directory.resolve("here/spool");
        here = new Spool(hereSpool, 0);
    }

    private static Envelope envelope(String... recipients) {
        return new Envelope(QueueId.next(System.currentTimeMillis()), Instant.parse("2026-12-06T10:00:00Z"),
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

    private List<SpoolAdoption.Result> adoptAll() throws IOException {
        try (SpoolAdoption adoption = SpoolAdoption.open(deadDataDir, hereSpool)) {
            return adoption.ids().stream().map(id -> {
                try {
                    return adoption.adopt(id).orElseThrow();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    /** What this node's gateway finds at its next start. */
    private List<SpooledMessage> hereAtStart() throws IOException {
        return new Spool(hereSpool, 0).recover();
    }

    @Test
    void theDeadNodesMessagesMoveHereWithTheirPendingRecipientsAndTheRunningGatewayIsTold() throws IOException {
        SpooledMessage half = write(dead, envelope("<a@example.test>", "<b@example.test>"), "Subject: half\r\n\r\nhalf\r\n");
        dead.recordAttempt(half.id(), 1, Instant.now(), new LinkedHashMap<>(Map.of("<a@example.test>", SENT,
                "<b@example.test>", BUSY)));
        SpooledMessage whole = write(dead, envelope("<c@example.test>"), "Subject: whole\r\n\r\nwhole\r\n");

        List<SpoolAdoption.Result> results = adoptAll();

        assertThat(results).extracting(SpoolAdoption.Result::outcome)
                .containsExactly(SpoolAdoption.Outcome.ADOPTED, SpoolAdoption.Outcome.ADOPTED);
        assertThat(here.reviewRequests()).containsExactlyInAnyOrder(half.id(), whole.id());
        List<SpooledMessage> adopted = hereAtStart();
        assertThat(adopted).extracting(SpooledMessage::id).containsExactly(half.id(), whole.id());
        // a@ was delivered by the dead node: this one delivers to b@ only
        assertThat(adopted.get(0).pendingRecipients()).containsExactly("<b@example.test>");
        assertThat(adopted.get(0).envelope().received()).isEqualTo(half.envelope().received());
        assertThat(content(adopted.get(0))).isEqualTo("Subject: half\r\n\r\nhalf\r\n");
        assertThat(content(adopted.get(1))).isEqualTo("Subject: whole\r\n\r\nwhole\r\n");
        assertThat(dead.ids()).isEmpty();
        try (Stream<Path> left = Files.list(deadDataDir.resolve("spool/active"))) {
            assertThat(left).isEmpty(); // the journal went with its message
        }
    }

    /** RFC 3461: what the sender asked of the reports goes with the message to the adopting node. */
    @Test
    void theDsnParametersMoveWithTheMessage() throws IOException {
        Envelope plain = envelope("<a@example.test>", "<b@example.test>");
        Envelope withDsn = new Envelope(plain.id(), plain.received(), plain.client(), plain.helo(), plain.sender(),
                plain.recipients(), false, new MailDsn(Optional.of(MailDsn.Ret.FULL), Optional.of("env-1")),
                Map.of("<a@example.test>", new RcptDsn(Set.of(RcptDsn.Notify.SUCCESS), Optional.empty()),
                        "<b@example.test>", new RcptDsn(Set.of(RcptDsn.Notify.NEVER), Optional.of("rfc822;b@old.test"))));
        SpooledMessage message = write(dead, withDsn, "Subject: dsn\r\n\r\nx\r\n");
        dead.recordAttempt(message.id(), 1, Instant.now(), new LinkedHashMap<>(Map.of("<a@example.test>", SENT,
                "<b@example.test>", BUSY)));

        adoptAll();

        Envelope adopted = hereAtStart().getFirst().envelope();
        assertThat(adopted.recipients()).containsExactly("<b@example.test>");
        assertThat(adopted.dsn()).isEqualTo(withDsn.dsn());
        assertThat(adopted.dsn("<b@example.test>")).isEqualTo(withDsn.dsn("<b@example.test>"));
    }

    @Test
    void aHoldStaysAndAMessageWithNothingPendingIsOnlyRemoved() throws IOException {
        SpooledMessage held = write(dead, envelope("<a@example.test>"), "held\r\n");
        dead.hold(held.id(), Instant.now());
        SpooledMessage finished = write(dead, envelope("<b@example.test>"), "finished\r\n");
        dead.recordAttempt(finished.id(), 1, Instant.now(), new LinkedHashMap<>(Map.of("<b@example.test>", SENT)));

        assertThat(adoptAll()).extracting(SpoolAdoption.Result::outcome)
                .containsExactly(SpoolAdoption.Outcome.ADOPTED, SpoolAdoption.Outcome.NOTHING_PENDING);

        List<SpooledMessage> adopted = hereAtStart();
        assertThat(adopted).extracting(SpooledMessage::id).containsExactly(held.id());
        assertThat(adopted.getFirst().journal().held()).isTrue();
        assertThat(dead.ids()).isEmpty();
    }

    @Test
    void interruptedBeforeTheLedgerTheMessageIsStagedAgainFromTheSource() throws IOException {
        SpooledMessage message = write(dead, envelope("<a@example.test>"), "Subject: x\r\n\r\nwhole\r\n");
        // the first run died while writing the staged copy: half a file in adopting/
        Files.createDirectories(hereSpool.resolve("adopting"));
        Files.writeString(hereSpool.resolve("adopting").resolve(message.id().value()), "gatehouse-spool: 1\nid: ");

        assertThat(adoptAll()).extracting(SpoolAdoption.Result::outcome).containsExactly(SpoolAdoption.Outcome.ADOPTED);
        assertThat(content(hereAtStart().getFirst())).isEqualTo("Subject: x\r\n\r\nwhole\r\n");
    }

    @Test
    void interruptedAfterTheLedgerTheStagedCopyIsCommitted() throws IOException {
        SpooledMessage message = write(dead, envelope("<a@example.test>"), "x\r\n");
        Path copy = copyOfTheDeadSpool();
        adoptAll();
        // as if the run had died between the ledger and the rename into active/
        Files.move(hereSpool.resolve("active").resolve(message.id().value()),
                hereSpool.resolve("adopting").resolve(message.id().value()));
        restoreTheDeadSpool(copy);

        assertThat(adoptAll()).extracting(SpoolAdoption.Result::outcome).containsExactly(SpoolAdoption.Outcome.ADOPTED);
        assertThat(hereAtStart()).extracting(SpooledMessage::id).containsExactly(message.id());
        assertThat(dead.ids()).isEmpty();
    }

    @Test
    void interruptedBeforeTheSourceWasEmptiedTheMessageIsNotAdoptedTwiceEvenIfDeliveredMeanwhile() throws IOException {
        SpooledMessage message = write(dead, envelope("<a@example.test>"), "x\r\n");
        Path copy = copyOfTheDeadSpool();
        adoptAll();
        here.remove(message.id()); // delivered by this node since
        restoreTheDeadSpool(copy);   // as if the first run had died before deleting the source's files

        assertThat(adoptAll()).extracting(SpoolAdoption.Result::outcome)
                .containsExactly(SpoolAdoption.Outcome.ALREADY_ADOPTED);
        assertThat(hereAtStart()).isEmpty();
        assertThat(dead.ids()).isEmpty();
    }

    @Test
    void aSpoolInUseByARunningGatewayIsRefusedAndLeftAlone() throws IOException {
        SpooledMessage message = write(dead, envelope("<a@example.test>"), "x\r\n");
        try (FileChannel file = FileChannel.open(deadDataDir.resolve("gatehouse.lock"), StandardOpenOption.WRITE);
             FileLock running = file.lock()) {
            assertThat(running.isValid()).isTrue();
            assertThatThrownBy(() -> SpoolAdoption.open(deadDataDir, hereSpool))
                    .isInstanceOf(SpoolAdoption.SourceInUseException.class)
                    .hasMessageContaining("a gateway is running on");
        }
        assertThat(dead.ids()).containsExactly(message.id());
        assertThat(hereAtStart()).isEmpty();
    }

    @Test
    void thisNodesOwnSpoolAndADirectoryWithoutASpoolAreRefused() throws IOException {
        assertThatThrownBy(() -> SpoolAdoption.open(hereSpool, hereSpool))
                .isInstanceOf(SpoolAdoption.SourceInUseException.class).hasMessageContaining("own spool");
        assertThatThrownBy(() -> SpoolAdoption.open(directory.resolve("nothing"), hereSpool))
                .isInstanceOf(java.nio.file.NoSuchFileException.class).hasMessageContaining("no spool there");
    }

    @Test
    void theSpoolDirectoryItselfMayBeNamed() throws IOException {
        SpooledMessage message = write(dead, envelope("<a@example.test>"), "x\r\n");
        try (SpoolAdoption adoption = SpoolAdoption.open(deadDataDir.resolve("spool"), hereSpool)) {
            assertThat(adoption.adopt(message.id())).map(SpoolAdoption.Result::outcome)
                    .contains(SpoolAdoption.Outcome.ADOPTED);
        }
        assertThat(hereAtStart()).extracting(SpooledMessage::id).containsExactly(message.id());
    }

    private Path copyOfTheDeadSpool() throws IOException {
        Path copy = directory.resolve("copy");
        copyTree(deadDataDir.resolve("spool/active"), copy);
        return copy;
    }

    private void restoreTheDeadSpool(Path copy) throws IOException {
        copyTree(copy, deadDataDir.resolve("spool/active"));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
