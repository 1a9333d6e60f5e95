package net.gatehouse.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.gatehouse.log.LogEntry;

/**
 * The message log's reading side: the console's and the API's searches and the dashboard's counts.
 * Apart from {@link MessageLog}'s writer because the two share nothing but the table: reads run on
 * the caller's thread and never touch the write queue.
 */
final class MessageLogSearch {

    private final Database database;

    MessageLogSearch(Database database) {
        this.database = database;
    }

    /**
     * Entries matching the query, newest first.
     *
     * @throws StoreException if the store fails
     */
    List<LoggedEntry> entries(LogQuery query) {
        StringBuilder sql = new StringBuilder("SELECT ").append(MessageLog.COLUMNS)
                .append(", node FROM message_log WHERE at >= ? AND at < ?");
        List<String> patterns = new ArrayList<>(4);
        contains(sql, patterns, "sender", query.sender());
        contains(sql, patterns, "recipient", query.recipient());
        contains(sql, patterns, "client", query.client());
        if (!query.verdict().isEmpty()) {
            // exactly: a search for reject must not find would_reject (observe mode, SPEC §9)
            sql.append(" AND lower(verdict) = ?");
            patterns.add(query.verdict().strip().toLowerCase(Locale.ROOT));
        }
        if (!query.node().isEmpty()) {
            sql.append(" AND node = ?");
            patterns.add(query.node());
        }
        sql.append(" ORDER BY at DESC, id DESC LIMIT ?");
        return database.read("searching the message log", connection -> {
            List<LoggedEntry> found = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                int parameter = 1;
                select.setLong(parameter++, MessageLog.millis(query.from()));
                select.setLong(parameter++, MessageLog.millis(query.to()));
                for (String pattern : patterns) {
                    select.setString(parameter++, pattern);
                }
                select.setInt(parameter, query.limit());
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        found.add(new LoggedEntry(new LogEntry(Instant.ofEpochMilli(rows.getLong(1)),
                                LogEntry.Kind.of(rows.getString(2)), rows.getString(3), rows.getString(4),
                                rows.getString(5), rows.getString(6), rows.getString(7), rows.getString(8),
                                rows.getString(9), rows.getString(10)), rows.getString(11)));
                    }
                }
            }
            return List.copyOf(found);
        });
    }

    /**
     * RCPT decisions in {@code [from, to)} of the node {@code node} (empty: of every node) counted
     * per minute, verdict and reason, oldest first. Served by the index on {@code at}; a day of a busy gateway is a few hundred thousand rows to
     * count, so the dashboard asks for hours, not weeks.
     *
     * @throws StoreException if the store fails
     */
    List<MessageLog.MinuteCount> countsByMinute(Instant from, Instant to, String node) {
        String sql = "SELECT (at / 60000) * 60000 AS minute, verdict, reason, count(*) FROM message_log "
                + "WHERE kind = 'rcpt' AND at >= ? AND at < ?" + (node.isEmpty() ? "" : " AND node = ?") + " GROUP BY (at / 60000) * 60000, verdict, reason "
                + "ORDER BY minute";
        return database.read("counting the message log", connection -> {
            List<MessageLog.MinuteCount> counts = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                select.setLong(1, MessageLog.millis(from));
                select.setLong(2, MessageLog.millis(to));
                if (!node.isEmpty()) {
                    select.setString(3, node);
                }
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        counts.add(new MessageLog.MinuteCount(Instant.ofEpochMilli(rows.getLong(1)), rows.getString(2),
                                rows.getString(3), rows.getLong(4)));
                    }
                }
            }
            return List.copyOf(counts);
        });
    }

    // lower() on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not (for ASCII).
    private static void contains(StringBuilder sql, List<String> patterns, String column, String text) {
        if (!text.isEmpty()) {
            sql.append(" AND lower(").append(column).append(") LIKE ?").append(LikePattern.ESCAPE_CLAUSE);
            patterns.add(LikePattern.containing(text.toLowerCase(Locale.ROOT)));
        }
    }
}
