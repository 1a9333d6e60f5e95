package net.gatehouse.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import net.gatehouse.admin.SpoolActions;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.queue.SpoolAdoption;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.Database;
import net.gatehouse.store.StoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse queue adopt DIR}: a dead node's mail, from its spool (its disk mounted here, or
 * its data_dir copied), moved into this node's queue, which delivers it (docs/CLUSTER.md). The
 * work is {@link SpoolAdoption}'s, message by message, safe to interrupt and run again; each
 * message moved is recorded in the audit log ({@code queue.adopt}) through {@link SpoolActions}.
 *
 * <p>It works on the spool files whether or not this node's gateway runs: a running gateway is
 * asked, as for the other queue commands, to look at each new message ({@link Spool#requestReview}),
 * which it does within a second; a stopped one finds them at its start.
 */
@Command(name = "adopt",
        description = {"Move a dead node's queued mail into this node's queue, to be delivered by this node: DIR is the "
                + "other node's data_dir (or its spool directory), its disk mounted here or copied.",
                "Refused while a gateway runs on DIR. Each message is moved on its own, only its pending recipients, "
                + "a hold kept; if interrupted, run the command again: nothing is lost or delivered twice.",
                "This node's running gateway starts delivering each message within a second; a stopped one at its "
                + "start."},
        footer = "%nExit codes: 0 done; 1 a gateway runs on DIR, DIR holds no spool, or a message could not be moved "
                + "(each one is named on standard error and left in DIR: run the command again); 2 the configuration "
                + "file or the command line is not valid.")
final class QueueAdopt extends QueueCommand.Subcommand {

    @Parameters(paramLabel = "DIR", description = "The dead node's data_dir, or its spool directory.")
    Path from;

    @Override
    public Integer call() {
        Logging.quiet();
        GatewayConfig loaded = config.loadOrReport();
        if (loaded == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        Path spool = loaded.dataDir().resolve("spool");
        try (Database database = Database.open(loaded.store(), loaded.dataDir());
             SpoolAdoption adoption = SpoolAdoption.open(from, spool)) {
            SpoolActions actions = new SpoolActions(Spool.forAdministration(spool), new AuditLog(database), Clock.systemUTC());
            int adopted = 0;
            int failed = 0;
            for (QueueId id : adoption.ids()) {
                try {
                    Optional<SpoolAdoption.Result> result = actions.adopt(ConsoleStore.ACTOR, adoption, id);
                    if (result.isEmpty()) {
                        continue;
                    }
                    SpoolAdoption.Result r = result.get();
                    switch (r.outcome()) {
                        case ADOPTED -> {
                            adopted++;
                            System.out.println(id + ": adopted, " + r.pending().size() + " recipient"
                                    + (r.pending().size() == 1 ? "" : "s") + (r.held() ? ", on hold" : ""));
                        }
                        case ALREADY_ADOPTED -> System.out.println(id + ": adopted before, removed from " + from);
                        case NOTHING_PENDING -> System.out.println(id + ": no recipient pending, removed from " + from);
                    }
                } catch (IOException e) {
                    failed++;
                    System.err.println("gatehouse: " + id + ": not moved, left in " + adoption.sourceSpool() + ": "
                            + message(e));
                } catch (StoreException e) {
                    // the message moved; its audit entry could not be written
                    failed++;
                    System.err.println("gatehouse: " + e.getMessage());
                }
            }
            System.err.println("gatehouse: " + adopted + " message" + (adopted == 1 ? "" : "s") + " adopted from " + from
                    + "; a running gateway delivers them within a second, a stopped one at its start");
            return failed == 0 ? 0 : QueueCommand.EXIT_INCOMPLETE;
        } catch (StoreException e) {
            System.err.println("gatehouse: " + e.getMessage());
            return QueueCommand.EXIT_INCOMPLETE;
        } catch (IOException e) {
            System.err.println("gatehouse: " + message(e));
            return QueueCommand.EXIT_INCOMPLETE;
        }
    }

    private static String message(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException missing) {
            return missing.getFile() + ": " + (missing.getReason() != null ? missing.getReason() : "no such file");
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
