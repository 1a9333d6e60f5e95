package net.gatehouse.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import net.gatehouse.callout.CalloutResult;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.LocalVerdictCache;
import net.gatehouse.callout.VerdictCache;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.DnsConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.policy.Policy;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.policy.RecipientPolicy;
import net.gatehouse.policy.TrustedNetworks;
import net.gatehouse.policy.Verdict;
import net.gatehouse.smtp.protocol.MailPath;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.smtp.protocol.Reply;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole RCPT decision ({@link RecipientPolicy#decide}) for an untrusted client, as a session
 * makes it, without the network: a callout domain whose verdicts are all in a warmed
 * {@link LocalVerdictCache} (no probe is made: the back-end is a closed port, so a probe would show
 * as a temporary failure and fail the set-up check), and a valid-list domain with a million
 * addresses. 100,000 addresses are cached, 30 % of them rejections; each call decides the next of
 * 65,536 addresses drawn at random among them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RecipientPolicyBenchmark {

    private static final int CACHED = 100_000;
    private static final int LISTED = 1_000_000;
    private static final int PROBES = 1 << 16;

    private RecipientPolicy policy;
    private CalloutVerifier verifier;
    private InetAddress client;
    private MailPath[] calloutAccepted;
    private MailPath[] calloutRejected;
    private MailPath[] listAccepted;
    private MailPath[] listRejected;

    /** Each thread walks the addresses on its own. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        int next() {
            return next = (next + 1) & (PROBES - 1);
        }
    }

    private static boolean invalid(int i) {
        return i % 100 < 30;
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        client = InetAddress.getByName("192.0.2.10");
        ListenAddress closed = new ListenAddress("127.0.0.1", 1);
        ValidRecipients list = ValidRecipients.of(ValidRecipientsBenchmark.entries(LISTED).stream()
                .map(entry -> entry.replace("@" + ValidRecipientsBenchmark.DOMAIN, "@list.test")).toList());
        Map<String, ProtectedDomain> domains = Map.of(
                "callout.test", new ProtectedDomain("callout.test", List.of(closed), Verification.CALLOUT, ValidRecipients.EMPTY),
                "list.test", new ProtectedDomain("list.test", List.of(closed), Verification.VALID_LIST, list));
        Policy snapshot = new Policy(TrustedNetworks.NONE, true, Verification.NONE, domains, "",
                ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST);

        Clock clock = Clock.systemUTC();
        LocalVerdictCache cache = new LocalVerdictCache(() -> ConfigLoader.DEFAULT_CACHE, clock);
        Instant now = clock.instant();
        for (int i = 0; i < CACHED; i++) {
            CalloutResult verdict = invalid(i)
                    ? new CalloutResult.Rejected(Reply.of(550, "5.1.1", "User unknown"), "probe")
                    : new CalloutResult.Accepted("probe");
            cache.put(address(i, "callout.test").toLowerCase(), new VerdictCache.Entry(verdict, now));
        }
        MxResolver resolver = new MxResolver(new DnsConfig(List.of(closed), Duration.ofSeconds(1)));
        verifier = new CalloutVerifier(ConfigLoader.DEFAULT_CALLOUT, "bench.test", resolver, () -> ConfigLoader.DEFAULT_CACHE,
                cache, new SimpleMeterRegistry(), clock);
        policy = new RecipientPolicy(() -> snapshot, resolver, verifier, ProtectedDomain::validRecipients);

        SplittableRandom random = new SplittableRandom(42);
        calloutAccepted = new MailPath[PROBES];
        calloutRejected = new MailPath[PROBES];
        listAccepted = new MailPath[PROBES];
        listRejected = new MailPath[PROBES];
        for (int p = 0; p < PROBES; p++) {
            int accepted = random.nextInt(CACHED / 100) * 100 + 30 + random.nextInt(70);
            int rejected = random.nextInt(CACHED / 100) * 100 + random.nextInt(30);
            calloutAccepted[p] = path(accepted, "callout.test");
            calloutRejected[p] = path(rejected, "callout.test");
            listAccepted[p] = MailPath.of(MailboxAddress.of(ValidRecipientsBenchmark.local(random.nextInt(LISTED)), "list.test"));
            listRejected[p] = MailPath.of(MailboxAddress.of(ValidRecipientsBenchmark.local(LISTED + p), "list.test"));
        }
        // The first call starts the catch-all check of callout.test (a probe to the closed port):
        // let it end, so that the measured calls are pure cache hits.
        policy.decide(client, calloutAccepted[0]);
        if (!verifier.awaitBackground(Duration.ofSeconds(30))) {
            throw new IllegalStateException("the catch-all check did not end");
        }
        expect(calloutAccepted[1], 250);
        expect(calloutRejected[1], 550);
        expect(listAccepted[1], 250);
        expect(listRejected[1], 550);
    }

    private void expect(MailPath recipient, int code) {
        Verdict verdict = policy.decide(client, recipient);
        if (verdict.reply().code() != code) {
            throw new IllegalStateException(recipient + ": expected " + code + ", got " + verdict + " " + verdict.chain());
        }
    }

    private static String address(int i, String domain) {
        return (invalid(i) ? "nobody" : "user") + i + "@" + domain;
    }

    private static MailPath path(int i, String domain) {
        String address = address(i, domain);
        int at = address.indexOf('@');
        return MailPath.of(MailboxAddress.of(address.substring(0, at), domain));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        verifier.close();
    }

    @Benchmark
    public Verdict calloutCachedAccept(Cursor cursor) {
        return policy.decide(client, calloutAccepted[cursor.next()]);
    }

    @Benchmark
    public Verdict calloutCachedReject(Cursor cursor) {
        return policy.decide(client, calloutRejected[cursor.next()]);
    }

    @Benchmark
    public Verdict validListAccept(Cursor cursor) {
        return policy.decide(client, listAccepted[cursor.next()]);
    }

    @Benchmark
    public Verdict validListReject(Cursor cursor) {
        return policy.decide(client, listRejected[cursor.next()]);
    }
}
