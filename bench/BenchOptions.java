import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The command line of a benchmark tool: a mode, then {@code --name value} pairs. Any mistake prints
 * the tool's usage and exits 2. Shared by the tools of this directory, which the source launcher
 * (JDK 22+, JEP 458) finds beside the file it runs.
 */
final class BenchOptions {

    /** One mode of a tool, run with its options; returns the exit status. */
    interface Mode {
        int run(BenchOptions options) throws Exception;
    }

    private final Map<String, String> values;
    private final IntConsumer usage;

    private BenchOptions(Map<String, String> values, IntConsumer usage) {
        this.values = values;
        this.usage = usage;
    }

    /** Runs the mode named by {@code args[0]} and exits with its status; {@code usage} prints and exits. */
    static void main(String[] args, IntConsumer usage, Map<String, Mode> modes) throws Exception {
        if (args.length == 0 || args[0].equals("--help")) {
            usage.accept(0);
        }
        BenchOptions options = parse(Arrays.copyOfRange(args, 1, args.length), usage);
        Mode mode = modes.get(args[0]);
        if (mode == null) {
            System.err.println("unknown mode: " + args[0]);
            usage.accept(2);
        }
        System.exit(mode.run(options));
    }

    private static BenchOptions parse(String[] args, IntConsumer usage) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                System.err.println("expected --option value, got: " + args[i]);
                usage.accept(2);
            }
            values.put(args[i].substring(2), args[++i]);
        }
        return new BenchOptions(values, usage);
    }

    /** A misspelt option must not silently leave a default in place. */
    BenchOptions allowOnly(String... names) {
        for (String name : values.keySet()) {
            if (!Arrays.asList(names).contains(name)) {
                System.err.println("unknown option: --" + name);
                usage.accept(2);
            }
        }
        return this;
    }

    /** The option's whole number; required when {@code fallback} is negative. */
    int integer(String name, int fallback) {
        String value = values.get(name);
        if (value == null) {
            if (fallback < 0) {
                System.err.println("--" + name + " is required");
                usage.accept(2);
            }
            return fallback;
        }
        return Integer.parseInt(value);
    }

    String required(String name) {
        String value = values.get(name);
        if (value == null) {
            System.err.println("--" + name + " is required");
            usage.accept(2);
        }
        return value;
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** Whether the option was given. */
    boolean has(String name) {
        return values.containsKey(name);
    }

    /** Fails the tool with its usage. */
    void refuse(String message) {
        System.err.println(message);
        usage.accept(2);
    }
}
