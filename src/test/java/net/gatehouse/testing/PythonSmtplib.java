package net.gatehouse.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Python's smtplib as a second SMTP client implementation: runs {@code interop/smtplib_client.py}
 * (see its header for the options) and reads back what it printed, one {@code key value} line
 * per reply.
 */
public final class PythonSmtplib {

    private static final Path SCRIPT = Path.of("interop", "smtplib_client.py");

    private PythonSmtplib() {
    }

    /** What the script printed and how it exited. */
    public record Session(List<String> command, int exitCode, String output) {

        /** The values printed under {@code key}, in order. */
        public List<String> values(String key) {
            return output.lines().filter(line -> line.startsWith(key + " "))
                    .map(line -> line.substring(key.length() + 1)).toList();
        }

        /** The one value printed under {@code key}. */
        public String value(String key) {
            List<String> values = values(key);
            if (values.size() != 1) {
                throw new AssertionError("expected one '" + key + "' line from smtplib_client.py:\n" + this);
            }
            return values.getFirst();
        }

        /** {@code 250 2.1.5} from a value such as {@code 250 2.1.5 Ok}, or {@code alice@x 250 2.1.5 Ok} after the address. */
        public static String codes(String value) {
            String[] words = value.split(" ");
            int first = words[0].matches("\\d{3}") ? 0 : 1;
            return words[first] + (words.length > first + 1 && words[first + 1].matches("\\d\\.\\d+\\.\\d+")
                    ? " " + words[first + 1] : "");
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " (exit " + exitCode + "):\n" + output;
        }
    }

    /** {@code python3 interop/smtplib_client.py --port PORT ARGS...}. */
    public static Session run(int port, String... args) {
        String python = ExternalCommand.require("python3", "python3");
        if (!Files.exists(SCRIPT)) {
            throw new IllegalStateException(SCRIPT.toAbsolutePath() + " is missing: run the tests from the project directory");
        }
        List<String> command = new ArrayList<>(List.of(python, SCRIPT.toString(), "--port", String.valueOf(port)));
        command.addAll(List.of(args));
        ExternalCommand.Result result = ExternalCommand.run(Duration.ofSeconds(60), command);
        return new Session(List.copyOf(command), result.exitCode(), result.output());
    }
}
