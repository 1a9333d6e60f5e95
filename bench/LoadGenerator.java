import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The client half of a benchmark: N sessions on virtual threads against 127.0.0.1, each until the
 * shared work is used up or {@code --max-seconds} have passed; then one report, with the
 * generator's own CPU time (its share of the machine) and the failures counted by reason.
 */
abstract class LoadGenerator {

    final int port;
    final int sessions;
    private final long deadlineNanos;
    private final ConcurrentMap<String, LongAdder> failures = new ConcurrentHashMap<>();
    final LongAdder connections = new LongAdder();

    LoadGenerator(BenchOptions options) {
        this.port = options.integer("port", -1);
        this.sessions = options.integer("sessions", -1);
        this.deadlineNanos = System.nanoTime() + 1_000_000_000L * options.integer("max-seconds", 600);
    }

    /** One sending server's work. */
    abstract void session(int session);

    /** Prints the figures; returns the exit status. */
    abstract int report(long startMillis, long endMillis, long wallNanos, long cpuNanos);

    final int run() throws InterruptedException {
        long startCpu = processCpuNanos();
        long startMillis = System.currentTimeMillis();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>(sessions);
        for (int i = 0; i < sessions; i++) {
            int session = i;
            threads.add(Thread.ofVirtual().name("load-" + i).start(() -> session(session)));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long wallNanos = System.nanoTime() - start;
        long endMillis = System.currentTimeMillis();
        return report(startMillis, endMillis, wallNanos, processCpuNanos() - startCpu);
    }

    /** CPU time of this process: the load generator's own share of the machine. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Nearest-rank percentile, in milliseconds. */
    static double percentile(long[] sorted, double percent) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

    /** Whether time is up: what is left stays unsent. */
    final boolean outOfTime() {
        return System.nanoTime() - deadlineNanos > 0;
    }

    final void failure(String reason) {
        failures.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    final void printFailures() {
        new TreeMap<>(failures).forEach((reason, count) ->
                System.out.printf(Locale.ROOT, "failure count=%d reason=\"%s\"%n", count.sum(), reason));
    }

    /** A connection to the gateway, greeted; what is said next is the subclass's. */
    class Connection implements AutoCloseable {
        private final Socket socket = new Socket();
        final LineReader in;
        final OutputStream out;

        Connection(int inBuffer, int outBuffer) throws IOException {
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
                socket.setSoTimeout(120_000);
                in = new LineReader(socket.getInputStream(), inBuffer);
                out = new BufferedOutputStream(socket.getOutputStream(), outBuffer);
                String greeting = reply();
                if (!greeting.startsWith("220")) {
                    throw new IOException("greeting " + greeting);
                }
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }

        /** Ends the session politely; the work is all answered by now, so a failure here costs nothing. */
        final void quitQuietly() {
            try {
                command("QUIT");
            } catch (IOException e) {
                // closed anyway
            }
        }

        final String command(String line) throws IOException {
            LineReader.writeLine(out, line);
            out.flush();
            return reply();
        }

        final String reply() throws IOException {
            return reply(null);
        }

        /** Reads a reply, multi-line included; returns its last line (code and text). */
        final String reply(List<String> lines) throws IOException {
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new EOFException("connection closed by the server");
                }
                if (lines != null) {
                    lines.add(line);
                }
                if (line.length() < 4 || line.charAt(3) != '-') {
                    return line;
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
