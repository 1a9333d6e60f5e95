package net.gatehouse.config;

import java.util.OptionalInt;

/**
 * A configuration file that cannot be used, and why. The message reads {@code <key>: <reason>},
 * for example {@code smtp.max_recipients: expected a whole number, got "lots" (line 4, column 19)}:
 * the key is the full path of the setting ({@code policy.domains[1].backend[0]}), empty for
 * problems of the whole file (missing, unreadable, not YAML), and the place in the file follows
 * when it is known.
 */
public final class ConfigException extends Exception {

    // Long values are shortened so that one bad line of a million-address list stays one log line.
    private static final int MAX_QUOTED_LENGTH = 60;

    private final String key;
    private final String reason;
    private final int line;      // 1-based; 0 when unknown
    private final int column;    // 1-based; 0 when unknown

    /**
     * @param key    full path of the setting, or empty for the whole file
     * @param reason what is wrong, in words an administrator acts on
     */
    public ConfigException(String key, String reason) {
        this(key, reason, 0, 0, null);
    }

    ConfigException(String key, String reason, int line, int column, Throwable cause) {
        super(message(key, reason, line, column), cause);
        this.key = key;
        this.reason = reason;
        this.line = line;
        this.column = column;
    }

    /** The full path of the setting ({@code smtp.tls.cert}); empty for whole-file problems. */
    public String key() {
        return key;
    }

    /** What is wrong, without the key or the place in the file. */
    public String reason() {
        return reason;
    }

    /** The line of the file (1-based) where the problem is, when known. */
    public OptionalInt line() {
        return line > 0 ? OptionalInt.of(line) : OptionalInt.empty();
    }

    private static String message(String key, String reason, int line, int column) {
        StringBuilder message = new StringBuilder();
        if (!key.isEmpty()) {
            message.append(key).append(": ");
        }
        message.append(reason);
        if (line > 0) {
            message.append(" (line ").append(line);
            if (column > 0) {
                message.append(", column ").append(column);
            }
            message.append(')');
        }
        return message.toString();
    }

    /**
     * A value from the file as it appears in an error message: in double quotes, with quotes,
     * backslashes and control characters escaped (the text may be anything), and shortened.
     */
    static String quote(String value) {
        String shown = value.length() > MAX_QUOTED_LENGTH
                ? value.substring(0, MAX_QUOTED_LENGTH - 3) + "..."
                : value;
        StringBuilder quoted = new StringBuilder(shown.length() + 2).append('"');
        shown.codePoints().forEach(c -> {
            if (c == '"' || c == '\\') {
                quoted.append('\\').appendCodePoint(c);
            } else if (Character.isISOControl(c)) {
                quoted.append(String.format("\\u%04x", c));
            } else {
                quoted.appendCodePoint(c);
            }
        });
        return quoted.append('"').toString();
    }
}
