package net.gatehouse.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import net.gatehouse.smtp.protocol.DataReader;
import org.junit.jupiter.api.Test;

/**
 * The session's read buffer is small between commands (it is all an idle connection holds) and
 * large only during DATA; no byte is lost when it changes size, on either side of the DATA.
 */
class SessionInputTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);

    /** Delivers the given chunks, one per read at most, and notes how much each read asked for. */
    private static final class ChunkedStream extends InputStream {
        private final Deque<byte[]> chunks = new ArrayDeque<>();
        private final List<Integer> asked = new ArrayList<>();

        ChunkedStream(String... chunks) {
            for (String chunk : chunks) {
                this.chunks.add(chunk.getBytes(StandardCharsets.ISO_8859_1));
            }
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            asked.add(length);
            byte[] chunk = chunks.poll();
            if (chunk == null) {
                return -1;
            }
            int n = Math.min(length, chunk.length);
            System.arraycopy(chunk, 0, buffer, offset, n);
            if (n < chunk.length) {
                chunks.addFirst(Arrays.copyOfRange(chunk, n, chunk.length));
            }
            return n;
        }
    }

    private static SessionInput input(ChunkedStream stream) {
        return new SessionInput(stream, millis -> { });
    }

    private static String data(SessionInput input) throws IOException {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        input.readData(new DataReader(Long.MAX_VALUE, content), MINUTE, 500);
        return content.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void readsCommandLinesLongerThanTheBufferWhole() throws IOException {
        String mail = "MAIL FROM:<" + "a".repeat(1500) + "@sender.test>";
        SessionInput input = input(new ChunkedStream(mail + "\r\nRCPT TO:<b@example.test>\r\n"));

        assertThat(input.readLine(MINUTE)).isEqualTo(mail);
        assertThat(input.readLine(MINUTE)).isEqualTo("RCPT TO:<b@example.test>");
        assertThat(input.readLine(MINUTE)).isNull();
    }

    @Test
    void refusesALineLongerThanTheLimitAndReadsTheNextOne() throws IOException {
        SessionInput input = input(new ChunkedStream("NOOP " + "x".repeat(SessionInput.MAX_COMMAND_LINE) + "\r\nQUIT\r\n"));

        assertThatThrownBy(() -> input.readLine(MINUTE)).isInstanceOf(SessionInput.LineTooLongException.class);
        assertThat(input.readLine(MINUTE)).isEqualTo("QUIT");
    }

    @Test
    void keepsWhatWasPipelinedOnBothSidesOfData() throws IOException {
        // the content's first bytes come with the commands; the next MAIL comes with the dot
        SessionInput input = input(new ChunkedStream(
                "RCPT TO:<b@example.test>\r\nDATA\r\nSubject: one\r\n",
                "\r\n" + "body line\r\n".repeat(3000),
                ".\r\nMAIL FROM:<a@sender.test>\r\nQUIT\r\n"));

        assertThat(input.readLine(MINUTE)).isEqualTo("RCPT TO:<b@example.test>");
        assertThat(input.readLine(MINUTE)).isEqualTo("DATA");
        assertThat(data(input)).isEqualTo("Subject: one\r\n\r\n" + "body line\r\n".repeat(3000));
        assertThat(input.readLine(MINUTE)).isEqualTo("MAIL FROM:<a@sender.test>");
        assertThat(input.readLine(MINUTE)).isEqualTo("QUIT");
    }

    @Test
    void waitsForCommandsWithTheSmallBufferAndReadsDataWithTheLargeOne() throws IOException {
        ChunkedStream stream = new ChunkedStream("DATA\r\n", "Subject: s\r\n\r\nbody\r\n.\r\n", "QUIT\r\n");
        SessionInput input = input(stream);

        input.readLine(MINUTE);
        data(input);
        input.readLine(MINUTE);

        assertThat(stream.asked).containsExactly(SessionInput.COMMAND_BUFFER, SessionInput.DATA_BUFFER,
                SessionInput.COMMAND_BUFFER);
    }
}
