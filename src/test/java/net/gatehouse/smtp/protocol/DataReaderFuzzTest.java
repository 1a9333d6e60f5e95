package net.gatehouse.smtp.protocol;

import static net.gatehouse.smtp.protocol.FuzzChecks.check;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Fuzzes {@link DataReader} with what a client sends after {@code 354} (issue 11). The input's
 * first byte chooses how the rest is cut into reads (and a size limit); the rest is the stream.
 *
 * <p>Invariants:
 * <ul>
 * <li>the result does not depend on how the bytes arrive: all at once, one by one, or in
 *     chunks chosen by the input give the same content, flags and end;</li>
 * <li>the data ends at the first {@code CRLF.CRLF} (counting the CRLF before the first line) and
 *     nowhere else, and not one byte after it is consumed: there is at most one end of data,
 *     so one DATA can never yield two messages;</li>
 * <li>the content has only CRLF line endings, no bare CR or LF, and its lines are as long as
 *     {@link DataReader#sawLongLine()} says;</li>
 * <li>the content, dot-stuffed again as a relay sends it and read by a second reader, is the same
 *     content, ends exactly at the end of what was sent, and has no bare line ending: what
 *     Gatehouse passes on is exactly one message, whatever came in;</li>
 * <li>under a size limit the reader counts the same size and writes a prefix of the same content.</li>
 * </ul>
 */
class DataReaderFuzzTest {

    private static final byte[] END = {'\r', '\n', '.', '\r', '\n'};

    private record Outcome(byte[] content, int consumed, boolean done, long size, boolean sizeExceeded,
            boolean bare, boolean longLine, boolean eightBit) {

        boolean sameAs(Outcome other) {
            return Arrays.equals(content, other.content) && consumed == other.consumed && done == other.done
                    && size == other.size && sizeExceeded == other.sizeExceeded && bare == other.bare
                    && longLine == other.longLine && eightBit == other.eightBit;
        }
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "smtp.dict")
    void oneDataIsAtMostOneMessage(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        int choice = input[0] & 0xFF;
        byte[] stream = Arrays.copyOfRange(input, 1, input.length);
        if (!checkStream(stream, choice, input)) {
            // The reader hands its content over only at the end; end the stream so that the
            // content of this one is checked too.
            checkStream(concat(stream, END), choice, input);
        }
    }

    /** Checks one stream; returns whether it had an end. */
    private static boolean checkStream(byte[] stream, int choice, byte[] input) throws IOException {
        Outcome whole = read(stream, Long.MAX_VALUE, new int[] {stream.length});
        Outcome byByte = read(stream, Long.MAX_VALUE, null);
        Outcome chunked = read(stream, Long.MAX_VALUE, chunks(stream.length, choice));
        check(whole.sameAs(byByte) && whole.sameAs(chunked), "result depends on how the bytes arrive", hex(input));

        int end = indexOf(concat(new byte[] {'\r', '\n'}, stream), END);
        check(whole.done == (end >= 0), "done is " + whole.done + ", first CRLF.CRLF at " + end, hex(input));
        int expectedConsumed = end < 0 ? stream.length : end + END.length - 2;
        check(whole.consumed == expectedConsumed, "consumed " + whole.consumed + " of the stream, the end is at "
                + expectedConsumed, hex(input));
        boolean eightBit = false;
        for (int i = 0; i < whole.consumed; i++) {
            eightBit |= stream[i] < 0;
        }
        check(whole.eightBit == eightBit, "sawEightBit() is " + whole.eightBit, hex(input));
        if (!whole.done) {
            return false;
        }

        byte[] content = whole.content;
        check(content.length == whole.size, "wrote " + content.length + " bytes, counted " + whole.size, hex(input));
        checkLineEndings(content, input);
        check(whole.longLine == longestLine(content) > DataReader.MAX_LINE_OCTETS,
                "sawLongLine() is " + whole.longLine + ", longest line " + longestLine(content), hex(input));

        byte[] relayed = stuff(content);
        Outcome second = read(relayed, Long.MAX_VALUE, new int[] {relayed.length});
        check(second.done && second.consumed == relayed.length,
                "relayed content ends after " + second.consumed + " of " + relayed.length + " bytes", hex(input));
        check(indexOf(concat(new byte[] {'\r', '\n'}, relayed), END) == relayed.length - 3,
                "relayed content has CRLF.CRLF before its end", hex(input));
        check(Arrays.equals(second.content, content) && !second.bare, "relayed content reads back differently",
                hex(input));

        long limit = choice * 37L % (content.length + 2);
        Outcome limited = read(stream, limit, chunks(stream.length, choice));
        check(limited.size == whole.size && limited.sizeExceeded == (whole.size > limit)
                        && limited.consumed == whole.consumed && limited.done,
                "under a limit of " + limit + " the reader counts differently", hex(input));
        check(Arrays.equals(limited.content, Arrays.copyOf(content, (int) Math.min(limit, content.length))),
                "under a limit of " + limit + " the content is not a prefix", hex(input));
        return true;
    }

    /** Feeds {@code stream} in the given read sizes (one byte at a time when null) until the end. */
    private static Outcome read(byte[] stream, long maxSize, int[] chunks) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        DataReader reader = new DataReader(maxSize, sink);
        int offset = 0;
        for (int i = 0; offset < stream.length && !reader.isDone(); i++) {
            int length = chunks == null ? 1 : Math.min(chunks[i % chunks.length], stream.length - offset);
            int fed = reader.feed(stream, offset, length);
            check(fed == length || reader.isDone(), "fed " + length + ", consumed " + fed + " without an end", "");
            offset += fed;
            if (reader.isDone() && offset < stream.length) {
                check(reader.feed(stream, offset, stream.length - offset) == 0, "consumed bytes after the end", "");
            }
        }
        return new Outcome(sink.toByteArray(), offset, reader.isDone(), reader.size(), reader.sizeExceeded(),
                reader.sawBareLineEnding(), reader.sawLongLine(), reader.sawEightBit());
    }

    /** Read sizes from 1 to 1 + (choice % 64), drawn from a generator seeded with the choice. */
    private static int[] chunks(int length, int choice) {
        SplittableRandom random = new SplittableRandom(choice);
        int[] sizes = new int[Math.max(1, Math.min(length, 64))];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 1 + random.nextInt(1 + choice % 64);
        }
        return sizes;
    }

    /** Every CR is followed by LF and every LF follows a CR. */
    private static void checkLineEndings(byte[] content, byte[] input) {
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\r') {
                check(i + 1 < content.length && content[i + 1] == '\n', "bare CR in the content at " + i, hex(input));
            } else if (content[i] == '\n') {
                check(i > 0 && content[i - 1] == '\r', "bare LF in the content at " + i, hex(input));
            }
        }
    }

    private static int longestLine(byte[] content) {
        int longest = 0;
        int start = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\n') {
                longest = Math.max(longest, i - 1 - start);
                start = i + 1;
            }
        }
        return Math.max(longest, content.length - start);
    }

    /**
     * RFC 5321 4.5.2 as a relay sends the content on: a dot at the start of a line doubled, a CRLF
     * added if the content lacks a final one, then the lone dot.
     */
    private static byte[] stuff(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 16);
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '.' && (i == 0 || content[i - 1] == '\n')) {
                out.write('.');
            }
            out.write(content[i]);
        }
        int n = content.length;
        if (n > 0 && !(n >= 2 && content[n - 2] == '\r' && content[n - 1] == '\n')) {
            out.write('\r');
            out.write('\n');
        }
        out.writeBytes(new byte[] {'.', '\r', '\n'});
        return out.toByteArray();
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
