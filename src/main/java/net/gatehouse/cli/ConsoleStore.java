package net.gatehouse.cli;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.admin.Refusal;
import net.gatehouse.admin.Tokens;
import net.gatehouse.admin.Users;
import net.gatehouse.store.Actor;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.Database;
import net.gatehouse.store.PolicyStore;
import net.gatehouse.store.StoreException;

/**
 * The store named by a configuration file, opened for one command that reads or changes what the
 * console edits: the policy document and the console's users and tokens. The running gateway may
 * have the same store open; it is told of the changes through the shared Redis when the
 * configuration names one ({@link ChangeNotices}), else notices policy changes at its next poll of
 * the store (about a second); it reads users and tokens at each login and API call.
 *
 * <p>Changes go through the administration ({@code net.gatehouse.admin}), as the console's and the
 * API's do, and are audited with the operating-system user who ran the command
 * ({@link Actor#commandLine()}) and the door {@code cli}.
 *
 * <p>Exit codes of these commands: 0 done; 1 the store failed, or someone else changed the policy
 * at the same moment (run the command again); 2 the configuration file or the input is not valid
 * (the message names the key or option); {@value #EXIT_REFUSED} the change was refused and nothing
 * changed: the configuration file pins what it would change, or there is nothing of that name.
 */
final class ConsoleStore {

    static final int EXIT_FAILED = 1;
    /** A change refused: pinned by the configuration file, already there, or nothing of that name. */
    static final int EXIT_REFUSED = 3;
    /** Who the audit log records for the changes of this command: the operating-system user, door cli. */
    static final Actor ACTOR = Actor.commandLine();

    /** The command's own process only changes the policy: it has no need to follow other writers. */
    private static final Duration NO_POLLING = Duration.ofDays(1);

    /** The work of a command, with its store open. */
    @FunctionalInterface
    interface Work {
        int run(ConsoleStore store) throws IOException, ConfigException;
    }

    /** The work of a command on the policy, with the store open. */
    @FunctionalInterface
    interface PolicyWork {
        /** @param changes given to the administration, which reports each change it made to it */
        int run(LivePolicy policy, ChangeNotifier changes) throws IOException, ConfigException;
    }

    private final GatewayConfig config;
    private final Database database;
    private final ChangeNotifier changes;

    private ConsoleStore(GatewayConfig config, Database database, ChangeNotifier changes) {
        this.config = config;
        this.database = database;
        this.changes = changes;
    }

    /**
     * Loads the configuration, opens its store, runs the work and closes everything, reporting each
     * failure as one line on standard error with its exit code.
     */
    static int run(ConfigOption option, Work work) {
        Logging.quiet();
        GatewayConfig config = option.loadOrReport();
        if (config == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        // closed last: the running gateways are told once the changes are committed
        try (ChangeNotices notices = new ChangeNotices(config);
             Database database = Database.open(config.store(), config.dataDir())) {
            return work.run(new ConsoleStore(config, database, notices));
        } catch (Refusal e) {
            return refused(e);
        } catch (ConfigException e) {
            System.err.println("gatehouse: " + e.getMessage());
            return Main.EXIT_BAD_CONFIG;
        } catch (PolicyStore.ConcurrentChangeException | StoreException e) {
            System.err.println("gatehouse: " + e.getMessage());
            return EXIT_FAILED;
        } catch (IOException e) {
            System.err.println("gatehouse: " + e.getMessage());
            return EXIT_FAILED;
        }
    }

    /**
     * Reports a refused change on standard error, with its exit code: 2 for invalid input, 1 for a
     * change that crossed another (run it again), else {@value #EXIT_REFUSED}.
     */
    static int refused(Refusal e) {
        return switch (e.kind()) {
            case INVALID -> {
                System.err.println("gatehouse: " + e.getMessage());
                yield Main.EXIT_BAD_CONFIG;
            }
            case CONCURRENT -> {
                System.err.println("gatehouse: " + e.getMessage());
                yield EXIT_FAILED;
            }
            case NOT_FOUND, CONFLICT, FORBIDDEN -> {
                System.err.println("gatehouse: refused: " + e.getMessage());
                yield EXIT_REFUSED;
            }
        };
    }

    /** {@link #run} with the {@link #policy()} of the store. */
    static int withPolicy(ConfigOption option, PolicyWork work) {
        return run(option, store -> {
            try (LivePolicy policy = store.policy()) {
                return work.run(policy, store.changes);
            }
        });
    }

    /**
     * The file's section merged with the store's document: the policy a gateway started with this
     * configuration has in force (for {@code gatehouse check}).
     *
     * @throws ConfigException if the store's document is not valid
     * @throws StoreException if the store cannot be read
     */
    static PolicyConfig effectivePolicy(GatewayConfig config) throws ConfigException {
        try (Database database = Database.open(config.store(), config.dataDir());
             LivePolicy policy = new ConsoleStore(config, database, ChangeNotifier.NONE).policy()) {
            return policy.effective();
        }
    }

    GatewayConfig config() {
        return config;
    }

    PolicyStore policyStore() {
        return new PolicyStore(database);
    }

    /**
     * The policy as a gateway holds it, for reading the merge and for edits (which are validated,
     * checked against the file's pins and audited as {@link #ACTOR}). Close it when done.
     *
     * @throws ConfigException if the store's document is not valid (written by hand, or by a newer version)
     */
    LivePolicy policy() throws ConfigException {
        try {
            return LivePolicy.start(config.policy(), policyStore(), Clock.systemUTC(), NO_POLLING);
        } catch (ConfigException e) {
            throw new ConfigException("", "the policy document in the store is not valid: " + e.getMessage());
        }
    }

    ConsoleUsers users() {
        return new ConsoleUsers(database);
    }

    Users userChanges() {
        return new Users(users(), Clock.systemUTC(), changes);
    }

    Tokens tokenChanges() {
        return new Tokens(users(), Clock.systemUTC(), changes);
    }
}
