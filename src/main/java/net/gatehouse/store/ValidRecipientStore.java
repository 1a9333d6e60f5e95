package net.gatehouse.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The valid lists in the store (SPEC §3 "Valid list"): per protected domain, the addresses that
 * exist, and {@code @domain} entries that accept the whole domain. Entries are validated and kept
 * in their stored form ({@link ValidRecipientEntry}); domains are given in any form and stored as
 * ASCII, lower case.
 *
 * <p>Every change happens in one transaction that also bumps the list's revision (and the revision
 * of all lists), so that the directory of every node notices it by polling {@link #revision()},
 * and writes the change's audit entry with its {@link Actor}: there is no change without its entry.
 * Changes are all or nothing: one invalid entry, and nothing is changed.
 *
 * <p>Nothing here is for the RCPT path: lookups are answered from memory by
 * {@code directory.ValidListDirectory}, which loads the lists from here.
 */
public final class ValidRecipientStore {

    /** Revision row bumped by a change to any list. */
    static final String REVISION = "valid_recipient";
    /** Revision rows per list: this prefix and the domain. */
    static final String DOMAIN_REVISION_PREFIX = "valid_recipient:";
    /** Most results {@link #search} returns. */
    public static final int MAX_SEARCH_RESULTS = 1000;

    // Entries per statement or batch on import: large enough that round trips don't matter, small
    // enough that a chunk is a small allocation.
    private static final int BATCH = 1000;
    // Rows fetched per round trip when streaming a list out of PostgreSQL.
    private static final int FETCH = 10_000;
    /** Entries named in an audit entry; the rest are counted. */
    private static final int AUDIT_NAMES = 20;
    private static final String INSERT =
            "INSERT INTO valid_recipient (domain, entry) VALUES (?, ?) ON CONFLICT DO NOTHING";

    private final Database database;

    public ValidRecipientStore(Database database) {
        this.database = database;
    }

    /**
     * What an import did.
     *
     * @param entries  entries read from the file (repeats included)
     * @param before   entries in the list before the import
     * @param after    entries in the list after it
     * @param replaced whether the list was replaced rather than added to
     */
    public record ImportResult(long entries, long before, long after, boolean replaced) {

        /** Entries in the list that were not there before (for an import that did not replace). */
        public long added() {
            return after - before;
        }
    }

    /**
     * Adds entries to a domain's list; entries already there are left alone. The change and its
     * audit entry ({@code recipients.add}, naming the new entries) are one transaction; adding
     * nothing new records nothing.
     *
     * @return how many entries were new
     * @throws IllegalArgumentException if the domain is not a valid domain name
     * @throws InvalidEntriesException  if an entry is invalid (then nothing is added)
     * @throws StoreException           if the store fails
     */
    public int add(String domain, Collection<String> entries, Actor actor, Instant at) {
        String listDomain = ValidRecipientEntry.domain(domain);
        Set<String> valid = validate(listDomain, entries);
        return database.write("adding " + valid.size() + " entries to the valid list of " + listDomain, connection -> {
            List<String> added = changeEach(connection, listDomain, valid, INSERT);
            if (!added.isEmpty()) {
                AuditLog.record(connection, at, actor, "recipients.add", listDomain, "", names(added));
            }
            return added.size();
        });
    }

    /**
     * Removes entries from a domain's list; entries that are not there are ignored. The change and
     * its audit entry ({@code recipients.remove}, naming the entries removed) are one transaction;
     * removing nothing records nothing.
     *
     * @return how many entries were removed
     * @throws IllegalArgumentException if the domain is not a valid domain name
     * @throws InvalidEntriesException  if an entry is invalid (then nothing is removed)
     * @throws StoreException           if the store fails
     */
    public int remove(String domain, Collection<String> entries, Actor actor, Instant at) {
        String listDomain = ValidRecipientEntry.domain(domain);
        Set<String> valid = validate(listDomain, entries);
        return database.write("removing " + valid.size() + " entries from the valid list of " + listDomain,
                connection -> {
                    List<String> removed = changeEach(connection, listDomain, valid,
                            "DELETE FROM valid_recipient WHERE domain = ? AND entry = ?");
                    if (!removed.isEmpty()) {
                        AuditLog.record(connection, at, actor, "recipients.remove", listDomain, names(removed), "");
                    }
                    return removed.size();
                });
    }

    /**
     * Imports a list file (format: one address per line, or CSV; see {@code docs/STORE.md}) into a
     * domain's list, in one transaction, streaming: the file is never held in memory. With
     * {@code replace}, the list becomes exactly the file's entries (only the entries missing from
     * the file are deleted, so replacing a list by a nearly identical one changes little); without,
     * they are added. On the embedded store, the import holds the write lock until it commits:
     * other writers, such as a running gateway's message log, wait for it.
     *
     * <p>All or nothing: if any line is invalid, the import reads on to report every problem (the
     * first {@value InvalidEntriesException#MAX_PROBLEMS} with their line numbers), then rolls
     * back.
     *
     * <p>The import and its audit entry ({@code recipients.import}, or {@code recipients.replace},
     * with the counts before and after) are one transaction.
     *
     * @param lines  the file's lines; an {@link java.io.UncheckedIOException} from it ends the import
     *               and rolls it back
     * @param source the file's name for the audit entry; empty if it has none (standard input, a
     *               request body)
     * @throws IllegalArgumentException if the domain is not a valid domain name
     * @throws InvalidEntriesException  if a line is invalid
     * @throws StoreException           if the store fails
     */
    public ImportResult importLines(String domain, Iterator<String> lines, boolean replace, String source,
                                    Actor actor, Instant at) {
        String listDomain = ValidRecipientEntry.domain(domain);
        return database.write("importing the valid list of " + listDomain, connection -> {
            long before = count(connection, listDomain);
            RecipientListFormat format = new RecipientListFormat();
            List<String> problems = new ArrayList<>();
            long problemCount = 0;
            long lineNumber = 0;
            long entries = 0;
            try (ImportWriter writer = new ImportWriter(connection, database.dialect(), listDomain)) {
                while (lines.hasNext()) {
                    String line = lines.next();
                    lineNumber++;
                    String entry;
                    try {
                        Optional<String> address = format.address(line);
                        if (address.isEmpty()) {
                            continue;
                        }
                        entry = ValidRecipientEntry.normalize(listDomain, address.get());
                    } catch (IllegalArgumentException invalid) {
                        if (problemCount++ < InvalidEntriesException.MAX_PROBLEMS) {
                            problems.add("line " + lineNumber + ": " + invalid.getMessage());
                        }
                        continue;
                    }
                    entries++;
                    if (problemCount > 0) {
                        continue; // it will all be rolled back: only look for more problems
                    }
                    writer.add(entry);
                }
                if (problemCount > 0) {
                    throw new InvalidEntriesException(listDomain, problems, problemCount);
                }
                writer.finish(replace);
            }
            bumpRevisions(connection, listDomain);
            ImportResult result = new ImportResult(entries, before, count(connection, listDomain), replace);
            AuditLog.record(connection, at, actor, replace ? "recipients.replace" : "recipients.import", listDomain,
                    entries(result.before()), entries(result.after()) + " after importing " + entries(result.entries())
                            + (source.isBlank() ? "" : " from " + printable(source)));
            return result;
        });
    }

    /**
     * Streams a domain's entries, in order, to {@code action}, inside one read transaction: the
     * list is never held in memory. {@code action} must not use the store.
     *
     * @throws StoreException if the store fails
     */
    public void forEachEntry(String domain, Consumer<String> action) {
        String listDomain = ValidRecipientEntry.domain(domain);
        database.read("reading the valid list of " + listDomain, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT entry FROM valid_recipient WHERE domain = ? ORDER BY entry")) {
                select.setFetchSize(FETCH);
                select.setString(1, listDomain);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        action.accept(rows.getString(1));
                    }
                }
            }
            return null;
        });
    }

    /** The number of entries in a domain's list. */
    public long count(String domain) {
        String listDomain = ValidRecipientEntry.domain(domain);
        return database.read("counting the valid list of " + listDomain, connection -> count(connection, listDomain));
    }

    /** The number of entries of every list that has any, by domain, in order of domain. */
    public Map<String, Long> counts() {
        return database.read("counting the valid lists", connection -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT domain, count(*) FROM valid_recipient GROUP BY domain ORDER BY domain");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getString(1), rows.getLong(2));
                }
            }
            return Collections.unmodifiableMap(counts);
        });
    }

    /**
     * Entries of a domain's list that contain {@code fragment} (ignoring case), in order.
     *
     * @param limit at most this many, and never more than {@value #MAX_SEARCH_RESULTS}
     */
    public List<String> search(String domain, String fragment, int limit) {
        String listDomain = ValidRecipientEntry.domain(domain);
        int bounded = Math.clamp(limit, 0, MAX_SEARCH_RESULTS);
        return database.read("searching the valid list of " + listDomain, connection -> {
            List<String> found = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT entry FROM valid_recipient "
                    + "WHERE domain = ? AND entry LIKE ?" + LikePattern.ESCAPE_CLAUSE + " ORDER BY entry LIMIT ?")) {
                select.setString(1, listDomain);
                select.setString(2, LikePattern.containing(fragment.strip().toLowerCase(Locale.ROOT)));
                select.setInt(3, bounded);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        found.add(rows.getString(1));
                    }
                }
            }
            return List.copyOf(found);
        });
    }

    /** The revision of all lists together: it changes whenever any list changes. */
    public long revision() {
        return database.read("reading the revision of the valid lists",
                connection -> StoreRevision.read(connection, REVISION));
    }

    /** The revision of each list that was ever changed, by domain. */
    public Map<String, Long> revisions() {
        return database.read("reading the revisions of the valid lists",
                connection -> Map.copyOf(StoreRevision.readAll(connection, DOMAIN_REVISION_PREFIX)));
    }

    private static Set<String> validate(String listDomain, Collection<String> entries) {
        Set<String> valid = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        long problemCount = 0;
        for (String entry : entries) {
            try {
                valid.add(ValidRecipientEntry.normalize(listDomain, entry));
            } catch (IllegalArgumentException invalid) {
                if (problemCount++ < InvalidEntriesException.MAX_PROBLEMS) {
                    problems.add(invalid.getMessage());
                }
            }
        }
        if (problemCount > 0) {
            throw new InvalidEntriesException(listDomain, problems, problemCount);
        }
        return valid;
    }

    /** Runs a statement per entry, bumping the revisions if any row changed; returns the entries changed. */
    private static List<String> changeEach(Connection connection, String listDomain, Set<String> entries, String sql)
            throws SQLException {
        List<String> changed = new ArrayList<>();
        // one statement per row rather than a batch: the count of rows changed is exact in both
        // dialects (a rewritten PostgreSQL batch reports none); these are the small, typed changes
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (String entry : entries) {
                statement.setString(1, listDomain);
                statement.setString(2, entry);
                if (statement.executeUpdate() > 0) {
                    changed.add(entry);
                }
            }
        }
        if (!changed.isEmpty()) {
            bumpRevisions(connection, listDomain);
        }
        return changed;
    }

    /**
     * Writes an import's entries: first into a temporary table, a chunk per statement (an array
     * per INSERT on PostgreSQL, a JDBC batch on SQLite), then into the list in key order, so that
     * the primary key index is filled in order rather than at random (about three times faster on
     * PostgreSQL for a million entries). A replace deletes only the entries that are not in the
     * file: replacing a list by a nearly identical one, the nightly export from a directory,
     * rewrites almost nothing.
     */
    private static final class ImportWriter implements AutoCloseable {

        private final Connection connection;
        private final Database.Dialect dialect;
        private final String domain;
        private final PreparedStatement stage;
        private final List<String> chunk = new ArrayList<>(BATCH);

        ImportWriter(Connection connection, Database.Dialect dialect, String domain) throws SQLException {
            this.connection = connection;
            this.dialect = dialect;
            this.domain = domain;
            if (dialect == Database.Dialect.POSTGRESQL) {
                execute("CREATE TEMPORARY TABLE import_entry (entry TEXT COLLATE \"C\" NOT NULL) ON COMMIT DROP");
                this.stage = connection.prepareStatement("INSERT INTO import_entry (entry) SELECT unnest(?::text[])");
            } else {
                // dropped in finish(); on a rollback, its creation is rolled back with the rest
                execute("CREATE TEMPORARY TABLE import_entry (entry TEXT NOT NULL)");
                this.stage = connection.prepareStatement("INSERT INTO import_entry (entry) VALUES (?)");
            }
        }

        void add(String entry) throws SQLException {
            chunk.add(entry);
            if (chunk.size() == BATCH) {
                stageChunk();
            }
        }

        /** Moves the staged entries into the list; with {@code replace}, deletes those not staged first. */
        void finish(boolean replace) throws SQLException {
            stageChunk();
            if (replace) {
                // an index and NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN over a set larger than
                // work_mem as a scan of the set per row, quadratic for a million entries
                execute("CREATE INDEX import_entry_entry ON import_entry (entry)");
                execute("DELETE FROM valid_recipient WHERE domain = ? AND NOT EXISTS "
                        + "(SELECT 1 FROM import_entry WHERE import_entry.entry = valid_recipient.entry)");
            }
            execute("INSERT INTO valid_recipient (domain, entry) SELECT ?, entry FROM import_entry ORDER BY entry "
                    + "ON CONFLICT DO NOTHING");
            if (dialect == Database.Dialect.SQLITE) {
                execute("DROP TABLE import_entry");
            }
        }

        private void stageChunk() throws SQLException {
            if (chunk.isEmpty()) {
                return;
            }
            if (dialect == Database.Dialect.POSTGRESQL) {
                stage.setArray(1, connection.createArrayOf("text", chunk.toArray()));
                stage.executeUpdate();
            } else {
                for (String entry : chunk) {
                    stage.setString(1, entry);
                    stage.addBatch();
                }
                stage.executeBatch();
            }
            chunk.clear();
        }

        /** Runs a statement whose only parameter, if any, is the domain. */
        private void execute(String sql) throws SQLException {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                if (sql.contains("?")) {
                    statement.setString(1, domain);
                }
                statement.executeUpdate();
            }
        }

        @Override
        public void close() throws SQLException {
            stage.close();
        }
    }

    /** Entries named in an audit entry: the first {@value #AUDIT_NAMES}, and how many more. */
    private static String names(List<String> entries) {
        String named = String.join(", ", entries.subList(0, Math.min(entries.size(), AUDIT_NAMES)));
        return entries.size() > AUDIT_NAMES ? named + " and " + (entries.size() - AUDIT_NAMES) + " more" : named;
    }

    private static String entries(long count) {
        return count == 1 ? "1 entry" : count + " entries";
    }

    /** A file name is the uploader's text: one line, no control characters, not endless. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(200).forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }

    private static void bumpRevisions(Connection connection, String listDomain) throws SQLException {
        StoreRevision.bump(connection, DOMAIN_REVISION_PREFIX + listDomain);
        StoreRevision.bump(connection, REVISION);
    }

    private static long count(Connection connection, String listDomain) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT count(*) FROM valid_recipient WHERE domain = ?")) {
            select.setString(1, listDomain);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
