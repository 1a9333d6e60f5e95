import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.directory.Directories;
import net.gatehouse.store.Database;
import net.gatehouse.store.DirectorySnapshotStore;

/**
 * Times full syncs of a directory with the gateway's own code (issue 14, item 6) and measures the
 * heap the snapshot in force takes. Run by bench/run-directory-sync.sh with the gateway's jar on the
 * class path:
 *
 * <pre>
 * java -cp target/gatehouse.jar bench/DirectorySyncBench.java --url ldap://127.0.0.1:PORT \
 *      --base-dn dc=corp,dc=example --bind-dn cn=gatehouse,... --password-file F --data-dir D --syncs 3
 * </pre>
 *
 * <p>Each sync is {@code Directories.syncNow}, what {@code gatehouse directory sync} and the
 * gateway's schedule call: connect and bind, the paged search of the whole subtree, the addresses
 * taken from each value, the shrink guard, the {@code ValidRecipients} table built and put in
 * force, and the snapshot saved, gzipped, in the store (here the embedded SQLite one). The store
 * starts empty, so the first sync is the one a new gateway does at start-up, JIT cold.
 *
 * <p>Heap: used heap after full GCs (until it stops falling) with the snapshot in force, minus the
 * same with the directory closed and dropped; that is the snapshot's retained size, the table and
 * its small records. The peak during a sync (the harvest's set of strings, the sorted list, the
 * gzip) is transient and not in that figure.
 *
 * <p>Prints {@code key=value} lines for the script.
 */
public final class DirectorySyncBench {

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String url = options.get("url");
        int syncs = Integer.parseInt(options.getOrDefault("syncs", "3"));
        int pageSize = Integer.parseInt(options.getOrDefault("page-size", "500"));
        java.net.URI uri = java.net.URI.create(url);
        DirectoryConfig config = new DirectoryConfig("bench", List.of(new DirectoryConfig.Server(false, uri.getHost(),
                uri.getPort())), false, Optional.empty(), options.get("bind-dn"),
                Optional.of(Path.of(options.get("password-file"))), options.get("base-dn"),
                DirectoryConfig.Kind.ACTIVE_DIRECTORY, DirectoryConfig.Kind.ACTIVE_DIRECTORY.defaultAttributes(),
                DirectoryConfig.Kind.ACTIVE_DIRECTORY.defaultFilter(), false, Duration.ofHours(1), 0.5, pageSize,
                Duration.ofSeconds(10), Duration.ofSeconds(60));
        Path dataDir = Path.of(options.get("data-dir"));
        Files.createDirectories(dataDir);
        var threads = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (Database database = Database.open(Database.EMBEDDED, dataDir)) {
            DirectorySnapshotStore store = new DirectorySnapshotStore(database);
            long baseline = settledHeap();
            System.out.println("heap_before=" + baseline);
            Directories directories = Directories.start(List.of(config), store, new SimpleMeterRegistry(),
                    Clock.systemUTC(), Map::of, false);
            for (int i = 1; i <= syncs; i++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                long process0 = os.getProcessCpuTime();
                long gc0 = gcMillis();
                long t0 = System.nanoTime();
                Directories.SyncResult result = directories.syncNow("bench", false);
                long wall = System.nanoTime() - t0;
                long cpu = threads.getCurrentThreadCpuTime() - cpu0;
                long process = os.getProcessCpuTime() - process0;
                if (!result.result().equals("ok")) {
                    throw new IllegalStateException("sync " + i + ": " + result.result() + ": " + result.message());
                }
                System.out.printf("sync=%d wall_ms=%d thread_cpu_ms=%d process_cpu_ms=%d gc_ms=%d entries=%d addresses=%d%n",
                        i, wall / 1_000_000, cpu / 1_000_000, process / 1_000_000, gcMillis() - gc0,
                        result.entries(), result.addresses());
                if (i == 1) {
                    long with = settledHeap();
                    System.out.println("heap_with_snapshot=" + with);
                }
            }
            long with = settledHeap();
            directories.close();
            directories = null;
            long without = settledHeap();
            System.out.println("heap_with_snapshot_last=" + with);
            System.out.println("heap_after_close=" + without);
            System.out.println("snapshot_retained_bytes=" + (with - without));
            System.out.println("stored_bytes=" + storedBytes(dataDir));
        }
    }

    private static long gcMillis() {
        long total = 0;
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    /** Used heap after full GCs, repeated until it no longer falls. */
    private static long settledHeap() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(100);
            long used = memory.getHeapMemoryUsage().getUsed();
            if (used >= last) {
                return Math.min(used, last);
            }
            last = used;
        }
        return last;
    }

    private static long storedBytes(Path dataDir) throws java.io.IOException {
        try (var files = Files.list(dataDir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
