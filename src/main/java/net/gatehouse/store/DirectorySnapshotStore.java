package net.gatehouse.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The last good snapshot of each LDAP directory (SPEC §8), kept so that a restarted node answers
 * RCPT from it at once instead of waiting for the directory (and answering {@code 451} meanwhile).
 * A snapshot is written whole, as one compressed row, by every accepted sync.
 */
public final class DirectorySnapshotStore {

    /** Revision rows per directory: this prefix and the directory's name. */
    static final String REVISION_PREFIX = "directory:";

    /**
     * A snapshot as stored.
     *
     * @param entries   the directory entries it was read from
     * @param addresses in stored form: lower case, ASCII domain
     */
    public record Snapshot(Instant takenAt, int entries, List<String> addresses) {

        public Snapshot {
            addresses = List.copyOf(addresses);
        }
    }

    private final Database database;

    public DirectorySnapshotStore(Database database) {
        this.database = database;
    }

    /** The bind passwords set in the console or the API, in the same store. */
    public DirectoryPasswords passwords() {
        return new DirectoryPasswords(database);
    }

    /** Replaces the directory's stored snapshot. */
    public void save(String directory, Instant takenAt, int entries, Collection<String> addresses) {
        byte[] content = compress(addresses);
        database.write("saving the snapshot of directory " + directory, connection -> {
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO directory_snapshot "
                    + "(directory, taken_at, entries, addresses, content) VALUES (?, ?, ?, ?, ?) "
                    + "ON CONFLICT (directory) DO UPDATE SET taken_at = excluded.taken_at, entries = excluded.entries, "
                    + "addresses = excluded.addresses, content = excluded.content")) {
                upsert.setString(1, directory);
                upsert.setLong(2, takenAt.toEpochMilli());
                upsert.setLong(3, entries);
                upsert.setLong(4, addresses.size());
                upsert.setBytes(5, content);
                upsert.executeUpdate();
            }
            StoreRevision.bump(connection, REVISION_PREFIX + directory);
            return null;
        });
    }

    /** Deletes the directory's stored snapshot (the directory was removed from the policy). */
    public void delete(String directory) {
        database.write("deleting the snapshot of directory " + directory, connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM directory_snapshot WHERE directory = ?")) {
                delete.setString(1, directory);
                delete.executeUpdate();
            }
            StoreRevision.bump(connection, REVISION_PREFIX + directory);
            return null;
        });
    }

    /** The directory's stored snapshot, if one was ever saved. */
    public Optional<Snapshot> load(String directory) {
        return database.read("reading the snapshot of directory " + directory, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT taken_at, entries, content FROM directory_snapshot WHERE directory = ?")) {
                select.setString(1, directory);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new Snapshot(Instant.ofEpochMilli(rows.getLong(1)), (int) rows.getLong(2),
                            decompress(rows.getBytes(3))));
                }
            }
        });
    }

    /** The revision of the directory's stored snapshot: a single tiny row, cheap to poll. */
    public long revision(String directory) {
        return database.read("reading the revision of directory " + directory,
                connection -> StoreRevision.read(connection, REVISION_PREFIX + directory));
    }

    /** When the directory's stored snapshot was taken, without reading it. */
    public Optional<Instant> takenAt(String directory) {
        return database.read("reading the snapshot time of directory " + directory, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT taken_at FROM directory_snapshot WHERE directory = ?")) {
                select.setString(1, directory);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(Instant.ofEpochMilli(rows.getLong(1))) : Optional.empty();
                }
            }
        });
    }

    private static byte[] compress(Collection<String> addresses) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes, 1 << 16)) {
            for (String address : addresses) {
                gzip.write(address.getBytes(StandardCharsets.UTF_8));
                gzip.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        }
        return bytes.toByteArray();
    }

    private static List<String> decompress(byte[] content) {
        try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(content), 1 << 16)) {
            String text = new String(gzip.readAllBytes(), StandardCharsets.UTF_8);
            List<String> addresses = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (!line.isEmpty()) {
                    addresses.add(line);
                }
            }
            return addresses;
        } catch (IOException e) {
            throw new StoreException("a stored directory snapshot is damaged: " + e.getMessage(), e);
        }
    }
}
