package net.gatehouse.smtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DataReaderTest {

    private record Result(String content, int consumed, boolean done, boolean bare, boolean tooBig) {
    }

    private static Result read(String wire, long maxSize) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        DataReader reader = new DataReader(maxSize, sink);
        byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
        int consumed = reader.feed(bytes, 0, bytes.length);
        return new Result(sink.toString(StandardCharsets.ISO_8859_1), consumed, reader.isDone(),
                reader.sawBareLineEnding(), reader.sizeExceeded());
    }

    private static Result read(String wire) throws IOException {
        return read(wire, Long.MAX_VALUE);
    }

    @Test
    void endsOnlyAtCrLfDotCrLfAndLeavesPipelinedCommandsUnread() throws IOException {
        Result result = read("Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        assertThat(result.done()).isTrue();
        assertThat(result.content()).isEqualTo("Subject: hi\r\n\r\nbody\r\n");
        assertThat(result.consumed()).isEqualTo("Subject: hi\r\n\r\nbody\r\n.\r\n".length());
    }

    @Test
    void endsAnEmptyMessage() throws IOException {
        assertThat(read(".\r\n").done()).isTrue();
        assertThat(read(".\r\n").content()).isEmpty();
    }

    @Test
    void removesDotStuffing() throws IOException {
        assertThat(read("..\r\n..x\r\n.y\r\nz.\r\n.\r\n").content()).isEqualTo(".\r\n.x\r\ny\r\nz.\r\n");
    }

    /** The SMTP smuggling vectors (SEC Consult 2023): none of them may end the message. */
    static Stream<Arguments> smugglingVectors() {
        return Stream.of(
                Arguments.of("bare LF dot bare LF", "a\n.\nMAIL FROM:<x@evil.example>\r\n"),
                Arguments.of("bare LF dot CRLF", "a\n.\r\nMAIL FROM:<x@evil.example>\r\n"),
                Arguments.of("CRLF dot bare LF", "a\r\n.\nMAIL FROM:<x@evil.example>\r\n"),
                Arguments.of("bare CR dot bare CR", "a\r.\rMAIL FROM:<x@evil.example>\r\n"),
                Arguments.of("bare CR dot CRLF", "a\r.\r\nMAIL FROM:<x@evil.example>\r\n"),
                Arguments.of("CRLF dot bare CR", "a\r\n.\rMAIL FROM:<x@evil.example>\r\n"),
                Arguments.of("CR CR LF dot", "a\r\r\n.\r\r\nMAIL FROM:<x@evil.example>\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smugglingVectors")
    void smugglingSequencesDoNotEndTheMessage(String name, String wire) throws IOException {
        Result result = read(wire);
        assertThat(result.done()).isFalse();
        assertThat(result.bare()).isTrue();
        assertThat(result.consumed()).isEqualTo(wire.length());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smugglingVectors")
    void smuggledLinesAreNormalisedSoThatRestuffingKeepsThemContent(String name, String wire) throws IOException {
        Result result = read(wire + "\r\n.\r\n");
        assertThat(result.done()).isTrue();
        // Every line ending is CRLF now: a server after us sees the dot line stuffed, as content.
        assertThat(result.content().replace("\r\n", "")).doesNotContain("\r").doesNotContain("\n");
        assertThat(result.content()).contains("MAIL FROM:<x@evil.example>");
    }

    @Test
    void normalisesBareLineEndingsToCrLf() throws IOException {
        assertThat(read("a\nb\rc\r\n.\r\n").content()).isEqualTo("a\r\nb\r\nc\r\n");
    }

    @Test
    void cleanMessagesAreNotFlagged() throws IOException {
        assertThat(read("a\r\nb\r\n.\r\n").bare()).isFalse();
    }

    @Test
    void countsButDoesNotKeepContentBeyondTheLimit() throws IOException {
        Result result = read("0123456789\r\n.\r\n", 5);
        assertThat(result.done()).isTrue();
        assertThat(result.tooBig()).isTrue();
        assertThat(result.content()).isEqualTo("01234");
    }

    @Test
    void findsTheEndAcrossArbitraryChunks() throws IOException {
        byte[] wire = "line one\r\n..dotted\r\nlast\r\n.\r\nNOOP\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int split = 1; split < wire.length; split++) {
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            DataReader reader = new DataReader(Long.MAX_VALUE, sink);
            int consumed = 0;
            for (int i = 0; i < wire.length && !reader.isDone(); i += split) {
                consumed += reader.feed(wire, i, Math.min(split, wire.length - i));
            }
            assertThat(reader.isDone()).as("chunk size %d", split).isTrue();
            assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo("line one\r\n.dotted\r\nlast\r\n");
            assertThat(consumed).isEqualTo(wire.length - "NOOP\r\n".length());
        }
    }

    @Test
    void notesEightBitContent() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        DataReader reader = new DataReader(Long.MAX_VALUE, sink);
        byte[] wire = "caf\u00e9\r\n.\r\n".getBytes(StandardCharsets.UTF_8);
        reader.feed(wire, 0, wire.length);
        assertThat(reader.sawEightBit()).isTrue();
    }

    @Test
    void notesALineLongerThan998OctetsButNotOneOfExactly998() throws IOException {
        assertThat(longLine("x".repeat(998) + "\r\n.\r\n")).isFalse();
        assertThat(longLine("..".concat("x".repeat(997)) + "\r\n.\r\n")).as("stuffing does not count").isFalse();
        assertThat(longLine("short\r\n" + "x".repeat(999) + "\r\nshort\r\n.\r\n")).isTrue();
        assertThat(longLine("x".repeat(600) + "\n" + "x".repeat(600) + "\r\n.\r\n")).as("a bare LF ends a line").isFalse();
        assertThat(longLine("x".repeat(1 << 20) + "\r\n.\r\n")).isTrue();
    }

    private static boolean longLine(String wire) throws IOException {
        DataReader reader = new DataReader(Long.MAX_VALUE, new ByteArrayOutputStream());
        byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
        reader.feed(bytes, 0, bytes.length);
        assertThat(reader.isDone()).isTrue();
        return reader.sawLongLine();
    }
}
