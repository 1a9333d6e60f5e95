package net.gatehouse.cli;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.Callable;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.LocalVerdictCache;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.directory.ValidListDirectory;
import net.gatehouse.store.Database;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.config.IpLiteral;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.policy.Policy;
import net.gatehouse.policy.RecipientPolicy;
import net.gatehouse.policy.Verdict;
import net.gatehouse.smtp.protocol.Command.Invalid;
import net.gatehouse.smtp.protocol.Command.Rcpt;
import net.gatehouse.smtp.protocol.CommandParser;
import net.gatehouse.smtp.protocol.Reply;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Print the verdict the gateway would give at RCPT TO for an address, and why.",
                "Exit code: 0 accept, 4 temporary refusal, 5 permanent refusal."})
final class CheckCommand implements Callable<Integer> {

    /** TEST-NET-1 (RFC 5737): an address no trusted network should contain. */
    static final String UNTRUSTED_CLIENT = "192.0.2.1";

    @Mixin
    ConfigOption config;

    @Option(names = "--client", paramLabel = "IP", defaultValue = UNTRUSTED_CLIENT,
            description = "The client's IP address (default: ${DEFAULT-VALUE}, an untrusted address).")
    String client;

    @Parameters(paramLabel = "ADDRESS", description = "The recipient, e.g. alice@example.com or <alice@example.com>.")
    String address;

    @Override
    public Integer call() throws Exception {
        Logging.quiet();
        GatewayConfig loaded = config.loadOrReport();
        if (loaded == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        Optional<byte[]> literal = IpLiteral.parse(client);
        if (literal.isEmpty()) {
            System.err.println("gatehouse: --client must be an IP address: " + client);
            return Main.EXIT_BAD_CONFIG;
        }
        InetAddress clientAddress = InetAddress.getByAddress(literal.get());
        Policy policy = loaded.policy().map(Policy::from).orElse(Policy.EMPTY);
        String path = address.startsWith("<") ? address : "<" + address + ">";
        System.out.println("recipient: " + path);
        System.out.println("client:    " + clientAddress.getHostAddress());
        var command = CommandParser.parse("RCPT TO:" + path);
        Reply reply;
        if (command instanceof Rcpt rcpt) {
            Verdict verdict;
            try (Database database = Database.open(loaded.store(), loaded.dataDir());
                 ValidListDirectory lists = ValidListDirectory.start(new ValidRecipientStore(database),
                         loaded.policy().map(PolicyConfig::validRecipientsByDomain).orElse(java.util.Map.of()), ValidListDirectory.DEFAULT_POLL_INTERVAL);
                 CalloutVerifier callout = new CalloutVerifier(loaded.callout(), loaded.hostname(), policy::cache,
                    new LocalVerdictCache(policy::cache, Clock.systemUTC()), new SimpleMeterRegistry(), Clock.systemUTC())) {
                RecipientPolicy recipients = new RecipientPolicy(() -> policy, new MxResolver(loaded.dns()), callout,
                        domain -> lists.list(domain.name()));
                verdict = recipients.decide(clientAddress, rcpt.recipient());
                // The first use of a domain starts its catch-all check: wait for it, and if the
                // back-end accepts anything, show what the gateway will say from then on.
                callout.awaitBackground(loaded.callout().timeout());
                String domain = rcpt.recipient().mailbox().orElseThrow().asciiDomain();
                if (callout.isCatchAll(domain)) {
                    verdict = recipients.decide(clientAddress, rcpt.recipient());
                }
            }
            System.out.println("why:");
            verdict.chain().forEach(step -> System.out.println("  - " + step));
            reply = verdict.reply();
        } else {
            reply = ((Invalid) command).reply();
            System.out.println("why:");
            System.out.println("  - the address is not valid RFC 5321 syntax");
        }
        System.out.println("verdict:   " + verdictWord(reply) + " (" + reply + ")");
        return reply.isPositive() ? 0 : reply.isTransientFailure() ? 4 : 5;
    }

    private static String verdictWord(Reply reply) {
        return reply.isPositive() ? "accept" : reply.isTransientFailure() ? "temporary refusal" : "permanent refusal";
    }

}
