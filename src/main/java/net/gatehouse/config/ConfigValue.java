package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * One value of the configuration file, with its key path ({@code policy.domains[0].backend[1]})
 * and its place in the file, read into a typed value. Every refusal is a {@link ConfigException}
 * that names the path and the line, so the readers in {@link ConfigLoader} never build messages
 * about where a value is, only about what is wrong with it.
 *
 * <p>Scalars are read from their text, not from the type YAML guessed for them: {@code 100} and
 * {@code "100"} are the same number, and {@code 5m} is a duration whatever a YAML schema thinks.
 * An empty value ({@code key:} or {@code key: null}) is refused everywhere: leave the key out to
 * get its default.
 */
final class ConfigValue {

    /** Reads a typed value, or refuses it. */
    @FunctionalInterface
    interface Reader<T> {
        T read(ConfigValue value) throws ConfigException;
    }

    private final String path;
    private final Node node;

    ConfigValue(String path, Node node) {
        this.path = path;
        this.node = node;
    }

    /** The full key path of this value, as error messages show it. */
    String path() {
        return path;
    }

    /** A refusal of this value, placed at its line in the file. */
    ConfigException error(String reason) {
        return at(path, reason, node);
    }

    /** A refusal for {@code key}, placed where {@code node} starts in the file ({@code node} may be null). */
    static ConfigException at(String key, String reason, Node node) {
        Mark mark = node == null ? null : node.getStartMark().orElse(null);
        return mark == null
                ? new ConfigException(key, reason)
                : new ConfigException(key, reason, mark.getLine() + 1, mark.getColumn() + 1, null);
    }

    /** The text of a scalar; {@code expected} says what was wanted when this is not one. */
    String text(String expected) throws ConfigException {
        if (node instanceof ScalarNode scalar && !Tag.NULL.equals(scalar.getTag())) {
            return scalar.getValue();
        }
        throw error("expected " + expected + ", got " + describe());
    }

    /** Any single value, as text. */
    String string() throws ConfigException {
        return text("a single value");
    }

    /**
     * The scalar text read by {@code parser}, whose {@link IllegalArgumentException} message is the
     * reason of the refusal.
     *
     * @param expected what a right value is, for when this one is not even a scalar ("a domain name")
     */
    <T> T parse(String expected, Function<String, T> parser) throws ConfigException {
        String text = text(expected);
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    /**
     * {@code true}, {@code false}, {@code yes} or {@code no}, in any case. YAML 1.2 (which SnakeYAML
     * Engine implements) reads yes/no as strings, but the seed settings are yes/no questions and
     * administrators write them that way.
     */
    boolean bool() throws ConfigException {
        return parse("true or false", text -> switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "yes" -> true;
            case "false", "no" -> false;
            default -> throw new IllegalArgumentException("expected true or false, got " + quote(text));
        });
    }

    /** A decimal whole number from {@code min} to {@code max}. */
    int wholeNumber(int min, int max) throws ConfigException {
        String text = text("a whole number");
        if (!text.matches("[+-]?[0-9]+")) {
            throw error("expected a whole number, got " + quote(text));
        }
        long number;
        try {
            number = Long.parseLong(text);
        } catch (NumberFormatException e) {
            number = text.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (number >= min && number <= max) {
            return (int) number;
        }
        String limit;
        if (max != Integer.MAX_VALUE) {
            limit = "must be from " + min + " to " + max;
        } else {
            // no upper limit of ours, only what an int holds
            limit = number < min ? "must be at least " + min : "is too large";
        }
        throw error(limit + ", got " + text);
    }

    /** A whole number of 1 or more. */
    int positiveNumber() throws ConfigException {
        return wholeNumber(1, Integer.MAX_VALUE);
    }

    /** A duration of zero or more, see {@link Durations}. */
    Duration duration() throws ConfigException {
        return parse("a duration such as 30s or 5m", Durations::parse);
    }

    /** A duration longer than zero: timeouts and intervals, where zero would mean "fail at once". */
    Duration positiveDuration() throws ConfigException {
        Duration duration = duration();
        if (duration.isZero()) {
            throw error("must be longer than 0s");
        }
        return duration;
    }

    /** A size in bytes of zero or more, see {@link Sizes}. */
    long size() throws ConfigException {
        return parse("a size such as 50MiB", Sizes::parse);
    }

    /** A size of at least one byte. */
    long positiveSize() throws ConfigException {
        long size = size();
        if (size == 0) {
            throw error("must be larger than 0");
        }
        return size;
    }

    /** A file system path; a relative one is resolved against {@code baseDir}. */
    Path path(Path baseDir) throws ConfigException {
        return parse("a file or directory name", text -> {
            try {
                return baseDir.resolve(text).normalize();
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException(quote(text) + " is not a valid path: " + e.getReason());
            }
        });
    }

    /** A domain name, normalised as {@link DomainName} does. */
    String domainName() throws ConfigException {
        return parse("a domain name", DomainName::normalize);
    }

    /** As {@link #distinctList}, for addresses to listen on or to connect to, of which one at least is needed. */
    <T> List<T> addresses(Reader<T> address) throws ConfigException {
        List<T> addresses = distinctList(address);
        if (addresses.isEmpty()) {
            throw error("needs at least one address");
        }
        return addresses;
    }

    /**
     * The elements of a list, each read by {@code element} at its own path ({@code key[2]}).
     * A single value where a list is expected stands for a list of one, at the key's own path.
     */
    <T> List<T> list(Reader<T> element) throws ConfigException {
        List<T> values = new ArrayList<>();
        for (ConfigValue item : items()) {
            values.add(element.read(item));
        }
        return List.copyOf(values);
    }

    /** As {@link #list}, refusing an element equal to an earlier one ("duplicate of smtp.listen[0]"). */
    <T> List<T> distinctList(Reader<T> element) throws ConfigException {
        List<ConfigValue> items = items();
        List<T> values = new ArrayList<>();
        for (ConfigValue item : items) {
            T value = element.read(item);
            int earlier = values.indexOf(value);
            if (earlier >= 0) {
                throw item.error("duplicate of " + items.get(earlier).path());
            }
            values.add(value);
        }
        return List.copyOf(values);
    }

    private List<ConfigValue> items() throws ConfigException {
        if (node instanceof SequenceNode sequence) {
            List<ConfigValue> items = new ArrayList<>();
            for (Node item : sequence.getValue()) {
                items.add(new ConfigValue(path + "[" + items.size() + "]", item));
            }
            return items;
        }
        if (node instanceof ScalarNode scalar && !Tag.NULL.equals(scalar.getTag())) {
            return List.of(this);
        }
        throw error("expected a list, got " + describe());
    }

    /** This mapping read by {@code reader}; keys the reader did not ask for are then refused. */
    <T> T section(ConfigSection.Reader<T> reader) throws ConfigException {
        if (node instanceof MappingNode mapping) {
            return ConfigSection.of(path, mapping).read(reader);
        }
        throw error("expected a mapping (key: value lines or {key: value}), got " + describe());
    }

    /** What this value is, for "expected X, got Y". */
    private String describe() {
        return switch (node) {
            case ScalarNode scalar when Tag.NULL.equals(scalar.getTag()) -> "an empty value";
            case ScalarNode scalar -> quote(scalar.getValue());
            case SequenceNode sequence -> "a list";
            case MappingNode mapping -> "a mapping";
            default -> "a value of another kind";
        };
    }
}
