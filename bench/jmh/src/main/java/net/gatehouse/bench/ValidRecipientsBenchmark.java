package net.gatehouse.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.smtp.protocol.MailboxAddress;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Valid-list lookups in {@link ValidRecipients} at a million addresses (issue 3: "answers in about
 * a microsecond"). Each benchmark call looks up the next of 65,536 addresses drawn at random over
 * the list, so that the table's cache misses are paid as on a real RCPT path, not hidden by one hot
 * cache line. The local parts are as long as ordinary ones ({@code firstname.lastname1234}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class ValidRecipientsBenchmark {

    private static final int PROBES = 1 << 16;
    static final String DOMAIN = "example.com";
    static final String WHOLE_DOMAIN = "whole.example";

    @Param("1000000")
    public int size;

    private ValidRecipients list;
    private MailboxAddress[] listed;
    private MailboxAddress[] unlisted;
    private MailboxAddress[] subAddressed;
    private MailboxAddress[] subAddressedUnlisted;
    private MailboxAddress[] wholeDomain;
    private MailboxAddress[] mixedCase;
    private int next;

    static String local(int i) {
        return "firstname.lastname" + i;
    }

    static List<String> entries(int size) {
        List<String> entries = new ArrayList<>(size + 1);
        for (int i = 0; i < size; i++) {
            entries.add(local(i) + "@" + DOMAIN);
        }
        entries.add("@" + WHOLE_DOMAIN);
        return entries;
    }

    @Setup(Level.Trial)
    public void setUp() {
        list = ValidRecipients.of(entries(size));
        SplittableRandom random = new SplittableRandom(42);
        listed = new MailboxAddress[PROBES];
        unlisted = new MailboxAddress[PROBES];
        subAddressed = new MailboxAddress[PROBES];
        subAddressedUnlisted = new MailboxAddress[PROBES];
        wholeDomain = new MailboxAddress[PROBES];
        mixedCase = new MailboxAddress[PROBES];
        for (int p = 0; p < PROBES; p++) {
            int i = random.nextInt(size);
            listed[p] = MailboxAddress.of(local(i), DOMAIN);
            unlisted[p] = MailboxAddress.of(local(size + i), DOMAIN);
            subAddressed[p] = MailboxAddress.of(local(i) + "+newsletter", DOMAIN);
            subAddressedUnlisted[p] = MailboxAddress.of(local(size + i) + "+newsletter", DOMAIN);
            wholeDomain[p] = MailboxAddress.of(local(i), WHOLE_DOMAIN);
            mixedCase[p] = MailboxAddress.of("Firstname.Lastname" + i, "Example.COM");
        }
        if (!list.contains(listed[0], "") || list.contains(unlisted[0], "") || !list.contains(subAddressed[0], "+")
                || !list.contains(wholeDomain[0], "") || !list.contains(mixedCase[0], "")) {
            throw new IllegalStateException("the list does not answer as expected");
        }
    }

    private int next() {
        return next = (next + 1) & (PROBES - 1);
    }

    @Benchmark
    public boolean hit() {
        return list.contains(listed[next()], "");
    }

    @Benchmark
    public boolean miss() {
        return list.contains(unlisted[next()], "");
    }

    @Benchmark
    public boolean hitMixedCase() {
        return list.contains(mixedCase[next()], "");
    }

    /** {@code user+tag@}: the whole local part misses, then {@code user@} is found. */
    @Benchmark
    public boolean subAddressHit() {
        return list.contains(subAddressed[next()], "+");
    }

    /** Both forms looked up, neither listed: the worst case. */
    @Benchmark
    public boolean subAddressMiss() {
        return list.contains(subAddressedUnlisted[next()], "+");
    }

    /** An {@code @domain} entry: one set lookup, before the table. */
    @Benchmark
    public boolean wholeDomainHit() {
        return list.contains(wholeDomain[next()], "");
    }
}
