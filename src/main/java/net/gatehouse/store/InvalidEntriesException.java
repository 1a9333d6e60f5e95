package net.gatehouse.store;

import java.util.List;

/**
 * Entries of a valid list that were refused, with why; nothing was changed. The message says how
 * many there were and lists the first of them, each naming its line ({@code line 12: "bob@other.example"
 * is not an address of example.com}) or, outside a file import, the entry.
 */
public final class InvalidEntriesException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;
    /** Problems kept and shown; the count still covers all of them. */
    static final int MAX_PROBLEMS = 20;

    private final List<String> problems;
    private final long count;

    InvalidEntriesException(String domain, List<String> problems, long count) {
        super(message(domain, problems, count));
        this.problems = List.copyOf(problems);
        this.count = count;
    }

    /** The first problems (at most {@value #MAX_PROBLEMS}), one line each. */
    public List<String> problems() {
        return problems;
    }

    /** How many entries were refused, including those beyond {@link #problems()}. */
    public long count() {
        return count;
    }

    private static String message(String domain, List<String> problems, long count) {
        StringBuilder message = new StringBuilder()
                .append(count == 1 ? "1 invalid entry" : count + " invalid entries")
                .append(" for the valid list of ").append(domain).append(", nothing changed");
        problems.forEach(problem -> message.append("\n  ").append(problem));
        if (count > problems.size()) {
            message.append("\n  ... and ").append(count - problems.size()).append(" more");
        }
        return message.toString();
    }
}
