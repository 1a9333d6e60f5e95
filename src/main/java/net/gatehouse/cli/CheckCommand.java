package net.gatehouse.cli;

import java.net.InetAddress;
import java.util.concurrent.Callable;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import net.gatehouse.admin.Refusal;
import net.gatehouse.admin.VerdictCacheTools;
import net.gatehouse.callout.LocalVerdictCache;
import net.gatehouse.callout.VerdictCache;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.config.ConfigException;
import net.gatehouse.directory.Directories;
import net.gatehouse.directory.ValidListDirectory;
import net.gatehouse.directory.DirectoryStatus;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.store.Database;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.policy.AddressTester;
import net.gatehouse.policy.Policy;
import net.gatehouse.policy.RcptPath;
import net.gatehouse.smtp.protocol.Reply;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Print the verdict the gateway would give at RCPT TO for an address, and why.",
                "Exit code: 0 accept, 4 temporary refusal, 5 permanent refusal."})
final class CheckCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Option(names = "--client", paramLabel = "IP", defaultValue = AddressTester.UNTRUSTED_CLIENT,
            description = "The client's IP address (default: ${DEFAULT-VALUE}, an untrusted address).")
    String client;

    @Option(names = "--explain", description = "Also show what decided (list, directory, callout, catch-all, "
            + "trusted, dns), the callout's cache entry, the probe's timing and the back-end's reply as received.")
    boolean explain;

    @Parameters(paramLabel = "ADDRESS", description = "The recipient, e.g. alice@example.com or <alice@example.com>.")
    String address;

    @Override
    public Integer call() throws Exception {
        Logging.quiet();
        GatewayConfig loaded = config.loadOrReport();
        if (loaded == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        InetAddress clientAddress;
        try {
            clientAddress = AddressTester.client(client);
        } catch (IllegalArgumentException e) {
            System.err.println("gatehouse: --client must be an IP address: " + client);
            return Main.EXIT_BAD_CONFIG;
        }
        PolicyConfig effective; // the file's section with the console's part, as a gateway has it in force
        try {
            effective = ConsoleStore.effectivePolicy(loaded);
        } catch (ConfigException e) {
            System.err.println("gatehouse: " + e.getMessage());
            return Main.EXIT_BAD_CONFIG;
        }
        Policy policy = Policy.from(effective);
        AddressTester.Result result;
        Optional<VerdictCache.Entry> cached = Optional.empty();
        // the RCPT path wired as the gateway wires it, so that the verdict is the gateway's
        try (Database database = Database.open(loaded.store(), loaded.dataDir());
             Directories directories = DirectoryCommand.directories(loaded, database, new SimpleMeterRegistry());
             RcptPath path = RcptPath.start(loaded, () -> policy, new ValidRecipientStore(database),
                     new MxResolver(loaded.dns()), new SimpleMeterRegistry(), Clock.systemUTC(),
                     new LocalVerdictCache(() -> policy.cache(), Clock.systemUTC()), ValidListDirectory.DEFAULT_POLL_INTERVAL,
                     directories)) {
            // the gateway's snapshots; a directory that has none yet is read now, as its first sync would
            for (DirectoryStatus status : directories.status()) {
                if (status.snapshotTakenAt().isEmpty()) {
                    directories.syncNow(status.name(), false);
                }
            }
            result = path.tester().test(address, clientAddress);
            if (explain && !result.source().equals("syntax")) {
                try {
                    cached = path.callout().cached(VerdictCacheTools.mailbox(address));
                } catch (Refusal e) {
                    cached = Optional.empty();   // a path without a domain (<postmaster>): no callout
                }
            }
        }
        System.out.println("recipient: " + result.recipient());
        System.out.println("client:    " + result.client());
        System.out.println("why:");
        result.chain().forEach(step -> System.out.println("  - " + step));
        Reply reply = result.reply();
        System.out.println("verdict:   " + result.description() + " (" + reply + ")");
        if (explain) {
            explain(result, cached, policy.cache());
        }
        return reply.isPositive() ? 0 : reply.isTransientFailure() ? 4 : 5;
    }

    /** The sources of the verdict, for an administrator: the back-end's reply is never shown to SMTP clients. */
    private static void explain(AddressTester.Result result, Optional<VerdictCache.Entry> cached,
                                VerificationCacheConfig settings) {
        System.out.println("explain:");
        System.out.println("  decided by:    " + result.source());
        if (cached.isEmpty()) {
            System.out.println("  cache entry:   none" + (result.source().equals("callout")
                    ? " (a temporary failure is never cached)" : " (the callout was not asked)"));
            return;
        }
        VerdictCache.Entry entry = cached.get();
        Instant now = Instant.now();
        System.out.println("  cache entry:   " + entry.word() + ", written " + entry.written() + " (age "
                + entry.age(now).toSeconds() + " s), " + entry.remaining(settings, now).toSeconds() + " s of "
                + entry.lifetime(settings).toSeconds() + " s left");
        System.out.println("  entry source:  " + entry.source() + (entry.node().isEmpty() ? "" : " by " + entry.node()));
        System.out.println("  probe time:    " + entry.probeTime().map(time -> time.toMillis() + " ms").orElse("not recorded"));
        System.out.println("  back-end said: " + entry.backendReply().orElse("not recorded"));
    }
}
