package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes in bytes as written in the configuration file and on the command line: a whole number,
 * plain or followed by {@code B}, {@code KiB}, {@code MiB} or {@code GiB} (IEC 80000-13: powers
 * of 1024). {@code KB}, {@code MB}, {@code GB} and {@code K}, {@code M}, {@code G} are refused,
 * not guessed: they mean powers of 1000 to some readers and of 1024 to others, and a message size
 * limit that is 5% off is a limit nobody can reason about.
 */
public final class Sizes {

    private record Unit(String suffix, long bytes) {
    }

    // Largest first: format() writes the largest unit that divides the value exactly.
    private static final List<Unit> UNITS = List.of(
            new Unit("GiB", 1L << 30),
            new Unit("MiB", 1L << 20),
            new Unit("KiB", 1L << 10),
            new Unit("B", 1L));

    private static final Pattern FORM = Pattern.compile("(-?)([0-9]+)\\s*([A-Za-z]*)");

    private Sizes() {
    }

    /**
     * Parses {@code 1048576}, {@code 512KiB}, {@code 50MiB}, {@code 2GiB} (blanks between number
     * and unit allowed).
     *
     * @return a size of zero or more bytes
     * @throws IllegalArgumentException with a message that quotes the text and says how to fix it
     */
    public static long parse(String text) {
        Matcher matcher = FORM.matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("expected a size such as 50MiB or 1048576, got " + quote(text));
        }
        if (!matcher.group(1).isEmpty()) {
            throw new IllegalArgumentException("must not be negative, got " + quote(text));
        }
        String digits = matcher.group(2);
        String suffix = matcher.group(3);
        long multiplier = suffix.isEmpty() ? 1 : UNITS.stream()
                .filter(u -> u.suffix().equals(suffix))
                .mapToLong(Unit::bytes)
                .findFirst()
                .orElseThrow(() -> unknownUnit(text, digits, suffix));
        try {
            return Math.multiplyExact(Long.parseLong(digits), multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(quote(text) + " is too large");
        }
    }

    private static IllegalArgumentException unknownUnit(String text, String digits, String suffix) {
        String binary = switch (suffix.toLowerCase(Locale.ROOT)) {
            case "k", "kb", "kib" -> "KiB";
            case "m", "mb", "mib" -> "MiB";
            case "g", "gb", "gib" -> "GiB";
            default -> null;
        };
        String units = "units: B, KiB, MiB, GiB";
        return new IllegalArgumentException(binary == null
                ? "unknown unit " + quote(suffix) + " in " + quote(text) + " (" + units + ")"
                : "unit " + quote(suffix) + " in " + quote(text) + " is ambiguous: write " + digits + binary
                        + " (" + units + "; 1 KiB = 1024 bytes)");
    }

    /**
     * Writes a size the way {@link #parse} reads it, in the largest unit that keeps it exact:
     * {@code 50MiB}, {@code 1536KiB}, {@code 1000B}; zero is {@code 0B}.
     *
     * @throws IllegalArgumentException for a negative size
     */
    public static String format(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size: " + bytes);
        }
        if (bytes == 0) {
            return "0B";
        }
        for (Unit unit : UNITS) {
            if (bytes % unit.bytes() == 0) {
                return bytes / unit.bytes() + unit.suffix();
            }
        }
        throw new AssertionError("every size is a multiple of 1B");
    }
}
