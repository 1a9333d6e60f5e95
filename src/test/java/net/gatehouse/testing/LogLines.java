package net.gatehouse.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finding and waiting for lines in the log of a process a test started (the gateway, Postfix). */
final class LogLines {

    private LogLines() {
    }

    /** The lines matching {@code regex} (found anywhere in the line). */
    static List<String> matching(Stream<String> lines, String regex) {
        Pattern pattern = Pattern.compile(regex);
        return lines.filter(line -> pattern.matcher(line).find()).toList();
    }

    /**
     * Waits until {@code lines} holds a line matching {@code regex} and returns the first such line.
     *
     * @param lines  the log as it is now, asked again every 100 ms
     * @param report what the assertion error says besides the pattern: who, and what it logged
     */
    static String await(Supplier<Stream<String>> lines, String regex, Duration timeout, Supplier<String> report)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            List<String> found = matching(lines.get(), regex);
            if (!found.isEmpty()) {
                return found.getFirst();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("nothing matching /" + regex + "/ within " + timeout + " in the log of "
                        + report.get());
            }
            Thread.sleep(100);
        }
    }
}
