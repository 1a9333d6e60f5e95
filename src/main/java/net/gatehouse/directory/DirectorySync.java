package net.gatehouse.directory;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.store.DirectorySnapshotStore;
import net.gatehouse.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One directory's snapshot and the thread that renews it (SPEC §8). Every {@code sync_every} the
 * whole directory is read ({@link SnapshotSearch}) into a {@link ValidRecipients} table, the same
 * compact table valid lists use, which then replaces the one in force; the RCPT path reads it
 * without locks or I/O.
 *
 * <p>Fail-safe: a sync that fails leaves the last good snapshot in force, however old (its age is
 * the metric {@code gatehouse_directory_snapshot_age_seconds}), and is tried again after
 * {@link #RETRY_AFTER} (or {@code sync_every}, if shorter). A snapshot with fewer addresses than
 * {@code (1 - max_shrink)} times the one in force, or with none at all, is refused the same way: a
 * directory that answers half of its entries must not turn real users into {@code 550}. Each streak
 * of failures is logged once, when it starts, and once when it ends. Accepted snapshots are saved
 * in the store, from which a restarted node takes its first snapshot before the directory answers.
 */
final class DirectorySync implements AutoCloseable {

    /** How soon a failed sync is tried again. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(DirectorySync.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    /**
     * The snapshot in force, with the answers that name it built once: the RCPT path hands them out
     * as they are, rather than formatting the time of the snapshot at each lookup (that cost more
     * than the lookup itself).
     */
    private record Snapshot(Instant takenAt, int entries, int addresses, ValidRecipients table, String description,
                            DirectoryAnswer.Found found, DirectoryAnswer.Absent absent) {

        static Snapshot of(String directory, Instant takenAt, int entries, int addresses, ValidRecipients table) {
            String description = "snapshot of " + takenAt + ", " + addresses + " addresses";
            return new Snapshot(takenAt, entries, addresses, table, description,
                    new DirectoryAnswer.Found(directory, "directory " + directory + " (" + description
                            + ") lists the address"),
                    new DirectoryAnswer.Absent(List.of(directory), Directories.absentFrom(
                            List.of(directory + " (" + description + ")"))));
        }
    }

    /** The outcome of one sync: {@code ok}, {@code failed} or {@code refused}, and what it says. */
    record Outcome(String result, String message, int entries, int addresses) {

        boolean ok() {
            return result.equals("ok");
        }
    }

    private final DirectoryConfig config;
    private final LdapConnector connector;
    private final SnapshotSearch search;
    private final DirectorySnapshotStore store;
    private final Clock clock;
    private final MeterRegistry registry;
    private final List<Meter> gauges;
    private final AtomicBoolean gaugesRetired = new AtomicBoolean();
    private final Counter synced;
    private final Counter failed;
    private final Counter refused;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch firstAttempt = new CountDownLatch(1);
    private volatile Snapshot current; // null: none yet
    private volatile Thread thread;

    /** The last attempts: replaced whole, so that status() never waits for a sync in progress. */
    private record Attempts(Instant lastAttempt, Instant lastSuccess, Instant failingSince, String lastError) {
    }

    private final Object syncing = new Object(); // one sync at a time: the schedule's, or one asked for
    private final Object schedule = new Object(); // the background thread waits on it for its next sync
    private boolean wakeUp; // guarded by schedule: sync now, not at the next time
    private volatile Attempts attempts = new Attempts(null, null, null, "");
    private volatile long storeRevision; // of the store's snapshot, when last looked at

    DirectorySync(DirectoryConfig config, DirectorySnapshotStore store, MeterRegistry registry, Clock clock,
                  Supplier<Map<String, String>> environment) {
        this.config = config;
        this.connector = new LdapConnector(config, environment, store.passwords()::read);
        this.search = new SnapshotSearch(config);
        this.store = store;
        this.clock = clock;
        String name = config.name();
        this.registry = registry;
        // gauges read this object, and go with it (close): a directory whose settings change live
        // is replaced by a new one, which registers its own; the counters are shared by the two
        this.gauges = List.of(
                Gauge.builder("gatehouse.directory.snapshot.age", this, DirectorySync::ageSeconds)
                        .description("Age of the directory snapshot in force (NaN: none yet, its domains get 451)")
                        .baseUnit("seconds").tag("directory", name).register(registry),
                Gauge.builder("gatehouse.directory.addresses", this, s -> s.current == null ? 0 : s.current.addresses())
                        .description("Addresses in the directory snapshot in force").tag("directory", name)
                        .register(registry));
        synced = syncs(registry, name, "ok");
        failed = syncs(registry, name, "failed");
        refused = syncs(registry, name, "refused");
    }

    private static Counter syncs(MeterRegistry registry, String directory, String result) {
        return Counter.builder("gatehouse.directory.syncs")
                .description("Directory syncs by result: ok, failed (the directory could not be read) or refused "
                        + "(the snapshot shrank beyond max_shrink, or was empty)")
                .tag("directory", directory).tag("result", result).register(registry);
    }

    String name() {
        return config.name();
    }

    DirectoryConfig config() {
        return config;
    }

    /** Takes the snapshot saved in the store, if any, as the one in force until the first sync. */
    void loadStored() {
        try {
            storeRevision = store.revision(config.name());
            store.load(config.name()).ifPresent(this::install);
        } catch (StoreException e) {
            log.warn("directory_snapshot_unreadable directory={} error=\"{}\" note=\"waiting for the directory\"",
                    config.name(), e.getMessage());
        }
    }

    /**
     * Carries on from the directory this one replaces, whose settings were changed (SPEC §8: the
     * console edits them live): its snapshot stays in force, and its record of attempts, until this
     * one's first sync with the new settings succeeds.
     */
    void takeOver(DirectorySync previous) {
        synchronized (previous.syncing) {
            current = previous.current;
            attempts = previous.attempts;
            storeRevision = previous.storeRevision;
        }
    }

    /**
     * Takes a snapshot saved in the store since the last look that is newer than the one in force:
     * one saved by {@code gatehouse directory sync} (perhaps {@code --force}d past the shrink guard)
     * or by another node of the cluster. Called by the store's poller; cheap when nothing changed.
     *
     * @throws StoreException if the store fails; the snapshot in force stays
     */
    void adoptNewer() {
        long revision = store.revision(config.name());
        if (revision == storeRevision) {
            return;
        }
        Optional<Instant> taken = store.takenAt(config.name());
        Snapshot snapshot = current;
        if (taken.isPresent() && (snapshot == null || taken.get().isAfter(snapshot.takenAt()))) {
            synchronized (syncing) { // a sync that finished meanwhile may have put a newer one in force
                store.load(config.name()).filter(stored -> current == null || stored.takenAt().isAfter(current.takenAt()))
                        .ifPresent(this::install);
            }
        }
        storeRevision = revision;
    }

    private void install(DirectorySnapshotStore.Snapshot snapshot) {
        current = Snapshot.of(config.name(), snapshot.takenAt(), snapshot.entries(), snapshot.addresses().size(),
                ValidRecipients.of(snapshot.addresses()));
        log.info("directory_snapshot_loaded directory={} source=store taken_at={} entries={} addresses={}",
                config.name(), snapshot.takenAt(), snapshot.entries(), snapshot.addresses().size());
    }

    /** Starts syncing in the background: at once, then every {@code sync_every}. */
    void start() {
        thread = Thread.ofPlatform().name("directory-" + config.name()).daemon().start(this::syncUntilClosed);
    }

    private void syncUntilClosed() {
        try {
            do {
                Outcome outcome;
                try {
                    outcome = sync(false);
                } catch (RuntimeException e) { // a bug of ours: keep the snapshot in force and the schedule
                    log.error("directory_sync_error directory={} error=\"{}\"", config.name(), e.toString(), e);
                    outcome = new Outcome("failed", e.toString(), 0, 0);
                }
                firstAttempt.countDown();
                Duration wait = outcome.ok() ? config.syncEvery()
                        : RETRY_AFTER.compareTo(config.syncEvery()) < 0 ? RETRY_AFTER : config.syncEvery();
                if (awaitNextSync(wait)) {
                    return;
                }
            } while (true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            firstAttempt.countDown();
        }
    }

    /**
     * Waits {@code wait}, or until {@link #syncSoon} or {@link #close}.
     *
     * @return whether it was closed
     */
    private boolean awaitNextSync(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (schedule) {
            long left;
            while (!wakeUp && closed.getCount() > 0 && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(schedule, left);
            }
            wakeUp = false;
        }
        return closed.getCount() == 0;
    }

    /** Has the background thread sync now rather than at its next time (the bind password changed). */
    void syncSoon() {
        synchronized (schedule) {
            wakeUp = true;
            schedule.notifyAll();
        }
    }

    /** Waits until the first background sync has been tried; true if it was. */
    boolean awaitFirstAttempt(Duration timeout) throws InterruptedException {
        return firstAttempt.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    boolean hasSnapshot() {
        return current != null;
    }

    /** Whether the snapshot in force lists the address; false without a snapshot. */
    boolean contains(MailboxAddress address, String subAddressDelimiter) {
        Snapshot snapshot = current;
        return snapshot != null && snapshot.table().contains(address, subAddressDelimiter);
    }

    /**
     * The answer of the snapshot in force when it lists the address, naming the snapshot; null when
     * it does not, or there is none. Allocates nothing.
     */
    DirectoryAnswer.Found found(MailboxAddress address, String subAddressDelimiter) {
        Snapshot snapshot = current;
        return snapshot != null && snapshot.table().contains(address, subAddressDelimiter) ? snapshot.found() : null;
    }

    /** The answer of a domain with only this directory, when the address is not listed; null without a snapshot. */
    DirectoryAnswer.Absent absent() {
        Snapshot snapshot = current;
        return snapshot == null ? null : snapshot.absent();
    }

    /** The snapshot in force in words, for the chain of reasons. */
    String describeSnapshot() {
        Snapshot snapshot = current;
        return snapshot == null ? "no snapshot yet" : snapshot.description();
    }

    /**
     * Reads the directory now and puts the snapshot in force, unless the shrink guard refuses it.
     *
     * @param force take the snapshot even if it shrank beyond {@code max_shrink} (an administrator's
     *              {@code gatehouse directory sync --force}); an empty one is refused all the same
     */
    Outcome sync(boolean force) {
        synchronized (syncing) {
            return syncNow(force);
        }
    }

    private Outcome syncNow(boolean force) {
        long started = System.nanoTime();
        SnapshotSearch.Harvest harvest;
        String server;
        try (LDAPConnection connection = connector.connect()) {
            server = connection.getConnectionName();
            harvest = search.read(connection, null);
        } catch (LdapConnector.UnreachableException e) {
            return failed("no server could be used: " + e.getMessage());
        } catch (LDAPException e) {
            return failed("the search failed: " + LdapConnector.describe(e));
        }
        Snapshot previous = current;
        int addresses = harvest.addresses().size();
        if (addresses == 0) {
            return refused("the directory gave no address at all (" + harvest.entries() + " entries under "
                    + config.baseDn() + " match the filter): taken as broken, not as a directory without recipients",
                    harvest);
        }
        long floor = previous == null ? 0 : (long) Math.ceil(previous.addresses() * (1 - config.maxShrink()));
        if (!force && previous != null && addresses < floor) {
            return refused(addresses + " addresses against " + previous.addresses() + " in force, more than max_shrink "
                    + Math.round(config.maxShrink() * 100) + "% fewer; keeping the snapshot in force (gatehouse "
                    + "directory sync --force takes it if the directory really shrank)", harvest);
        }
        Instant now = clock.instant();
        List<String> sorted = new ArrayList<>(harvest.addresses());
        Collections.sort(sorted);
        current = Snapshot.of(config.name(), now, harvest.entries(), addresses, ValidRecipients.of(sorted));
        try {
            store.save(config.name(), now, harvest.entries(), sorted);
        } catch (StoreException e) {
            log.warn("directory_snapshot_not_saved directory={} error=\"{}\" note=\"in force here; a restart would "
                    + "wait for the directory\"", config.name(), e.getMessage());
        }
        synced.increment();
        if (attempts.failingSince() != null) {
            log.info("directory_sync_recovered directory={} failing_since={}", config.name(), attempts.failingSince());
        }
        attempts = new Attempts(now, now, null, "");
        log.info("directory_synced directory={} server={} entries={} addresses={} ignored_values={} millis={}",
                config.name(), server, harvest.entries(), addresses, harvest.ignoredValues(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return new Outcome("ok", "in force: " + harvest.entries() + " entries, " + addresses + " addresses",
                harvest.entries(), addresses);
    }

    private Outcome failed(String why) {
        failed.increment();
        streak("directory_sync_failed", why);
        return new Outcome("failed", why, 0, 0);
    }

    private Outcome refused(String why, SnapshotSearch.Harvest harvest) {
        refused.increment();
        streak("directory_snapshot_refused", why);
        return new Outcome("refused", why, harvest.entries(), harvest.addresses().size());
    }

    /** Records a failed attempt; the first of a streak is logged. */
    private void streak(String event, String why) {
        Instant now = clock.instant();
        Attempts last = attempts;
        attempts = new Attempts(now, last.lastSuccess(), last.failingSince() == null ? now : last.failingSince(), why);
        if (last.failingSince() != null) {
            return;
        }
        Snapshot snapshot = current;
        log.warn("{} directory={} error=\"{}\" serving=\"{}\" retry_every={}", event, config.name(), why,
                snapshot == null ? "nothing: its domains get 451 4.4.3 until a sync succeeds"
                        : "the last good snapshot, of " + snapshot.takenAt() + " (" + snapshot.addresses() + " addresses)",
                RETRY_AFTER.compareTo(config.syncEvery()) < 0 ? RETRY_AFTER : config.syncEvery());
    }

    DirectoryStatus status() {
        Snapshot snapshot = current;
        Attempts last = attempts;
        return new DirectoryStatus(config.name(), config.servers().stream().map(Object::toString).toList(),
                Optional.ofNullable(snapshot).map(Snapshot::takenAt), snapshot == null ? 0 : snapshot.entries(),
                snapshot == null ? 0 : snapshot.addresses(), Optional.ofNullable(last.lastAttempt()),
                Optional.ofNullable(last.lastSuccess()), last.lastError(), Optional.ofNullable(last.failingSince()));
    }

    private double ageSeconds() {
        Snapshot snapshot = current;
        return snapshot == null ? Double.NaN
                : Math.max(0, Duration.between(snapshot.takenAt(), clock.instant()).toMillis() / 1000.0);
    }

    /** The search, for the {@code directory test} command. */
    SnapshotSearch search() {
        return search;
    }

    LdapConnector connector() {
        return connector;
    }

    /**
     * Unregisters this directory's gauges (before a replacement registers its own), once: the
     * registry removes by name and tags, so a second time would remove the replacement's.
     */
    void retireGauges() {
        if (gaugesRetired.compareAndSet(false, true)) {
            gauges.forEach(registry::remove);
        }
    }

    @Override
    public void close() {
        retireGauges();
        closed.countDown();
        synchronized (schedule) {
            schedule.notifyAll();
        }
        Thread running = thread;
        if (running != null) {
            try {
                running.join(CLOSE_TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
