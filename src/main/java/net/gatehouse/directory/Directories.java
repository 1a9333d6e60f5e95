package net.gatehouse.directory;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.store.DirectorySnapshotStore;
import net.gatehouse.store.StorePoller;

/**
 * The LDAP directories of the policy (SPEC §8 "Recipients from a directory"), each with the
 * snapshot in force and the thread that renews it ({@link DirectorySync}). {@link #lookup} is the
 * RCPT path's: it never blocks and never touches the network or the store.
 *
 * <p>Directories are configured in the file; a reload that changes them takes a restart.
 */
public final class Directories implements AutoCloseable {

    /** No directory: every lookup is {@link DirectoryAnswer.Unavailable}. */
    public static final Directories NONE = new Directories(Map.of(), null);

    /** How often the store is asked for snapshots saved elsewhere (the CLI, other nodes). */
    static final Duration STORE_POLL_INTERVAL = Duration.ofSeconds(2);

    private final Map<String, DirectorySync> directories; // in the order of the file
    private final StorePoller poller; // null when not syncing
    private final List<String> allNames; // for domains that name none

    private Directories(Map<String, DirectorySync> directories, StorePoller poller) {
        this.directories = directories;
        this.allNames = List.copyOf(directories.keySet());
        this.poller = poller;
    }

    /**
     * Takes each directory's snapshot from the store, if one was saved, and, if {@code sync} is set,
     * starts syncing each in the background at once (so that start-up never waits for a directory)
     * and takes newer snapshots saved in the store by others (the CLI's {@code directory sync},
     * other nodes) within {@link #STORE_POLL_INTERVAL}.
     *
     * @param environment where {@code GATEHOUSE_LDAP_<NAME>_PASSWORD} is looked up
     */
    public static Directories start(List<DirectoryConfig> configs, DirectorySnapshotStore store, MeterRegistry registry,
                                    Clock clock, Supplier<Map<String, String>> environment, boolean sync) {
        Map<String, DirectorySync> directories = new LinkedHashMap<>();
        for (DirectoryConfig config : configs) {
            DirectorySync directory = new DirectorySync(config, store, registry, clock, environment);
            directory.loadStored();
            directories.put(config.name(), directory);
        }
        StorePoller poller = null;
        if (sync && !directories.isEmpty()) {
            directories.values().forEach(DirectorySync::start);
            List<DirectorySync> all = List.copyOf(directories.values());
            poller = StorePoller.start("directory_snapshot", "the snapshots in force", STORE_POLL_INTERVAL, () -> {
                for (DirectorySync directory : all) {
                    directory.adoptNewer();
                }
            });
        }
        return new Directories(Collections.unmodifiableMap(directories), poller);
    }

    /** The names of the directories, in the order of the file. */
    public List<String> names() {
        return List.copyOf(directories.keySet());
    }

    /**
     * Looks an address up in the snapshots of the named directories (all of them when
     * {@code names} is empty): found in any, it exists; absent from all, it does not, provided
     * every one of them has a snapshot; otherwise nobody can tell yet.
     *
     * @param subAddressDelimiter as for valid lists: {@code user+tag@} matches {@code user@}
     */
    public DirectoryAnswer lookup(List<String> names, MailboxAddress address, String subAddressDelimiter) {
        List<String> wanted = names.isEmpty() ? allNames : names;
        if (wanted.isEmpty()) {
            return new DirectoryAnswer.Unavailable("no directory is configured (policy.directories)");
        }
        // The answers of the snapshots are built with them, once: a lookup costs what a valid
        // list's does (bench/jmh DirectoryLookupBenchmark), however long the reasons read.
        List<String> missing = null;
        for (String name : wanted) {
            DirectorySync directory = directories.get(name);
            DirectoryAnswer.Found found = directory == null ? null : directory.found(address, subAddressDelimiter);
            if (found != null) {
                return found;
            }
            if (directory == null || !directory.hasSnapshot()) {
                missing = missing == null ? new ArrayList<>() : missing;
                missing.add(name + (directory == null ? " (not configured in policy.directories)"
                        : " (no snapshot yet: the directory has not been read)"));
            }
        }
        if (missing != null) {
            return new DirectoryAnswer.Unavailable("not found in the snapshots there are; no answer from "
                    + String.join(", ", missing));
        }
        if (wanted.size() == 1) {
            DirectoryAnswer.Absent absent = directories.get(wanted.get(0)).absent();
            if (absent != null) { // null only if the snapshot went away since, which it never does
                return absent;
            }
        }
        return new DirectoryAnswer.Absent(wanted, absentFrom(
                wanted.stream().map(n -> n + " (" + directories.get(n).describeSnapshot() + ")").toList()));
    }

    /** The reason of an {@link DirectoryAnswer.Absent}: the directories, each with its snapshot in words. */
    static String absentFrom(List<String> described) {
        return "address is in no directory of the domain: " + String.join(", ", described);
    }

    /** The state of each directory, in the order of the file. */
    public List<DirectoryStatus> status() {
        return directories.values().stream().map(DirectorySync::status).toList();
    }

    /** The state of one directory. */
    public Optional<DirectoryStatus> status(String name) {
        return Optional.ofNullable(directories.get(name)).map(DirectorySync::status);
    }

    /**
     * Syncs a directory now, in the caller's thread.
     *
     * @param force take the snapshot even if it shrank beyond {@code max_shrink}
     * @return {@code ok}, {@code failed} or {@code refused}, with what happened in words
     * @throws IllegalArgumentException if there is no directory of that name
     */
    public SyncResult syncNow(String name, boolean force) {
        DirectorySync directory = directories.get(name);
        if (directory == null) {
            throw new IllegalArgumentException("no directory " + name + " in policy.directories");
        }
        DirectorySync.Outcome outcome = directory.sync(force);
        return new SyncResult(name, outcome.result(), outcome.message(), outcome.entries(), outcome.addresses());
    }

    /** What one sync did: {@code result} is {@code ok}, {@code failed} or {@code refused}. */
    public record SyncResult(String directory, String result, String message, int entries, int addresses) {
    }

    /**
     * Waits until every directory without a snapshot has had its first background sync tried (for
     * {@code gatehouse check}, which must not answer 451 only because it asked too early).
     */
    public void awaitFirstSyncs(Duration timeout) throws InterruptedException {
        for (DirectorySync directory : directories.values()) {
            if (!directory.hasSnapshot()) {
                directory.awaitFirstAttempt(timeout);
            }
        }
    }

    /** Where one directory's {@code test} looks: see {@link DirectoryProbe}. */
    public DirectoryProbe probe(String name) {
        DirectorySync directory = directories.get(name);
        if (directory == null) {
            throw new IllegalArgumentException("no directory " + name + " in policy.directories");
        }
        return new DirectoryProbe(directory);
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.close();
        }
        directories.values().forEach(DirectorySync::close);
    }
}
