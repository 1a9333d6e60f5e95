package net.gatehouse.cli;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import net.gatehouse.admin.DirectorySyncs;
import net.gatehouse.admin.Refusal;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.directory.Directories;
import net.gatehouse.directory.DirectoryProbe;
import net.gatehouse.directory.DirectoryStatus;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.smtp.protocol.CommandParser;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.Database;
import net.gatehouse.store.DirectorySnapshotStore;
import net.gatehouse.store.PolicyStore;
import net.gatehouse.store.StoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "directory", mixinStandardHelpOptions = true,
        description = {"The LDAP directories of verification: directory (policy.directories): sync one now, "
                + "see which entry and attribute make an address valid, show their state."},
        subcommands = {DirectoryCommand.Sync.class, DirectoryCommand.Test.class, DirectoryCommand.Status.class})
final class DirectoryCommand {

    private DirectoryCommand() {
    }

    /**
     * The policy's directories (the file's, and those added in the console or the API), with the
     * snapshots of the store; none syncing on its own.
     *
     * @throws StoreException if the store's policy document cannot be read, or is not valid
     */
    static Directories directories(GatewayConfig config, Database database, MeterRegistry registry) {
        PolicyConfig stored;
        try {
            stored = ConfigLoader.parsePolicy(new PolicyStore(database).read().document());
        } catch (ConfigException e) {
            throw new StoreException("the policy in the store is not valid (" + e.getMessage() + ")", e);
        }
        List<DirectoryConfig> configs = LivePolicy.merge(config.policy(), stored).directories();
        return Directories.start(configs, new DirectorySnapshotStore(database), registry, Clock.systemUTC(),
                System::getenv, false);
    }

    /** The names asked for, or all; null (after saying why) if one is unknown. */
    private static List<String> names(Directories directories, String name) {
        if (directories.names().isEmpty()) {
            System.err.println("gatehouse: the policy has no directory (policy.directories in the configuration file, "
                    + "or Directories in the console)");
            return null;
        }
        if (name == null) {
            return directories.names();
        }
        if (!directories.names().contains(name)) {
            System.err.println("gatehouse: no directory " + name + " in the policy (it has "
                    + String.join(", ", directories.names()) + ")");
            return null;
        }
        return List.of(name);
    }

    @Command(name = "sync", mixinStandardHelpOptions = true,
            description = {"Read a directory (or each) now and put the snapshot in the store, as the gateway's "
                    + "own sync does: a running gateway on the same store takes it within seconds. Audited.",
                    "Exit code: 0 every snapshot taken; 1 a directory could not be read, or its snapshot was refused."})
    static final class Sync implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "NAME", arity = "0..1", description = "The directory; default: every directory.")
        String name;

        @Option(names = "--force", description = "Take the snapshot even if it has more than max_shrink fewer "
                + "addresses than the one in force (the directory really shrank).")
        boolean force;

        @Override
        public Integer call() {
            Logging.quiet();
            GatewayConfig loaded = config.loadOrReport();
            if (loaded == null) {
                return Main.EXIT_BAD_CONFIG;
            }
            try (Database database = Database.open(loaded.store(), loaded.dataDir());
                 Directories directories = directories(loaded, database, new SimpleMeterRegistry())) {
                List<String> names = names(directories, name);
                if (names == null) {
                    return Main.EXIT_BAD_CONFIG;
                }
                DirectorySyncs syncs = new DirectorySyncs(directories, new AuditLog(database), Clock.systemUTC());
                int status = 0;
                for (String directory : names) {
                    Directories.SyncResult result = syncs.sync(ConsoleStore.ACTOR, directory, force);
                    System.out.println(directory + ": " + result.result() + ": " + result.message());
                    status = result.result().equals("ok") ? status : ConsoleStore.EXIT_FAILED;
                }
                return status;
            } catch (StoreException | Refusal e) {
                System.err.println("gatehouse: " + e.getMessage());
                return ConsoleStore.EXIT_FAILED;
            }
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = {"Read the directory now and show which entry and which attribute make ADDRESS valid, "
                    + "and whether the snapshot in force (the gateway's answer) has it.",
                    "Exit code: 0 the directory lists it; 5 it does not; 4 the directory could not be read."})
    static final class Test implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--directory", paramLabel = "NAME", description = "The directory; default: every directory.")
        String name;

        @Parameters(paramLabel = "ADDRESS", description = "The recipient, e.g. alice@corp.example.")
        String address;

        @Override
        public Integer call() {
            Logging.quiet();
            GatewayConfig loaded = config.loadOrReport();
            if (loaded == null) {
                return Main.EXIT_BAD_CONFIG;
            }
            String path = address.startsWith("<") ? address : "<" + address + ">";
            if (!(CommandParser.parse("RCPT TO:" + path) instanceof net.gatehouse.smtp.protocol.Command.Rcpt rcpt)
                    || rcpt.recipient().mailbox().isEmpty()) {
                System.err.println("gatehouse: not a valid address: " + address);
                return Main.EXIT_BAD_CONFIG;
            }
            MailboxAddress mailbox = rcpt.recipient().mailbox().get();
            String delimiter = loaded.policy().map(PolicyConfig::subAddressDelimiter).orElse("");
            try (Database database = Database.open(loaded.store(), loaded.dataDir());
                 Directories directories = directories(loaded, database, new SimpleMeterRegistry())) {
                List<String> names = names(directories, name);
                if (names == null) {
                    return Main.EXIT_BAD_CONFIG;
                }
                boolean found = false;
                boolean failed = false;
                for (String directory : names) {
                    try {
                        DirectoryProbe.Result result = directories.probe(directory).test(mailbox, delimiter);
                        System.out.println(directory + ": read " + result.server() + ": " + result.entries()
                                + " entries, " + result.addresses() + " addresses");
                        if (result.matches().isEmpty()) {
                            System.out.println("  not listed: no entry has " + mailbox.address());
                        }
                        for (DirectoryProbe.Match match : result.matches()) {
                            System.out.println("  match: " + match.dn());
                            System.out.println("         " + match.attribute() + ": " + match.value()
                                    + (match.subAddress() ? "  (without the sub-address)" : ""));
                        }
                        System.out.println("  snapshot in force (" + result.snapshot() + "): "
                                + (result.inSnapshot() ? "lists it" : "does not list it"));
                        found |= !result.matches().isEmpty();
                    } catch (DirectoryProbe.FailedException e) {
                        System.out.println(directory + ": cannot be read: " + e.getMessage());
                        failed = true;
                    }
                }
                return found ? 0 : failed ? 4 : 5;
            } catch (StoreException e) {
                System.err.println("gatehouse: " + e.getMessage());
                return ConsoleStore.EXIT_FAILED;
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show each directory's snapshot in the store: when it was taken, entries, addresses.")
    static final class Status implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() {
            Logging.quiet();
            GatewayConfig loaded = config.loadOrReport();
            if (loaded == null) {
                return Main.EXIT_BAD_CONFIG;
            }
            try (Database database = Database.open(loaded.store(), loaded.dataDir());
                 Directories directories = directories(loaded, database, new SimpleMeterRegistry())) {
                if (names(directories, null) == null) {
                    return Main.EXIT_BAD_CONFIG;
                }
                for (DirectoryStatus status : directories.status()) {
                    System.out.println(status.name() + ": " + String.join(" ", status.servers()) + ": "
                            + status.snapshotTakenAt().map(t -> "snapshot of " + t + ", " + status.entries()
                            + " entries, " + status.addresses() + " addresses").orElse("no snapshot yet"));
                }
                return 0;
            } catch (StoreException e) {
                System.err.println("gatehouse: " + e.getMessage());
                return ConsoleStore.EXIT_FAILED;
            }
        }
    }
}
