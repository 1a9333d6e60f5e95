package net.gatehouse.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A search of the message log: entries whose sender, recipient and client contain the given texts
 * (ignoring case; empty matches anything), whose verdict is the one given (exactly, ignoring case:
 * {@code reject} does not find {@code would_reject}; empty: any), written by {@code node} (exactly; empty: any
 * node), in {@code [from, to)}, newest first, at most {@code limit}. Built from {@link #newest(int)} and narrowed with the other methods:
 * {@code LogQuery.newest(100).recipient("alice@").from(yesterday)}.
 */
public record LogQuery(String sender, String recipient, String client, String verdict, String node,
                       Instant from, Instant to, int limit) {

    /** Most entries one search returns. */
    public static final int MAX_LIMIT = 10_000;

    /** Beyond any entry: epoch milliseconds have to fit in a long. */
    private static final Instant END_OF_TIME = Instant.ofEpochMilli(Long.MAX_VALUE);

    public LogQuery {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT + ", got " + limit);
        }
    }

    /** The newest {@code limit} entries, of any kind. */
    public static LogQuery newest(int limit) {
        return new LogQuery("", "", "", "", "", Instant.EPOCH, END_OF_TIME, limit);
    }

    public LogQuery sender(String text) {
        return new LogQuery(text, recipient, client, verdict, node, from, to, limit);
    }

    public LogQuery recipient(String text) {
        return new LogQuery(sender, text, client, verdict, node, from, to, limit);
    }

    public LogQuery client(String text) {
        return new LogQuery(sender, recipient, text, verdict, node, from, to, limit);
    }

    public LogQuery verdict(String text) {
        return new LogQuery(sender, recipient, client, text, node, from, to, limit);
    }

    /** Entries written by the node named {@code name} (exactly); empty: by any node. */
    public LogQuery node(String name) {
        return new LogQuery(sender, recipient, client, verdict, name, from, to, limit);
    }

    /** Entries at or after {@code instant}. */
    public LogQuery from(Instant instant) {
        return new LogQuery(sender, recipient, client, verdict, node, instant, to, limit);
    }

    /** Entries before {@code instant}. */
    public LogQuery to(Instant instant) {
        return new LogQuery(sender, recipient, client, verdict, node, from, instant, limit);
    }
}
