package net.gatehouse.policy;

import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.LocalVerdictCache;
import net.gatehouse.callout.VerdictCache;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.directory.Directories;
import net.gatehouse.directory.ValidListDirectory;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.store.ValidRecipientStore;

/**
 * The RCPT path, wired once for the gateway and for {@code gatehouse check}, so that check prints
 * the verdict the gateway would give: the {@link RecipientPolicy} deciding at RCPT TO over a
 * policy snapshot, the {@link CalloutVerifier} it probes back-ends with (its verdict cache and
 * catch-all detection), and the {@link ValidListDirectory} holding the valid lists (the store's,
 * with the configuration file's {@code valid_recipients}).
 */
public record RcptPath(RecipientPolicy decision, CalloutVerifier callout, ValidListDirectory validLists,
                       Directories directories, Duration calloutTimeout) implements AutoCloseable {

    /**
     * Loads the valid lists and builds the decision.
     *
     * @param policy the snapshot in force at each use (the live policy's, or a fixed one for check)
     * @param mx     the resolver for recipient domains and back-end names, shared with delivery in the gateway
     * @throws net.gatehouse.store.StoreException if the valid lists cannot be loaded
     */
    public static RcptPath start(GatewayConfig config, Supplier<Policy> policy, ValidRecipientStore lists,
                                 MxResolver mx, MeterRegistry registry, Clock clock) {
        return start(config, policy, lists, mx, registry, clock, new LocalVerdictCache(() -> policy.get().cache(), clock));
    }

    /** As above, with the verdict cache given: the cluster's shared one (SPEC §6); no directories. */
    public static RcptPath start(GatewayConfig config, Supplier<Policy> policy, ValidRecipientStore lists,
                                 MxResolver mx, MeterRegistry registry, Clock clock, VerdictCache cache) {
        return start(config, policy, lists, mx, registry, clock, cache, ValidListDirectory.DEFAULT_POLL_INTERVAL,
                Directories.NONE);
    }

    /**
     * As above, with how often the store's valid lists are polled for changes, and the LDAP
     * directories (SPEC §8), which this path closes when it is closed.
     */
    public static RcptPath start(GatewayConfig config, Supplier<Policy> policy, ValidRecipientStore lists,
                                 MxResolver mx, MeterRegistry registry, Clock clock, VerdictCache cache,
                                 Duration listPollInterval, Directories directories) {
        return start(config, policy, lists, mx, registry, clock, cache, listPollInterval, directories, client -> false);
    }

    /**
     * As above, with the clients whose RCPTs get no callout probe, only answers from what is known:
     * the gateway's {@link HarvestGuard#sparesBackend}, for the clients it tarpits.
     */
    public static RcptPath start(GatewayConfig config, Supplier<Policy> policy, ValidRecipientStore lists,
                                 MxResolver mx, MeterRegistry registry, Clock clock, VerdictCache cache,
                                 Duration listPollInterval, Directories directories,
                                 Predicate<InetAddress> sparesBackend) {
        ValidListDirectory directory = ValidListDirectory.start(lists,
                config.policy().map(PolicyConfig::validRecipientsByDomain).orElse(Map.of()), listPollInterval);
        CalloutVerifier callout = new CalloutVerifier(config.callout(), config.hostname(), mx, () -> policy.get().cache(),
                cache, registry, clock);
        RecipientPolicy decision = new RecipientPolicy(policy, mx, callout,
                domain -> directory.list(domain.name()), directories, sparesBackend);
        return new RcptPath(decision, callout, directory, directories, config.callout().timeout());
    }

    /** The address tester over this path: the verdict for one address, and why (console, check). */
    public AddressTester tester() {
        return new AddressTester(decision, callout, calloutTimeout);
    }

    @Override
    public void close() {
        callout.close();
        validLists.close();
        directories.close();
    }
}
