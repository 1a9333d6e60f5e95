package net.gatehouse.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.directory.Directories;
import net.gatehouse.directory.DirectoryAnswer;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.config.DnsConfig;
import net.gatehouse.policy.Policy;
import net.gatehouse.policy.RecipientPolicy;
import net.gatehouse.policy.TrustedNetworks;
import net.gatehouse.policy.Verdict;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.protocol.MailPath;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.store.Database;
import net.gatehouse.store.DirectorySnapshotStore;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.LocalVerdictCache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A directory snapshot against a valid list of the same addresses (issue 14, item 6: "lookups
 * cost the same as valid lists"). The snapshot is a real one: saved in an embedded store and taken
 * from it by {@link Directories#start}, as a restarted gateway takes its first, so it is the
 * {@link ValidRecipients} table a sync builds, behind {@link Directories#lookup}. The valid list is
 * {@link ValidRecipients#of} the same addresses.
 *
 * <p>Two levels: the lookup alone ({@code dir*}: {@code Directories.lookup}, which also names the
 * snapshot in its answer; {@code list*}: {@code ValidRecipients.contains}), and the whole RCPT
 * decision ({@code decide*}: {@code RecipientPolicy.decide}) for a {@code verification: directory}
 * domain and a {@code verification: valid_list} one, with sub-addressing ({@code +}) on. Each call
 * looks up the next of 65,536 addresses drawn at random, as in {@link ValidRecipientsBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class DirectoryLookupBenchmark {

    private static final int PROBES = 1 << 16;
    private static final String DOMAIN = "corp.example";

    @Param("100000")
    public int size;

    private Path dataDir;
    private Database database;
    private Directories directories;
    private ValidRecipients list;
    private RecipientPolicy policy;
    private CalloutVerifier verifier;
    private InetAddress client;
    private final List<String> names = List.of("corp");
    private MailboxAddress[] listed;
    private MailboxAddress[] unlisted;
    private MailboxAddress[] subAddressed;
    private MailboxAddress[] subAddressedUnlisted;
    private MailPath[] dirAccepted;
    private MailPath[] dirRejected;
    private MailPath[] listAccepted;
    private MailPath[] listRejected;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        List<String> entries = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            entries.add(ValidRecipientsBenchmark.local(i) + "@" + DOMAIN);
        }
        dataDir = Files.createTempDirectory("gatehouse-jmh-directory");
        database = Database.open(Database.EMBEDDED, dataDir);
        DirectorySnapshotStore store = new DirectorySnapshotStore(database);
        store.save("corp", Clock.systemUTC().instant(), size, entries);
        // never contacted: sync is off, the snapshot comes from the store
        DirectoryConfig config = new DirectoryConfig("corp", List.of(new DirectoryConfig.Server(false, "127.0.0.1", 1)),
                false, Optional.empty(), "", Optional.empty(), "dc=corp,dc=example", DirectoryConfig.Kind.ACTIVE_DIRECTORY,
                DirectoryConfig.Kind.ACTIVE_DIRECTORY.defaultAttributes(),
                DirectoryConfig.Kind.ACTIVE_DIRECTORY.defaultFilter(), false, Duration.ofHours(1), 0.5, 500,
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        directories = Directories.start(List.of(config), store, new SimpleMeterRegistry(), Clock.systemUTC(), Map::of,
                false);
        list = ValidRecipients.of(entries);

        client = InetAddress.getByName("192.0.2.10");
        ListenAddress closed = new ListenAddress("127.0.0.1", 1);
        Map<String, ProtectedDomain> domains = Map.of(
                DOMAIN, new ProtectedDomain(DOMAIN, List.of(closed), Verification.DIRECTORY, ValidRecipients.EMPTY,
                        names),
                "list.test", new ProtectedDomain("list.test", List.of(closed), Verification.VALID_LIST,
                        ValidRecipients.of(entries.stream().map(e -> e.replace("@" + DOMAIN, "@list.test")).toList())));
        Policy snapshot = new Policy(TrustedNetworks.NONE, true, Verification.NONE, domains, "+",
                ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST);
        Clock clock = Clock.systemUTC();
        MxResolver resolver = new MxResolver(new DnsConfig(List.of(closed), Duration.ofSeconds(1)));
        verifier = new CalloutVerifier(ConfigLoader.DEFAULT_CALLOUT, "bench.test", resolver,
                () -> ConfigLoader.DEFAULT_CACHE, new LocalVerdictCache(() -> ConfigLoader.DEFAULT_CACHE, clock),
                new SimpleMeterRegistry(), clock);
        policy = new RecipientPolicy(() -> snapshot, resolver, verifier, ProtectedDomain::validRecipients, directories);

        SplittableRandom random = new SplittableRandom(42);
        listed = new MailboxAddress[PROBES];
        unlisted = new MailboxAddress[PROBES];
        subAddressed = new MailboxAddress[PROBES];
        subAddressedUnlisted = new MailboxAddress[PROBES];
        dirAccepted = new MailPath[PROBES];
        dirRejected = new MailPath[PROBES];
        listAccepted = new MailPath[PROBES];
        listRejected = new MailPath[PROBES];
        for (int p = 0; p < PROBES; p++) {
            int i = random.nextInt(size);
            listed[p] = MailboxAddress.of(ValidRecipientsBenchmark.local(i), DOMAIN);
            unlisted[p] = MailboxAddress.of(ValidRecipientsBenchmark.local(size + i), DOMAIN);
            subAddressed[p] = MailboxAddress.of(ValidRecipientsBenchmark.local(i) + "+newsletter", DOMAIN);
            subAddressedUnlisted[p] = MailboxAddress.of(ValidRecipientsBenchmark.local(size + i) + "+newsletter", DOMAIN);
            dirAccepted[p] = MailPath.of(subAddressed[p]);
            dirRejected[p] = MailPath.of(subAddressedUnlisted[p]);
            listAccepted[p] = MailPath.of(MailboxAddress.of(ValidRecipientsBenchmark.local(i) + "+newsletter", "list.test"));
            listRejected[p] = MailPath.of(MailboxAddress.of(ValidRecipientsBenchmark.local(size + i) + "+newsletter",
                    "list.test"));
        }
        check(directories.lookup(names, listed[0], "") instanceof DirectoryAnswer.Found);
        check(directories.lookup(names, unlisted[0], "") instanceof DirectoryAnswer.Absent);
        check(directories.lookup(names, subAddressed[0], "+") instanceof DirectoryAnswer.Found);
        check(list.contains(listed[0], "") && !list.contains(unlisted[0], "") && list.contains(subAddressed[0], "+"));
        check(policy.decide(client, dirAccepted[0]).reply().code() == 250);
        check(policy.decide(client, dirRejected[0]).reply().code() == 550);
        check(policy.decide(client, listAccepted[0]).reply().code() == 250);
        check(policy.decide(client, listRejected[0]).reply().code() == 550);
    }

    private static void check(boolean expected) {
        if (!expected) {
            throw new IllegalStateException("the snapshot or the list does not answer as expected");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        verifier.close();
        directories.close();
        database.close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private int next() {
        return next = (next + 1) & (PROBES - 1);
    }

    @Benchmark
    public DirectoryAnswer dirHit() {
        return directories.lookup(names, listed[next()], "");
    }

    @Benchmark
    public boolean listHit() {
        return list.contains(listed[next()], "");
    }

    @Benchmark
    public DirectoryAnswer dirMiss() {
        return directories.lookup(names, unlisted[next()], "");
    }

    @Benchmark
    public boolean listMiss() {
        return list.contains(unlisted[next()], "");
    }

    @Benchmark
    public DirectoryAnswer dirSubAddressHit() {
        return directories.lookup(names, subAddressed[next()], "+");
    }

    @Benchmark
    public boolean listSubAddressHit() {
        return list.contains(subAddressed[next()], "+");
    }

    @Benchmark
    public DirectoryAnswer dirSubAddressMiss() {
        return directories.lookup(names, subAddressedUnlisted[next()], "+");
    }

    @Benchmark
    public boolean listSubAddressMiss() {
        return list.contains(subAddressedUnlisted[next()], "+");
    }

    @Benchmark
    public Verdict decideDirectoryAccept() {
        return policy.decide(client, dirAccepted[next()]);
    }

    @Benchmark
    public Verdict decideValidListAccept() {
        return policy.decide(client, listAccepted[next()]);
    }

    @Benchmark
    public Verdict decideDirectoryReject() {
        return policy.decide(client, dirRejected[next()]);
    }

    @Benchmark
    public Verdict decideValidListReject() {
        return policy.decide(client, listRejected[next()]);
    }
}
