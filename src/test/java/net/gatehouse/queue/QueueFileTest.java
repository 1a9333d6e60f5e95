package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.gatehouse.queue.Spool.CorruptMessageException;
import net.gatehouse.smtp.protocol.MailDsn;
import net.gatehouse.smtp.protocol.RcptDsn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueueFileTest {

    private static final QueueId ID = QueueId.next(1_700_000_000_000L);
    private static final Envelope ENVELOPE = new Envelope(ID, Instant.parse("2026-11-23T10:00:00Z"), "192.0.2.1",
            "client.test", "<sender@example.test>", List.of("<a@example.test>", "<b@example.test>"), true);

    @TempDir
    Path directory;

    private static byte[] file(Envelope envelope, String content) {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        byte[] body = content.getBytes(StandardCharsets.UTF_8);
        file.writeBytes(QueueFile.header(envelope));
        file.writeBytes(body);
        file.writeBytes(QueueFile.endRecord(body.length));
        return file.toByteArray();
    }

    private QueueFile.Layout read(QueueId id, byte[] bytes) throws IOException {
        Path path = directory.resolve("message");
        Files.write(path, bytes);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return QueueFile.read(id, channel);
        }
    }

    @Test
    void readsBackTheEnvelopeAndWhereTheContentLies() throws IOException {
        byte[] bytes = file(ENVELOPE, "Subject: hi\r\n\r\nbody\r\n");

        QueueFile.Layout layout = read(ID, bytes);

        assertThat(layout.envelope()).isEqualTo(ENVELOPE);
        assertThat(new String(bytes, (int) layout.contentOffset(), (int) layout.contentLength(), StandardCharsets.UTF_8))
                .isEqualTo("Subject: hi\r\n\r\nbody\r\n");
    }

    @Test
    void keepsLineBreaksInEnvelopeValuesFromStartingAFieldOfTheirOwn() throws IOException {
        Envelope smuggling = new Envelope(ID, ENVELOPE.received(), "192.0.2.1", "client.test\nto: <x@evil.test>",
                "<sender@example.test>", List.of("<a@example.test>"), false);

        QueueFile.Layout layout = read(ID, file(smuggling, "x\r\n"));

        assertThat(layout.envelope().recipients()).containsExactly("<a@example.test>");
        assertThat(layout.envelope().helo()).isEqualTo("client.test to: <x@evil.test>");
    }

    @Test
    void refusesAFileCutShortBeforeItsEndRecord() {
        byte[] whole = file(ENVELOPE, "Subject: hi\r\n\r\nbody\r\n");
        byte[] cut = Arrays.copyOf(whole, whole.length - 5);

        assertThatThrownBy(() -> read(ID, cut)).isInstanceOf(CorruptMessageException.class).hasMessage("no end record");
    }

    @Test
    void refusesAnEndRecordWhoseLengthDoesNotFitTheFile() {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes(QueueFile.header(ENVELOPE));
        file.writeBytes("short".getBytes(StandardCharsets.US_ASCII));
        file.writeBytes(QueueFile.endRecord(1_000_000));

        assertThatThrownBy(() -> read(ID, file.toByteArray())).isInstanceOf(CorruptMessageException.class)
                .hasMessage("content length does not fit the file");
    }

    @Test
    void refusesAFileThatHoldsAnotherMessage() {
        QueueId other = QueueId.next(1_700_000_001_000L);

        assertThatThrownBy(() -> read(other, file(ENVELOPE, "Subject: hi\r\n\r\nbody\r\n"))).isInstanceOf(CorruptMessageException.class)
                .hasMessageStartingWith("file holds message ");
    }

    @Test
    void refusesAFileTooShortForAnEndRecord() {
        assertThatThrownBy(() -> read(ID, new byte[3])).isInstanceOf(CorruptMessageException.class)
                .hasMessage("file too short for an end record");
    }

    /** What the version before DSN wrote, spelled out: it must stay readable after an upgrade. */
    @Test
    void readsAFileWrittenByTheVersionBeforeDsn() throws IOException {
        String content = "Subject: hi\r\n\r\nbody\r\n";
        String oldFile = "gatehouse-spool: 1\n"
                + "id: " + ID + "\n"
                + "received: 2026-11-23T10:00:00Z\n"
                + "client: 192.0.2.1\n"
                + "helo: client.test\n"
                + "smtputf8: yes\n"
                + "from: <sender@example.test>\n"
                + "to: <a@example.test>\n"
                + "to: <b@example.test>\n"
                + "\n"
                + content
                + "\nGATEHOUSE-END " + String.format("%016x", content.length()) + "\n";

        QueueFile.Layout layout = read(ID, oldFile.getBytes(StandardCharsets.UTF_8));

        assertThat(layout.envelope()).isEqualTo(ENVELOPE);
        assertThat(layout.envelope().dsn()).isEqualTo(MailDsn.NONE);
        assertThat(layout.envelope().dsn("<a@example.test>")).isEqualTo(RcptDsn.NONE);
        // and a message without DSN parameters is still written as that version wrote it
        assertThat(file(ENVELOPE, content)).isEqualTo(oldFile.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void keepsTheDsnParametersWithTheMessage() throws IOException {
        Envelope withDsn = new Envelope(ID, ENVELOPE.received(), "192.0.2.1", "client.test", "<sender@example.test>",
                List.of("<a@example.test>", "<b@example.test>", "<c@example.test>"), false,
                new MailDsn(Optional.of(MailDsn.Ret.HDRS), Optional.of("QQ+2B314")),
                Map.of("<a@example.test>", new RcptDsn(Set.of(RcptDsn.Notify.NEVER), Optional.empty()),
                        "<c@example.test>", new RcptDsn(Set.of(RcptDsn.Notify.SUCCESS, RcptDsn.Notify.FAILURE),
                                Optional.of("rfc822;C+2Bx@example.test"))));

        byte[] bytes = file(withDsn, "x\r\n");
        QueueFile.Layout layout = read(ID, bytes);

        assertThat(layout.envelope()).isEqualTo(withDsn);
        assertThat(layout.envelope().dsn("<b@example.test>")).isEqualTo(RcptDsn.NONE);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).startsWith("gatehouse-spool: 2\n")
                .contains("from: <sender@example.test>\nret: HDRS\nenvid: QQ+2B314\n")
                .contains("to: <a@example.test>\nnotify: NEVER\nto: <b@example.test>\nto: <c@example.test>\n"
                        + "notify: SUCCESS,FAILURE\norcpt: rfc822;C+2Bx@example.test\n\n");
    }

    @Test
    void refusesDsnParametersThatCouldNotHaveBeenReceived() {
        String content = "x\r\n";
        String bad = "gatehouse-spool: 2\nid: " + ID + "\nreceived: 2026-11-23T10:00:00Z\nfrom: <s@example.test>\n"
                + "to: <a@example.test>\nnotify: NEVER,SUCCESS\n\n" + content
                + "\nGATEHOUSE-END " + String.format("%016x", content.length()) + "\n";

        assertThatThrownBy(() -> read(ID, bad.getBytes(StandardCharsets.UTF_8))).isInstanceOf(CorruptMessageException.class)
                .hasMessageContaining("notify: NEVER,SUCCESS");
    }
}
