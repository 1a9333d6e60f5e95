package net.gatehouse.policy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import net.gatehouse.config.Cidr;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.config.Rollout;
import net.gatehouse.store.Actor;
import net.gatehouse.store.PolicyStore;
import net.gatehouse.store.StoreException;
import net.gatehouse.store.StorePoller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy in force, made of two parts (SPEC §4, docs/CONSOLE.md):
 *
 * <ul>
 *   <li>the configuration file's {@code policy} section, which <em>pins</em> what it declares: a
 *       setting the file states, a domain it lists, a network it trusts, is in force as written and
 *       read-only in the console, the API and the CLI (change the file and reload);
 *   <li>the store's policy document, edited from the console, the API and the CLI: every setting
 *       the file leaves out, more protected domains, more trusted networks.
 * </ul>
 *
 * <p>{@link #current()} is the merged immutable {@link Policy} snapshot that the RCPT path reads.
 * An edit on this node swaps the snapshot before it returns, so the very next RCPT follows it;
 * other nodes (and the CLI's changes) are noticed by polling the store's revision of the policy, a
 * tiny row, every poll interval. When the store fails, the last policy stays in force (SPEC §6).
 */
public final class LivePolicy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LivePolicy.class);

    /** A change that the file's pins, or the policy's own rules, do not allow. */
    public static final class RefusedChangeException extends Exception {
        private static final long serialVersionUID = 1L;

        public RefusedChangeException(String message) {
            super(message);
        }
    }

    /** One edit of the store's document: the document before in, the document after out. */
    @FunctionalInterface
    public interface Edit {
        PolicyConfig apply(PolicyConfig stored) throws RefusedChangeException, ConfigException;
    }

    private volatile Optional<PolicyConfig> file; // replaced by a reload of the configuration file
    private final PolicyStore store;
    private final Clock clock;
    private final AtomicReference<State> state = new AtomicReference<>();
    private StorePoller poller; // set once, in start
    private volatile Consumer<List<DirectoryConfig>> directoriesChanged = directories -> { };

    /** The stored document as last read, its revision, and the merged policy built from it. */
    private record State(PolicyConfig stored, long revision, PolicyConfig effective, Policy policy) {
    }

    private LivePolicy(Optional<PolicyConfig> file, PolicyStore store, Clock clock) {
        this.file = file;
        this.store = store;
        this.clock = clock;
    }

    /**
     * Reads the store's document, merges it with the file's section, and starts polling for changes.
     *
     * @throws StoreException if the store cannot be read
     * @throws ConfigException if the stored document is not valid (written by a newer version, or by hand)
     */
    public static LivePolicy start(Optional<PolicyConfig> file, PolicyStore store, Clock clock, Duration pollInterval)
            throws ConfigException {
        LivePolicy live = new LivePolicy(file, store, clock);
        live.load();
        live.poller = StorePoller.start("policy", "the policy last loaded", pollInterval, live::refresh);
        return live;
    }

    /** The snapshot in force. Never blocks. */
    public Policy current() {
        return state.get().policy();
    }

    /** {@link #current()} as a supplier, for the parts that read the policy at each use. */
    public Supplier<Policy> supplier() {
        return this::current;
    }

    /** The merged policy as configuration: what is in force, in the terms of the file. */
    public PolicyConfig effective() {
        return state.get().effective();
    }

    /** The store's document as last read: what the console edits. */
    public PolicyConfig stored() {
        return state.get().stored();
    }

    /** The file's {@code policy} section, if it has one. */
    public Optional<PolicyConfig> file() {
        return file;
    }

    /** Whether the file declares this setting ({@link PolicyConfig#KEYS}), so that it cannot be edited. */
    public boolean pinned(String key) {
        return file.map(f -> f.declares(key)).orElse(false);
    }

    /** Whether the file lists this domain. */
    public boolean pinnedDomain(String name) {
        return file.flatMap(f -> f.domain(name)).isPresent();
    }

    /** Whether the file trusts this network (in normal form, as {@link Cidr#normalize} gives it). */
    public boolean pinnedNetwork(String cidr) {
        return file.map(f -> f.trustedNetworks().contains(cidr)).orElse(false);
    }

    /**
     * Applies an edit to the store's document, validated as a file would be, written with its audit
     * entry, and in force on this node when this returns.
     *
     * @param action, target for the audit log: {@code settings.change}, {@code domain.add example.com}
     * @throws RefusedChangeException if the edit touches what the file pins, or breaks a rule
     * @throws ConfigException if the resulting document is not valid; the message names the key
     * @throws PolicyStore.ConcurrentChangeException if another change landed in between twice over
     * @throws StoreException if the store fails; nothing changed
     */
    public synchronized void edit(Actor actor, String action, String target, Edit edit)
            throws RefusedChangeException, ConfigException {
        PolicyStore.Stored stored = store.read();
        PolicyConfig before = ConfigLoader.parsePolicy(stored.document());
        PolicyConfig after = edit.apply(before);
        checkPins(before, after);
        String document = PolicyDocument.write(after);
        PolicyConfig written = ConfigLoader.parsePolicy(document); // the document must read back as written
        if (!merge(file, written).directories().equals(merge(file, before).directories())
                || !written.domains().equals(before.domains())
                || written.recipientVerification() != before.recipientVerification()) {
            checkDirectories(merge(file, written));
        }
        long revision = store.write(document, stored.revision(), clock.instant(), actor, action, target,
                describe(before, action, target), describe(written, action, target));
        install(written, revision);
        log.info("policy_changed actor=\"{}\" door={} action={} target={} revision={}", actor.name(),
                actor.door().word(), action, target, revision);
    }

    /** Replaces the store's document (a {@code policy import}); what the file pins must not be in it. */
    public void replace(Actor actor, String document) throws RefusedChangeException, ConfigException {
        PolicyConfig imported = ConfigLoader.parsePolicy(document);
        edit(actor, "policy.import", "policy", stored -> imported);
    }

    private void checkPins(PolicyConfig before, PolicyConfig after) throws RefusedChangeException {
        if (file.isEmpty()) {
            return;
        }
        PolicyConfig pins = file.get();
        for (String key : PolicyConfig.KEYS) {
            boolean setting = !key.equals(PolicyConfig.DOMAINS) && !key.equals(PolicyConfig.TRUSTED_NETWORKS)
                    && !key.equals(PolicyConfig.DIRECTORIES);
            if (setting && pins.declares(key) && after.declares(key)
                    && (!before.declares(key) || changed(key, before, after))) {
                throw new RefusedChangeException("policy." + key
                        + " is set in the configuration file; change it there and reload (gatehouse reload)");
            }
        }
        for (DomainConfig domain : after.domains()) {
            if (pins.domain(domain.name()).isPresent()) {
                throw new RefusedChangeException("the domain " + domain.name()
                        + " is declared in the configuration file; change it there and reload (gatehouse reload)");
            }
        }
        for (DirectoryConfig directory : after.directories()) {
            if (pins.directory(directory.name()).isPresent()) {
                throw new RefusedChangeException("the directory " + directory.name()
                        + " is declared in the configuration file; change it there and reload (gatehouse reload)");
            }
        }
    }

    /**
     * The rules of directories that only the merged policy can check, since a domain of the store
     * may use a directory of the file: every directory a domain names exists, and {@code verification:
     * directory} has at least one directory to look in.
     */
    private static void checkDirectories(PolicyConfig effective) throws RefusedChangeException {
        List<String> known = effective.directories().stream().map(DirectoryConfig::name).toList();
        for (DomainConfig domain : effective.domains()) {
            for (String name : domain.directories()) {
                if (!known.contains(name)) {
                    throw new RefusedChangeException("the domain " + domain.name() + " names the directory " + name
                            + ", which the policy does not have" + (known.isEmpty() ? "" : " (it has "
                            + String.join(", ", known) + ")") + "; change the domain first");
                }
            }
            Verification mode = domain.verification() == Verification.INHERIT
                    ? effective.recipientVerification() : domain.verification();
            if (mode == Verification.DIRECTORY && known.isEmpty()) {
                throw new RefusedChangeException("the domain " + domain.name() + " is verified against the "
                        + "directory, and no directory would be left; change its verification first");
            }
        }
    }

    private static boolean changed(String key, PolicyConfig a, PolicyConfig b) {
        return switch (key) {
            case PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS -> a.rejectUnknownRecipientDomains() != b.rejectUnknownRecipientDomains();
            case PolicyConfig.RECIPIENT_VERIFICATION -> a.recipientVerification() != b.recipientVerification();
            case PolicyConfig.SUB_ADDRESS_DELIMITER -> !a.subAddressDelimiter().equals(b.subAddressDelimiter());
            case PolicyConfig.CACHE -> !a.cache().equals(b.cache());
            case PolicyConfig.HARVEST -> !a.harvest().equals(b.harvest());
            case Rollout.ENFORCE -> a.rollout().enforce() != b.rollout().enforce();
            case Rollout.UNKNOWN_RECIPIENT_REPLY -> a.rollout().unknownRecipientReply() != b.rollout().unknownRecipientReply();
            case Rollout.WHEN_BACKEND_DOWN -> a.rollout().whenBackendDown() != b.rollout().whenBackendDown();
            default -> true;
        };
    }

    /** The part of a document an audit entry shows: the domain or setting concerned, else the whole. */
    private static String describe(PolicyConfig policy, String action, String target) {
        if (action.startsWith("domain.")) {
            return policy.domain(target).map(d -> PolicyDocument.write(new PolicyConfig(List.of(), true,
                    Verification.NONE, List.of(d), "", policy.cache(), policy.harvest(),
                    Set.of(PolicyConfig.DOMAINS)))).orElse("");
        }
        if (action.startsWith("directory.")) {
            return policy.directory(target).map(d -> PolicyDocument.write(new PolicyConfig(List.of(), true,
                    Verification.NONE, List.of(), "", policy.cache(), policy.harvest(), List.of(d),
                    Set.of(PolicyConfig.DIRECTORIES)))).orElse("");
        }
        if (action.startsWith("network.")) {
            return policy.trustedNetworks().contains(target) ? target : "";
        }
        return PolicyDocument.write(policy);
    }

    /**
     * Puts the re-read configuration file's {@code policy} section in force (a reload, SPEC §10):
     * its pins replace the old ones; what it no longer declares comes from the store's document.
     * The next RCPT follows it.
     */
    public synchronized void replaceFile(Optional<PolicyConfig> reread) {
        this.file = reread;
        State running = state.get();
        install(running.stored(), running.revision());
    }

    /** Reads the store now, rather than at the next poll; for the CLI's own changes and for tests. */
    public synchronized void refresh() throws ConfigException {
        long revision = store.revision();
        if (revision != state.get().revision()) {
            load();
        }
    }

    private synchronized void load() throws ConfigException {
        PolicyStore.Stored stored = store.read();
        install(ConfigLoader.parsePolicy(stored.document()), stored.revision());
    }

    private void install(PolicyConfig stored, long revision) {
        PolicyConfig effective = merge(file, stored);
        State previous = state.getAndSet(new State(stored, revision, effective, Policy.from(effective)));
        if (previous != null && !previous.effective().directories().equals(effective.directories())) {
            try {
                directoriesChanged.accept(effective.directories());
            } catch (RuntimeException e) { // the policy is in force all the same; the directories keep theirs
                log.error("directories_not_applied error=\"{}\"", e.toString(), e);
            }
        }
    }

    /**
     * Who puts the directories in force when the policy's change (an edit, another node's, a
     * reload of the file) adds, changes or removes one. Called under this object's lock, in the
     * order of the changes.
     */
    public void onDirectoriesChanged(Consumer<List<DirectoryConfig>> listener) {
        this.directoriesChanged = listener;
    }

    /**
     * The file's section over the store's document: each setting from the file if it declares it,
     * else from the store (whose document holds the default for what it leaves out); the file's
     * domains and then the store's others; the file's networks and the store's.
     */
    public static PolicyConfig merge(Optional<PolicyConfig> file, PolicyConfig stored) {
        if (file.isEmpty()) {
            return stored;
        }
        PolicyConfig pins = file.get();
        Set<String> networks = new LinkedHashSet<>(pins.trustedNetworks());
        networks.addAll(stored.trustedNetworks());
        List<DomainConfig> domains = new ArrayList<>(pins.domains());
        for (DomainConfig domain : stored.domains()) {
            if (pins.domain(domain.name()).isEmpty()) {
                domains.add(domain);
            }
        }
        Set<String> declared = new HashSet<>(pins.declared());
        declared.addAll(stored.declared());
        return new PolicyConfig(
                List.copyOf(networks),
                pins.declares(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS)
                        ? pins.rejectUnknownRecipientDomains() : stored.rejectUnknownRecipientDomains(),
                pins.declares(PolicyConfig.RECIPIENT_VERIFICATION)
                        ? pins.recipientVerification() : stored.recipientVerification(),
                domains,
                pins.declares(PolicyConfig.SUB_ADDRESS_DELIMITER) ? pins.subAddressDelimiter() : stored.subAddressDelimiter(),
                pins.declares(PolicyConfig.CACHE) ? pins.cache() : stored.cache(),
                pins.declares(PolicyConfig.HARVEST) ? pins.harvest() : stored.harvest(),
                directories(pins, stored),
                declared,
                rollout(pins, stored));
    }

    /** Each global rollout setting from the file if it declares it, else from the store. */
    private static Rollout rollout(PolicyConfig pins, PolicyConfig stored) {
        return new Rollout(
                (pins.declares(Rollout.ENFORCE) ? pins : stored).rollout().enforce(),
                (pins.declares(Rollout.UNKNOWN_RECIPIENT_REPLY) ? pins : stored).rollout().unknownRecipientReply(),
                (pins.declares(Rollout.WHEN_BACKEND_DOWN) ? pins : stored).rollout().whenBackendDown());
    }

    /** The file's directories, then the store's others (a name the file has is the file's). */
    private static List<DirectoryConfig> directories(PolicyConfig pins, PolicyConfig stored) {
        List<DirectoryConfig> directories = new ArrayList<>(pins.directories());
        for (DirectoryConfig directory : stored.directories()) {
            if (pins.directory(directory.name()).isEmpty()) {
                directories.add(directory);
            }
        }
        return directories;
    }

    /**
     * Checks the store's revision now, on the poller's thread, rather than at the next poll: a change
     * notification from another node calls it. Never blocks.
     */
    public void wake() {
        poller.wake();
    }

    @Override
    public void close() {
        poller.close();
    }
}
