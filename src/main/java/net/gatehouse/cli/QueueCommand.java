package net.gatehouse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import net.gatehouse.admin.SpoolActions;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.queue.SpooledMessage;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.Database;
import net.gatehouse.store.StoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gatehouse queue}: this node's mail queue with the verbs Postfix administrators know
 * ({@code mailq}, {@code postcat -q}, {@code postsuper -h/-H/-r/-d}, {@code postqueue -f/-i}).
 *
 * <p>The commands work on the spool directory itself, beside a running gateway: what they change
 * is written to the message's journal first (durably), then the gateway is asked to look at the
 * message again, which it does within a second ({@link Spool#requestReview}). An attempt already
 * under way when a message is held or deleted may still complete; no new one starts.
 *
 * <p>The changes (hold, release, requeue, flush, delete) go through the administration
 * ({@link SpoolActions}) and are recorded in the audit log of the configuration's store, with the
 * operating-system user who ran the command, right after each change: the queue is not in the
 * store, so a change and its entry cannot be one transaction. The store is opened before anything
 * is changed; a store that cannot be opened changes nothing.
 */
@Command(name = "queue", mixinStandardHelpOptions = true,
        description = {"Inspect and act on this node's mail queue (the spool in data_dir), beside a running gateway, "
                + "which takes changes into account within a second.",
                "Run it as the user the gateway runs as, or as root (files it creates are given to the spool's owner)."},
        footer = QueueCommand.EXIT_CODES,
        subcommands = {QueueCommand.ListMessages.class, QueueCommand.Show.class, QueueCommand.Hold.class,
                QueueCommand.Release.class, QueueCommand.Flush.class, QueueCommand.Requeue.class,
                QueueCommand.Delete.class, QueueAdopt.class})
final class QueueCommand {

    /**
     * Not everything asked was done: a named message is not in the queue (or, for {@code flush}, is
     * on hold), or the spool could not be read or written. Standard error says which.
     */
    static final int EXIT_INCOMPLETE = 1;

    static final String EXIT_CODES = "%nExit codes: 0 done; 1 a named message is not in the queue (each one is named "
            + "on standard error), or the spool could not be read or written; 2 the configuration file or the command "
            + "line is not valid.";

    private static final String RUNNING_GATEWAY_NOTE = "gatehouse: note: a running gateway takes this into account "
            + "within a second; an attempt already under way may still complete";

    private QueueCommand() {
    }

    /** The work of a subcommand, with the spool open. */
    @FunctionalInterface
    private interface SpoolWork {
        int run(Spool spool) throws IOException;
    }

    /** The work of a subcommand that changes the queue, with the spool and the audit log open. */
    @FunctionalInterface
    private interface ChangeWork {
        int run(Spool spool, SpoolActions actions) throws IOException;
    }

    /**
     * Loads the configuration, opens its spool and runs the work, reporting a failure as one line
     * on standard error with its exit code. A missing spool is not created (a command run as root
     * would make it root's): no gateway has run with this data_dir.
     */
    private static int withSpool(ConfigOption option, SpoolWork work) {
        return withSpool(option, (config, spool) -> work.run(spool));
    }

    /** The work of a subcommand, with the configuration loaded and the spool open. */
    @FunctionalInterface
    private interface ConfiguredWork {
        int run(GatewayConfig config, Spool spool) throws IOException;
    }

    private static int withSpool(ConfigOption option, ConfiguredWork work) {
        Logging.quiet();
        GatewayConfig config = option.loadOrReport();
        if (config == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        Path directory = config.dataDir().resolve("spool");
        if (!Files.isDirectory(directory.resolve("active"))) {
            System.err.println("gatehouse: no queue in " + directory + ": no gateway has run with this data_dir");
            return EXIT_INCOMPLETE;
        }
        try {
            return work.run(config, Spool.forAdministration(directory));
        } catch (IOException e) {
            System.err.println("gatehouse: spool " + directory + ": " + describe(e));
            return EXIT_INCOMPLETE;
        }
    }

    /** {@link #withSpool}, with the store's audit log open for the changes ({@link SpoolActions}). */
    private static int withChanges(ConfigOption option, ChangeWork work) {
        return withSpool(option, (config, spool) -> {
            try (Database database = Database.open(config.store(), config.dataDir())) {
                return work.run(spool, new SpoolActions(spool, new AuditLog(database), Clock.systemUTC()));
            } catch (StoreException e) {
                System.err.println("gatehouse: " + e.getMessage());
                return EXIT_INCOMPLETE;
            }
        });
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.AccessDeniedException ? "permission denied: " + e.getMessage()
                + " (run as the gateway's user, or as root)" : e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** The message, or empty after saying on standard error that it is not in the queue. */
    private static Optional<SpooledMessage> find(Spool spool, String id) throws IOException {
        Optional<SpooledMessage> message = QueueId.isValid(id) ? spool.read(new QueueId(id)) : Optional.empty();
        if (message.isEmpty()) {
            System.err.println("gatehouse: " + id + ": not in the queue"
                    + (QueueId.isValid(id) ? "" : " (a queue ID is 13 characters of Crockford base 32)"));
        }
        return message;
    }

    /** The queue IDs named, or with {@code --all} every message in the queue. */
    static final class Selection {
        @Parameters(paramLabel = "QUEUE_ID", arity = "0..*", description = "IDs as 'queue list' shows them (without ! or *).")
        List<String> ids = new ArrayList<>();

        @Option(names = "--all", description = "Every message in the queue instead of the IDs named.")
        boolean all;

        /** A usage error (exit code 2) unless there are IDs or --all, but not both. */
        void check(CommandSpec spec) {
            if (all == !ids.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "name queue IDs, or give --all (not both)");
            }
        }

        List<String> resolve(Spool spool) throws IOException {
            return all ? spool.ids().stream().map(QueueId::value).toList() : ids;
        }
    }

    /** One change per message, each reported on its own line; the exit code says whether all were found. */
    @FunctionalInterface
    private interface Change {
        /** Reports what was done on standard output; false when the message could not be acted on. */
        boolean apply(SpoolActions actions, SpooledMessage message) throws IOException;
    }

    /** Says what was done, on standard output; the message was acted on. */
    private static boolean said(String line) {
        System.out.println(line);
        return true;
    }

    /** The outcome of a change the spool refused because the message left the queue meanwhile. */
    private static boolean gone(QueueId id) {
        System.err.println("gatehouse: " + id + ": not in the queue (delivered meanwhile)");
        return false;
    }

    /**
     * What every subcommand has: {@code --config}, the standard help options and the exit codes in
     * its help. Picocli reads the annotations of a superclass too.
     */
    @Command(mixinStandardHelpOptions = true, footer = EXIT_CODES)
    abstract static class Subcommand implements Callable<Integer> {
        @Mixin
        ConfigOption config;
    }

    /** A subcommand that changes messages named by ID, or all of them with {@code --all}. */
    abstract static class ChangeSubcommand extends Subcommand {
        @Mixin
        Selection selection;

        @Spec
        CommandSpec spec;

        /** Applies {@code change} to each message selected; the exit code says whether all were found. */
        int change(Change change) {
            selection.check(spec);
            return withChanges(config, (spool, actions) -> {
                int missed = 0;
                for (String id : selection.resolve(spool)) {
                    Optional<SpooledMessage> message = find(spool, id);
                    if (message.isEmpty() || !change.apply(actions, message.get())) {
                        missed++;
                    }
                }
                return missed == 0 ? 0 : EXIT_INCOMPLETE;
            });
        }
    }

    @Command(name = "list",
            description = {"List the queue as Postfix's mailq does: per message the queue ID (! on hold, "
                    + "* not attempted yet), size, arrival time and sender, then each pending recipient under the "
                    + "reason of its last deferral; then the total.",
                    "With --json, one JSON object per message and line, as postqueue -j."})
    static final class ListMessages extends Subcommand {
        @Option(names = "--json", description = "One JSON object per message and line.")
        boolean json;

        @Override
        public Integer call() {
            GatewayConfig loaded = config.loadOrReport();
            if (loaded != null && !Files.isDirectory(loaded.dataDir().resolve("spool/active"))) {
                // a gateway that never ran has an empty queue, as mailq says on a fresh Postfix
                if (!json) {
                    new QueueListing(System.out, ZoneId.systemDefault()).finish();
                }
                return 0;
            }
            return withSpool(config, spool -> {
                QueueListing listing = new QueueListing(System.out, ZoneId.systemDefault());
                int unreadable = 0;
                for (QueueId id : spool.ids()) {
                    Optional<SpooledMessage> message;
                    try {
                        message = spool.read(id);
                    } catch (Spool.CorruptMessageException e) {
                        System.err.println("gatehouse: " + id + ": unreadable: " + e.getMessage());
                        unreadable++;
                        continue;
                    }
                    if (message.isPresent()) { // else delivered while listing
                        if (json) {
                            listing.addJson(message.get());
                        } else {
                            listing.add(message.get());
                        }
                    }
                }
                if (!json) {
                    listing.finish();
                }
                return unreadable == 0 ? 0 : EXIT_INCOMPLETE;
            });
        }
    }

    @Command(name = "show",
            description = "Show one message as Postfix's postcat -q does: the envelope, each recipient's state, "
                    + "attempts and last reply, then the message's header (all of it with --body).")
    static final class Show extends Subcommand {
        @Parameters(paramLabel = "QUEUE_ID", description = "The ID as 'queue list' shows it (without ! or *).")
        String id;

        @Option(names = "--body", description = "Print the whole message, not only its header.")
        boolean body;

        @Override
        public Integer call() {
            return withSpool(config, spool -> {
                Optional<SpooledMessage> message = find(spool, id);
                if (message.isEmpty()) {
                    return EXIT_INCOMPLETE;
                }
                MessageReport.print(message.get(), body, Clock.systemUTC().instant(), System.out);
                return 0;
            });
        }
    }

    @Command(name = "hold",
            description = {"Put messages on hold, as Postfix's postsuper -h: no delivery attempt starts until they are "
                    + "released, across restarts. An attempt already under way may still complete.",
                    "As in Postfix, a message does not expire while on hold; it does once released, at the end of its "
                    + "next attempt if it is older than delivery.max_lifetime: release one held that long with "
                    + "'queue requeue' instead, which restarts its lifetime."})
    static final class Hold extends ChangeSubcommand {
        @Override
        public Integer call() {
            int exit = change((actions, message) ->
                    switch (actions.hold(ConsoleStore.ACTOR, message)) {
                        case UNCHANGED -> said(message.id() + ": already on hold");
                        case GONE -> gone(message.id());
                        case DONE -> said(message.id() + ": placed on hold");
                    });
            System.err.println(RUNNING_GATEWAY_NOTE);
            return exit;
        }
    }

    @Command(name = "release",
            description = "Release messages from hold, as Postfix's postsuper -H: the running gateway attempts them "
                    + "within a second, their attempts and lifetime going on from before the hold.")
    static final class Release extends ChangeSubcommand {
        @Override
        public Integer call() {
            return change((actions, message) ->
                    switch (actions.release(ConsoleStore.ACTOR, message)) {
                        case UNCHANGED -> selection.all || said(message.id() + ": not on hold");
                        case GONE -> gone(message.id());
                        case DONE -> said(message.id() + ": released from hold");
                    });
        }
    }

    @Command(name = "flush",
            description = {"Ask the running gateway to attempt deferred messages now (within a second): all of them, "
                    + "as postqueue -f, or the IDs named, as postqueue -i.",
                    "Messages on hold are not attempted: release them."})
    static final class Flush extends Subcommand {
        @Parameters(paramLabel = "QUEUE_ID", arity = "0..*", description = "IDs as 'queue list' shows them; none: all.")
        List<String> ids = new ArrayList<>();

        @Override
        public Integer call() {
            return withChanges(config, (spool, actions) -> {
                if (ids.isEmpty()) {
                    actions.flushAll(ConsoleStore.ACTOR);
                    System.out.println("flush requested");
                    return 0;
                }
                int missed = 0;
                for (String id : ids) {
                    Optional<SpooledMessage> message = find(spool, id);
                    if (message.isEmpty()) {
                        missed++;
                    } else if (actions.flush(ConsoleStore.ACTOR, message.get()) == SpoolActions.Outcome.UNCHANGED) {
                        System.err.println("gatehouse: " + id + ": on hold, not attempted (release it)");
                        missed++;
                    } else {
                        System.out.println(id + ": flush requested");
                    }
                }
                return missed == 0 ? 0 : EXIT_INCOMPLETE;
            });
        }
    }

    @Command(name = "requeue",
            description = "Start messages again from scratch, as Postfix's postsuper -r: released from hold, attempts "
                    + "and back-off reset, the maximum lifetime counted from now, routed by the policy in force; the "
                    + "running gateway attempts them within a second. Recipients already delivered or bounced stay so.")
    static final class Requeue extends ChangeSubcommand {
        @Override
        public Integer call() {
            return change((actions, message) ->
                    switch (actions.requeue(ConsoleStore.ACTOR, message)) {
                        case UNCHANGED, DONE -> said(message.id() + ": requeued");
                        case GONE -> gone(message.id());
                    });
        }
    }

    @Command(name = "delete",
            description = "Delete messages from the queue without a bounce, as Postfix's postsuper -d. An attempt "
                    + "already under way may still complete.")
    static final class Delete extends ChangeSubcommand {
        @Override
        public Integer call() {
            int exit = change((actions, message) ->
                    switch (actions.delete(ConsoleStore.ACTOR, message)) {
                        case UNCHANGED, DONE -> said(message.id() + ": removed");
                        case GONE -> gone(message.id());
                    });
            System.err.println(RUNNING_GATEWAY_NOTE);
            return exit;
        }
    }
}
