package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in the configuration file and on the command line: a whole number and one
 * unit, {@code ms}, {@code s}, {@code m}, {@code h} or {@code d} ({@code 500ms}, {@code 30s},
 * {@code 5m}, {@code 1h}, {@code 5d}); a day is 24 hours. A number without a unit is refused
 * rather than guessed: Postfix reads a bare {@code 300} as seconds, other tools as milliseconds.
 */
public final class Durations {

    private record Unit(String suffix, ChronoUnit unit) {
    }

    // Largest first: format() writes the largest unit that divides the value exactly.
    private static final List<Unit> UNITS = List.of(
            new Unit("d", ChronoUnit.DAYS),
            new Unit("h", ChronoUnit.HOURS),
            new Unit("m", ChronoUnit.MINUTES),
            new Unit("s", ChronoUnit.SECONDS),
            new Unit("ms", ChronoUnit.MILLIS));

    private static final Pattern FORM = Pattern.compile("(-?)([0-9]+)\\s*([A-Za-z]*)");

    private Durations() {
    }

    /**
     * Parses {@code 30s}, {@code 5m} and the like (blanks between number and unit allowed).
     *
     * @return a duration of zero or more, whose {@link Duration#toMillis()} does not overflow
     * @throws IllegalArgumentException with a message that quotes the text and says how to fix it
     */
    public static Duration parse(String text) {
        Matcher matcher = FORM.matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("expected a duration such as 30s or 5m, got " + quote(text));
        }
        if (!matcher.group(1).isEmpty()) {
            throw new IllegalArgumentException("must not be negative, got " + quote(text));
        }
        String digits = matcher.group(2);
        String suffix = matcher.group(3);
        if (suffix.isEmpty()) {
            throw new IllegalArgumentException("missing unit in " + quote(text) + ": write for example "
                    + digits + "s or " + digits + "m (units: ms, s, m, h, d)");
        }
        ChronoUnit unit = UNITS.stream()
                .filter(u -> u.suffix().equals(suffix))
                .map(Unit::unit)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown unit " + quote(suffix) + " in "
                        + quote(text) + "; use ms, s, m, h or d"));
        try {
            Duration duration = Duration.of(Long.parseLong(digits), unit);
            duration.toMillis(); // users of a duration work in milliseconds; it must fit
            return duration;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(quote(text) + " is too long");
        }
    }

    /**
     * Writes a duration the way {@link #parse} reads it, in the largest unit that keeps it exact:
     * {@code 5m} rather than {@code 300s}, {@code 90s} rather than {@code 1m30s}; zero is {@code 0s}.
     *
     * @throws IllegalArgumentException for a negative duration or one with a fraction of a millisecond
     */
    public static String format(Duration duration) {
        if (duration.isNegative() || duration.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException("not a whole, non-negative number of milliseconds: " + duration);
        }
        if (duration.isZero()) {
            return "0s";
        }
        for (Unit unit : UNITS) {
            Duration one = unit.unit().getDuration();
            if (duration.toMillis() % one.toMillis() == 0) {
                return duration.dividedBy(one) + unit.suffix();
            }
        }
        throw new AssertionError("every whole number of milliseconds is a multiple of 1ms");
    }
}
