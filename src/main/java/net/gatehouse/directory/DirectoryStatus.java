package net.gatehouse.directory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The state of one directory, for the console's Directories page, the API and the CLI.
 *
 * @param servers           as configured, in order
 * @param snapshotTakenAt   when the snapshot in force was read; empty: none yet (its domains get 451)
 * @param entries           directory entries the snapshot in force was read from
 * @param addresses         distinct addresses in it
 * @param lastAttempt       the last sync attempt's end; empty before the first
 * @param lastSuccess       the last sync that gave the snapshot in force, or a newer one
 * @param lastError         why the last attempt failed or was refused; empty when it succeeded
 * @param failingSince      the first attempt of the current streak of failures
 */
public record DirectoryStatus(String name, List<String> servers, Optional<Instant> snapshotTakenAt, int entries,
                              int addresses, Optional<Instant> lastAttempt, Optional<Instant> lastSuccess,
                              String lastError, Optional<Instant> failingSince) {

    public DirectoryStatus {
        servers = List.copyOf(servers);
    }

    /** {@code ok}, {@code stale} (failing, serving the last good snapshot) or {@code unavailable} (no snapshot). */
    public String state() {
        if (snapshotTakenAt.isEmpty()) {
            return "unavailable";
        }
        return lastError.isEmpty() ? "ok" : "stale";
    }

    /** The age of the snapshot in force at {@code now}, if there is one. */
    public Optional<Duration> snapshotAge(Instant now) {
        return snapshotTakenAt.map(taken -> Duration.between(taken, now));
    }
}
