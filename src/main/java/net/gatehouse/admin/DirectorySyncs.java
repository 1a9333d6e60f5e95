package net.gatehouse.admin;

import java.time.Clock;
import net.gatehouse.directory.Directories;
import net.gatehouse.directory.DirectoryStatus;
import net.gatehouse.store.Actor;
import net.gatehouse.store.AuditLog;

/**
 * An administrator's sync of a directory now (the CLI's {@code gatehouse directory sync}, the
 * console's Sync now, the API's {@code POST /api/v1/directories/{name}/sync}): the snapshot it takes decides who may receive mail, so every sync asked for is
 * audited ({@code directory.sync}, or {@code directory.sync_forced} when the shrink guard was
 * overridden), with the snapshot before and what became of it. Syncs of the gateway's own schedule
 * are not audited: they are logged.
 */
public final class DirectorySyncs {

    private final Directories directories;
    private final AuditLog audit;
    private final Clock clock;

    public DirectorySyncs(Directories directories, AuditLog audit, Clock clock) {
        this.directories = directories;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Syncs the directory now and records it.
     *
     * @param force take the snapshot even if it shrank beyond {@code max_shrink}
     * @throws Refusal NOT_FOUND if there is no directory of that name
     */
    public Directories.SyncResult sync(Actor actor, String name, boolean force) {
        DirectoryStatus before = directories.status(name).orElseThrow(() -> new Refusal(Refusal.Kind.NOT_FOUND,
                "no directory " + name + " in policy.directories"));
        Directories.SyncResult result = directories.syncNow(name, force);
        audit.record(clock.instant(), actor, force ? "directory.sync_forced" : "directory.sync", name,
                describe(before), result.result() + ": " + result.message());
        return result;
    }

    private static String describe(DirectoryStatus status) {
        return status.snapshotTakenAt().map(taken -> "snapshot of " + taken + ", " + status.addresses() + " addresses")
                .orElse("no snapshot");
    }
}
