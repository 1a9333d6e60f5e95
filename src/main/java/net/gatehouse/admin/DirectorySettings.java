package net.gatehouse.admin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.PolicyEdits;
import net.gatehouse.store.Actor;
import net.gatehouse.store.DirectoryPasswords;
import net.gatehouse.store.DirectorySnapshotStore;
import net.gatehouse.store.StoreException;

/**
 * The directories of the console's policy (SPEC §8): add one, change its settings, remove it, live,
 * from the console or the API. A directory that the configuration file declares is pinned: in
 * force as written, changed only there. Each change is audited ({@code directory.add},
 * {@code directory.change}, {@code directory.remove}, with the directory's settings before and
 * after) in the transaction that writes it; every node puts it in force within seconds.
 *
 * <p>The bind password is write-only: it is set or replaced with the settings, or removed, and
 * kept apart from the policy document ({@link DirectoryPasswords}), so that no page, API answer,
 * export or audit entry shows it; its changes are audited as {@code directory.password} without
 * it.
 */
public final class DirectorySettings {

    private final LivePolicy policy;
    private final DirectoryPasswords passwords;
    private final DirectorySnapshotStore snapshots;
    private final Function<String, String> environment;
    private final Clock clock;
    private final ChangeNotifier changes;
    private final Consumer<String> passwordChanged;

    /**
     * @param environment where a directory's {@code GATEHOUSE_LDAP_<NAME>_PASSWORD} is looked up
     * @param passwordChanged told of a directory whose password changed while its settings did not,
     *                        to read the directory with it now (a change of settings does that
     *                        anyway); the other nodes read it at their next sync, or retry
     */
    public DirectorySettings(LivePolicy policy, DirectorySnapshotStore snapshots, Function<String, String> environment,
                             Clock clock, ChangeNotifier changes, Consumer<String> passwordChanged) {
        this.policy = policy;
        this.passwordChanged = passwordChanged;
        this.passwords = snapshots.passwords();
        this.snapshots = snapshots;
        this.environment = environment;
        this.clock = clock;
        this.changes = changes;
    }

    /** Whether the console may change this directory: it is the console's, not the file's. */
    public boolean editable(String name) {
        return policy.stored().directory(name).isPresent() && !pinned(name);
    }

    /** Whether a bind password is set in the store for the directory (never what it is). */
    public boolean passwordSet(String name) {
        try {
            return passwords.isSet(name);
        } catch (StoreException e) {
            return false;
        }
    }

    /**
     * Adds a directory to the console's policy or (unless {@code create}) changes the settings of
     * one of its directories. The new settings are in force when this returns: the directory syncs
     * at once with them, and its snapshot in force stays until that sync succeeds.
     *
     * @param keys           the directory's keys as the file names them ({@code name}, {@code servers},
     *                       {@code base_dn}, ...); a key left out takes its default
     * @param password       a new bind password; empty: keep the one set (if any)
     * @param removePassword remove the password set (an anonymous bind, or one from the environment)
     * @return the directory's name
     * @throws Refusal INVALID for bad settings (the message names the key), a {@code ca_file} this
     *                 node cannot read, or a {@code bind_dn} without a password; CONFLICT if the file
     *                 declares the directory, or if {@code create} and the console has it already;
     *                 NOT_FOUND if not {@code create} and the console has no such directory
     */
    public String put(Actor actor, Map<String, Object> keys, Optional<String> password, boolean removePassword,
                      boolean create) {
        DirectoryConfig parsed;
        try {
            parsed = PolicyDocument.directory(keys);
        } catch (ConfigException e) {
            throw Refusal.invalid(e.getMessage().replace("policy.directories[0].", "")
                    .replace("policy.directories[0]", "directory"));
        }
        String name = parsed.name();
        if (pinned(name)) {
            throw Refusal.conflict("the directory " + name + " is declared in the configuration file; change it there "
                    + "and reload (gatehouse reload)");
        }
        Optional<DirectoryConfig> existing = policy.stored().directory(name);
        if (create && existing.isPresent()) {
            throw Refusal.conflict("the directory " + name + " exists already; edit it instead");
        }
        if (!create && existing.isEmpty()) {
            throw Refusal.notFound("no directory " + name + " in the console's policy");
        }
        checkCaFile(parsed);
        boolean newPassword = password.filter(p -> !p.isEmpty()).isPresent();
        checkPassword(parsed, newPassword, removePassword);
        if (newPassword) {
            passwords.set(name, password.get(), clock.instant(), actor); // before: the first sync uses it
        }
        if (existing.isEmpty() || !existing.get().equals(parsed)) {
            try {
                PolicyEdit.apply(policy, changes, actor, create ? "directory.add" : "directory.change", name,
                        stored -> PolicyEdits.putDirectory(stored, parsed));
            } catch (Refusal e) {
                if (create && newPassword) {
                    passwords.remove(name, clock.instant(), actor); // no password of a directory not added
                }
                throw e;
            }
        }
        if (removePassword && !newPassword) {
            passwords.remove(name, clock.instant(), actor);
        }
        if ((newPassword || removePassword) && existing.isPresent() && existing.get().equals(parsed)) {
            passwordChanged.accept(name);
        }
        return name;
    }

    /**
     * Removes a directory of the console's policy, with its password and stored snapshot.
     *
     * @throws Refusal CONFLICT if the file declares it, or a domain still uses it; NOT_FOUND if the
     *                 console's policy has no such directory
     */
    public void remove(Actor actor, String name) {
        if (pinned(name)) {
            throw Refusal.conflict("the directory " + name + " is declared in the configuration file; remove it there "
                    + "and reload (gatehouse reload)");
        }
        if (policy.stored().directory(name).isEmpty()) {
            throw Refusal.notFound("no directory " + name + " in the console's policy");
        }
        PolicyEdit.apply(policy, changes, actor, "directory.remove", name,
                stored -> PolicyEdits.removeDirectory(stored, name));
        passwords.remove(name, clock.instant(), actor);
        snapshots.delete(name);
    }

    private boolean pinned(String name) {
        return policy.file().flatMap(file -> file.directory(name)).isPresent();
    }

    /** The nodes read {@code ca_file} at each connection; this one at least must be able to. */
    private static void checkCaFile(DirectoryConfig directory) {
        if (directory.caFile().isPresent()) {
            Path file = directory.caFile().get();
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw Refusal.invalid("ca_file: " + file + " is not a readable file on this node (every node reads "
                        + "it at each connection: put it in the same place on each)");
            }
        }
    }

    private void checkPassword(DirectoryConfig directory, boolean newPassword, boolean removePassword) {
        if (directory.bindDn().isEmpty()) {
            if (newPassword) {
                throw Refusal.invalid("bind_dn: a password needs a DN to bind as; leave the password empty for an "
                        + "anonymous bind");
            }
            return;
        }
        boolean kept = !removePassword && passwordSet(directory.name());
        String variable = directory.passwordVariable();
        String fromEnvironment = environment.apply(variable);
        if (!newPassword && !kept && (fromEnvironment == null || fromEnvironment.isEmpty())) {
            throw Refusal.invalid("bind_dn needs a password: enter one (it is kept in the store and never shown), "
                    + "or set " + variable + " in the gateway's environment");
        }
    }
}
