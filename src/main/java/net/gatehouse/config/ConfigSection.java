package net.gatehouse.config;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * A mapping of the configuration file while it is read ({@code smtp}, {@code policy.domains[0]}).
 * It hands out its values by key and remembers every key asked for, present or not; when the
 * reader is done, any other key in the file is refused as unknown, with the nearest valid key as
 * a suggestion. So the keys a section accepts are exactly the keys its reader reads: there is no
 * second list to keep in step.
 *
 * <p>Used by one reader on one thread, once, through {@link #read}.
 */
final class ConfigSection {

    /** Reads a whole section into a typed value. */
    @FunctionalInterface
    interface Reader<T> {
        T read(ConfigSection section) throws ConfigException;
    }

    private record Entry(Node key, ConfigValue value) {
    }

    private final String path;
    private final Node node; // null for a section the file leaves out
    private final Map<String, Entry> entries;
    private final Set<String> asked = new LinkedHashSet<>();

    private ConfigSection(String path, Node node, Map<String, Entry> entries) {
        this.path = path;
        this.node = node;
        this.entries = entries;
    }

    /**
     * The section of a mapping in the file. SnakeYAML's composer keeps duplicate keys (only its
     * constructor, which builds plain maps and is not used here, checks them), so they are refused
     * here, with the lines of both.
     */
    static ConfigSection of(String path, MappingNode mapping) throws ConfigException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                throw ConfigValue.at(path, "keys must be plain names", tuple.getKeyNode());
            }
            String key = keyNode.getValue();
            String keyPath = childPath(path, key);
            Entry earlier = entries.putIfAbsent(key, new Entry(keyNode, new ConfigValue(keyPath, tuple.getValueNode())));
            if (earlier != null) {
                String first = earlier.key().getStartMark().map(m -> " (first at line " + (m.getLine() + 1) + ")").orElse("");
                throw ConfigValue.at(keyPath, "duplicate key" + first, keyNode);
            }
        }
        return new ConfigSection(path, mapping, entries);
    }

    /** A section the file leaves out: every key takes its default. */
    static ConfigSection absent(String path) {
        return new ConfigSection(path, null, Map.of());
    }

    /** The full key path of this section ({@code policy.domains[0]}); empty for the whole file. */
    String path() {
        return path;
    }

    /** Applies {@code reader} to this section, then refuses the keys it did not ask for. */
    <T> T read(Reader<T> reader) throws ConfigException {
        T result = reader.read(this);
        rejectUnknownKeys();
        return result;
    }

    /** The value of {@code key}, if the file has it. */
    Optional<ConfigValue> value(String key) {
        asked.add(key);
        Entry entry = entries.get(key);
        return entry == null ? Optional.empty() : Optional.of(entry.value());
    }

    /** The value of {@code key} read by {@code reader}, if the file has it. */
    <T> Optional<T> optional(String key, ConfigValue.Reader<T> reader) throws ConfigException {
        Optional<ConfigValue> value = value(key);
        return value.isEmpty() ? Optional.empty() : Optional.of(reader.read(value.get()));
    }

    /** The value of {@code key} read by {@code reader}, or {@code defaultValue} if the file leaves it out. */
    <T> T get(String key, ConfigValue.Reader<T> reader, T defaultValue) throws ConfigException {
        return optional(key, reader).orElse(defaultValue);
    }

    /** The value of {@code key} read by {@code reader}; refused if the file leaves it out. */
    <T> T required(String key, ConfigValue.Reader<T> reader) throws ConfigException {
        Optional<ConfigValue> value = value(key);
        if (value.isEmpty()) {
            throw ConfigValue.at(childPath(path, key), "required, but missing", node);
        }
        return reader.read(value.get());
    }

    /** The sub-section {@code key}; if the file leaves it out, read as empty, so every key takes its default. */
    <T> T section(String key, Reader<T> reader) throws ConfigException {
        Optional<ConfigValue> value = value(key);
        return value.isPresent() ? value.get().section(reader) : absent(childPath(path, key)).read(reader);
    }

    /** The sub-section {@code key}, if the file has it. */
    <T> Optional<T> optionalSection(String key, Reader<T> reader) throws ConfigException {
        return optional(key, value -> value.section(reader));
    }

    /** A refusal about {@code key} as a whole (a value in conflict with another), at its line if present. */
    ConfigException error(String key, String reason) {
        Entry entry = entries.get(key);
        return ConfigValue.at(childPath(path, key), reason, entry == null ? node : entry.key());
    }

    private void rejectUnknownKeys() throws ConfigException {
        for (Map.Entry<String, Entry> entry : entries.entrySet()) {
            String key = entry.getKey();
            if (asked.contains(key)) {
                continue;
            }
            String reason = closest(key)
                    .map(known -> "unknown key (did you mean " + known + "?)")
                    .orElse("unknown key; valid keys here: " + String.join(", ", asked));
            throw ConfigValue.at(childPath(path, key), reason, entry.getValue().key());
        }
    }

    /** The asked-for key nearest to a misspelt one, if it is near enough to be what was meant. */
    private Optional<String> closest(String key) {
        String typed = comparable(key);
        // one slip in a short word, two in a longer one; more and the suggestion is a guess
        int tolerance = typed.length() <= 4 ? 1 : 2;
        return asked.stream()
                .filter(known -> editDistance(typed, comparable(known)) <= tolerance)
                .min(Comparator.comparingInt(known -> editDistance(typed, comparable(known))));
    }

    private static String comparable(String key) {
        return key.toLowerCase(Locale.ROOT).replace('-', '_');
    }

    /**
     * Edit distance counting insertions, deletions, substitutions and swaps of two neighbours as
     * one slip each (optimal string alignment): "smpt" is one slip from "smtp".
     */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String childPath(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
