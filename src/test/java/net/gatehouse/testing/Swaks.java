package net.gatehouse.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * swaks, the SMTP test tool administrators use, run against a server on 127.0.0.1; its
 * transcript read back as the commands it sent and the replies it got.
 *
 * <pre>{@code
 * Swaks.Transcript t = Swaks.to(port, "--to", "alice@example.test", "--quit-after", "RCPT");
 * assertThat(t.replyTo("RCPT TO:<alice@example.test>")).isEqualTo("250 2.1.5");
 * }</pre>
 */
public final class Swaks {

    // swaks marks what it sent with "->" (or "~>" inside TLS), what it got with "<-", "<~",
    // and a reply it takes for an error with "<**" or "<~*"
    private static final Pattern SENT = Pattern.compile("^ ?[-~]> (.*)$");
    private static final Pattern RECEIVED = Pattern.compile("^<(?:-|~|\\*\\*|~\\*) +(\\d{3})([ -])(.*)$");
    private static final Pattern ENHANCED = Pattern.compile("^(\\d\\.\\d{1,3}\\.\\d{1,3})\\b");

    private Swaks() {
    }

    /** One SMTP reply as swaks printed it. */
    public record Reply(int code, String text) {

        /** {@code 250 2.1.5}: the code and the enhanced status code, if any. */
        public String codes() {
            Matcher enhanced = ENHANCED.matcher(text);
            return code + (enhanced.find() ? " " + enhanced.group(1) : "");
        }
    }

    /** What swaks printed, and how it exited (0: the whole transaction succeeded). */
    public record Transcript(List<String> command, int exitCode, String output) {

        /** The final reply to the first command sent that starts with {@code command}, as {@link Reply#codes()}. */
        public String replyTo(String command) {
            List<String> lines = output.lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                Matcher sent = SENT.matcher(lines.get(i));
                if (sent.matches() && sent.group(1).startsWith(command)) {
                    for (int j = i + 1; j < lines.size(); j++) {
                        Matcher received = RECEIVED.matcher(lines.get(j));
                        if (received.matches() && received.group(2).equals(" ")) {
                            return new Reply(Integer.parseInt(received.group(1)), received.group(3)).codes();
                        }
                    }
                }
            }
            throw new AssertionError("swaks sent no " + command + " or got no reply to it:\n" + this);
        }

        /** Every final reply, in order. */
        public List<Reply> replies() {
            List<Reply> replies = new ArrayList<>();
            for (String line : output.lines().toList()) {
                Matcher received = RECEIVED.matcher(line);
                if (received.matches() && received.group(2).equals(" ")) {
                    replies.add(new Reply(Integer.parseInt(received.group(1)), received.group(3)));
                }
            }
            return replies;
        }

        /** The lines the server sent (multi-line replies included), in order. */
        public List<String> receivedLines() {
            return output.lines().map(RECEIVED::matcher).filter(Matcher::matches)
                    .map(m -> m.group(1) + m.group(2) + m.group(3)).toList();
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " (exit " + exitCode + "):\n" + output;
        }
    }

    /** {@code swaks --server 127.0.0.1:PORT --helo client.test --from sender@elsewhere.test ARGS...}; later args win. */
    public static Transcript to(int port, String... args) {
        List<String> command = new ArrayList<>(List.of(ExternalCommand.require("swaks", "swaks"),
                "--server", "127.0.0.1:" + port, "--helo", "client.test", "--from", "sender@elsewhere.test",
                "--timeout", "20"));
        command.addAll(List.of(args));
        ExternalCommand.Result result = ExternalCommand.run(Duration.ofSeconds(60), command);
        return new Transcript(List.copyOf(command), result.exitCode(), result.output());
    }
}
