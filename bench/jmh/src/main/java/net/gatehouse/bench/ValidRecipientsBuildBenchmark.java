package net.gatehouse.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import net.gatehouse.directory.ValidRecipients;
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
 * Building the in-memory table of a million-address valid list from its entries, as the gateway
 * does when it loads the store's lists or a list changes (the entries already read; reading them
 * from the store is measured by bench/run-rcpt-load.sh's import with {@code LIST_SIZE}).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(1)
@State(Scope.Benchmark)
public class ValidRecipientsBuildBenchmark {

    @Param("1000000")
    public int size;

    private List<String> entries;

    @Setup(Level.Trial)
    public void setUp() {
        entries = ValidRecipientsBenchmark.entries(size);
    }

    @Benchmark
    public ValidRecipients build() {
        return ValidRecipients.of(entries);
    }
}
