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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LDAP directories of the policy (SPEC §8 "Recipients from a directory"), each with the
 * snapshot in force and the thread that renews it ({@link DirectorySync}). {@link #lookup} is the
 * RCPT path's: it never blocks and never touches the network or the store.
 *
 * <p>The directories follow the policy in force ({@link #apply}): one added in the console, the API
 * or the configuration file (and reloaded) starts syncing at once; one whose settings change is
 * replaced by one with the new settings, which keeps the snapshot in force until its first sync
 * succeeds; one removed stops.
 */
public final class Directories implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Directories.class);

    /** No directory: every lookup is {@link DirectoryAnswer.Unavailable}; {@link #apply} is refused. */
    public static final Directories NONE = new Directories(null, null, null, Map::of, false);

    /** How often the store is asked for snapshots saved elsewhere (the CLI, other nodes). */
    static final Duration STORE_POLL_INTERVAL = Duration.ofSeconds(2);

    private final DirectorySnapshotStore store; // null for NONE
    private final MeterRegistry registry;
    private final Clock clock;
    private final Supplier<Map<String, String>> environment;
    private final boolean sync;
    private volatile InForce inForce = new InForce(Map.of(), List.of()); // replaced whole by apply
    private StorePoller poller; // started with the first directory, when syncing

    /** The directories by name, in the order of the policy, and their names (for domains that name none). */
    private record InForce(Map<String, DirectorySync> byName, List<String> names) {
    }

    private Directories(DirectorySnapshotStore store, MeterRegistry registry, Clock clock,
                        Supplier<Map<String, String>> environment, boolean sync) {
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.environment = environment;
        this.sync = sync;
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
        Directories directories = new Directories(store, registry, clock, environment, sync);
        directories.apply(configs);
        return directories;
    }

    /**
     * Puts these directories in force, in this order: those whose settings are unchanged carry on;
     * new ones take their stored snapshot and start syncing; changed ones are replaced (the snapshot
     * in force stays until the new settings' first sync); the others stop. Their stored snapshots
     * stay in the store (the administration removes them with the directory).
     */
    public synchronized void apply(List<DirectoryConfig> configs) {
        if (store == null) {
            throw new IllegalStateException("Directories.NONE has no directories to change");
        }
        Map<String, DirectorySync> running = inForce.byName();
        Map<String, DirectorySync> next = new LinkedHashMap<>();
        List<DirectorySync> retired = new ArrayList<>();
        List<DirectorySync> started = new ArrayList<>();
        for (DirectoryConfig config : configs) {
            DirectorySync old = running.get(config.name());
            if (old != null && old.config().equals(config)) {
                next.put(config.name(), old);
                continue;
            }
            if (old != null) {
                old.retireGauges(); // before the new one registers its own, of the same name
                retired.add(old);
            }
            DirectorySync fresh = new DirectorySync(config, store, registry, clock, environment);
            if (old == null) {
                fresh.loadStored();
            } else {
                fresh.takeOver(old);
            }
            next.put(config.name(), fresh);
            started.add(fresh);
            if (!running.isEmpty() || poller != null) { // not at start-up: a change while running
                log.info("directory_{} directory={} servers={}", old == null ? "added" : "changed", config.name(),
                        config.servers());
            }
        }
        running.forEach((name, old) -> {
            if (!next.containsKey(name)) {
                old.retireGauges();
                retired.add(old);
                log.info("directory_removed directory={}", name);
            }
        });
        inForce = new InForce(Collections.unmodifiableMap(next), List.copyOf(next.keySet()));
        if (sync) {
            started.forEach(DirectorySync::start);
            if (poller == null && !next.isEmpty()) {
                poller = StorePoller.start("directory_snapshot", "the snapshots in force", STORE_POLL_INTERVAL, () -> {
                    for (DirectorySync directory : inForce.byName().values()) {
                        directory.adoptNewer();
                    }
                });
            }
        }
        // a retired directory may be in the middle of a sync: let it end on its own time, not the caller's
        retired.forEach(old -> Thread.ofVirtual().name("directory-retire-" + old.name()).start(old::close));
    }

    /** The names of the directories, in the order of the policy. */
    public List<String> names() {
        return inForce.names();
    }

    /**
     * Looks an address up in the snapshots of the named directories (all of them when
     * {@code names} is empty): found in any, it exists; absent from all, it does not, provided
     * every one of them has a snapshot; otherwise nobody can tell yet.
     *
     * @param subAddressDelimiter as for valid lists: {@code user+tag@} matches {@code user@}
     */
    public DirectoryAnswer lookup(List<String> names, MailboxAddress address, String subAddressDelimiter) {
        InForce now = inForce; // one state for the whole lookup
        Map<String, DirectorySync> directories = now.byName();
        List<String> wanted = names.isEmpty() ? now.names() : names;
        if (wanted.isEmpty()) {
            return new DirectoryAnswer.Unavailable("no directory is configured (policy.directories)");
        }
        // The answers of the snapshots are built with them, once: a lookup costs what a valid
        // list's does (bench/jmh DirectoryLookupBenchmark), however long the reasons read.
        List<String> missing = null;
        for (String name : wanted) {
            DirectorySync directory = inForce.byName().get(name);
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

    /** The state of each directory, in the order of the policy. */
    public List<DirectoryStatus> status() {
        return inForce.byName().values().stream().map(DirectorySync::status).toList();
    }

    /** The state of one directory. */
    public Optional<DirectoryStatus> status(String name) {
        return Optional.ofNullable(inForce.byName().get(name)).map(DirectorySync::status);
    }

    /**
     * Syncs a directory now, in the caller's thread.
     *
     * @param force take the snapshot even if it shrank beyond {@code max_shrink}
     * @return {@code ok}, {@code failed} or {@code refused}, with what happened in words
     * @throws IllegalArgumentException if there is no directory of that name
     */
    public SyncResult syncNow(String name, boolean force) {
        DirectorySync directory = inForce.byName().get(name);
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
        for (DirectorySync directory : inForce.byName().values()) {
            if (!directory.hasSnapshot()) {
                directory.awaitFirstAttempt(timeout);
            }
        }
    }

    /**
     * Has the directory's background sync run now rather than at its next time, if the directory
     * exists and syncs here: its bind password changed, and the directory should be read with it.
     */
    public void syncSoon(String name) {
        DirectorySync directory = inForce.byName().get(name);
        if (directory != null) {
            directory.syncSoon();
        }
    }

    /** Where one directory's {@code test} looks: see {@link DirectoryProbe}. */
    public DirectoryProbe probe(String name) {
        DirectorySync directory = inForce.byName().get(name);
        if (directory == null) {
            throw new IllegalArgumentException("no directory " + name + " in policy.directories");
        }
        return new DirectoryProbe(directory);
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.close();
        }
        inForce.byName().values().forEach(DirectorySync::close);
    }
}
