import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * RCPT load generator and verifying back-end for Gatehouse's recipient-verification benchmark
 * (issue 3). JDK only, one file, run with the source launcher (JEP 330) or compiled once:
 *
 * <pre>
 * java bench/SmtpRcptLoad.java backend --port 0 --delay-ms 5 --stats-file /tmp/backend.stats
 * java bench/SmtpRcptLoad.java load --port 2525 --sessions 20 --rcpts 20000 --domain bench.test \
 *      --tag warm --pool 10000 --order random --invalid-percent 30 --per-mail 5
 * </pre>
 *
 * <p>{@code backend} is the protected domain's mail server: it answers {@code RCPT} with
 * {@code 250} for every address whose local part starts with {@code user} and {@code 550 5.1.1}
 * for any other, takes {@code DATA} (so that it can also receive the gateway's deliveries), and
 * waits {@code --delay-ms} before each batch of replies it sends, i.e. once per round trip of a
 * pipelining client: a back-end that far away. It writes
 * {@code port=P rcpts=N rcpt_ok=A rcpt_rejected=R received=M connections=C} to the stats file every
 * 200 ms, atomically.
 *
 * <p>{@code load} plays N sending servers. Each session connects once, says EHLO, then repeats
 * {@code MAIL FROM}, {@code --per-mail} RCPTs one at a time, {@code RSET}, until the shared count
 * of {@code --rcpts} is used up. The time from writing each RCPT to reading its reply is its
 * latency. The address of RCPT number {@code n}:
 * <ul>
 * <li>index {@code i}: {@code n} with {@code --order sequential} (every address new, or, with
 *     {@code --rcpts} equal to {@code --pool}, one pass over the pool: a warm-up), or a random
 *     number below {@code --pool} with {@code --order random} (addresses seen before);
 * <li>invalid when {@code i % 100 < --invalid-percent}: {@code nobody-TAG-i@DOMAIN}, else
 *     {@code user-TAG-i@DOMAIN}. A valid one should get 2xx and an invalid one 5xx; anything else
 *     is counted as wrong, and 4xx (a temporary answer, "try again later") separately.
 * </ul>
 *
 * <p>Everything binds or connects to 127.0.0.1 only, and both modes end by themselves
 * ({@code --max-seconds}), so a benchmark that goes wrong cannot leave a process behind.
 */
public final class SmtpRcptLoad {

    private static final byte[] CRLF = {'\r', '\n'};

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help")) {
            usage(0);
        }
        Map<String, String> options = options(Arrays.copyOfRange(args, 1, args.length));
        int status = switch (args[0]) {
            case "backend" -> new Backend(options).run();
            case "load" -> new Load(options).run();
            default -> {
                System.err.println("unknown mode: " + args[0]);
                usage(2);
                yield 2;
            }
        };
        System.exit(status);
    }

    private static void usage(int status) {
        (status == 0 ? System.out : System.err).println("""
                usage: SmtpRcptLoad backend --port P [--delay-ms D] [--stats-file F] [--max-seconds T]
                       SmtpRcptLoad load --port P --sessions N --rcpts M --domain D [--tag T] [--pool S]
                                         [--order sequential|random] [--invalid-percent I] [--per-mail K]
                                         [--rate R] [--seed X] [--max-seconds T]
                  P may be 0 for the backend (the chosen port is printed and written to the stats file).
                  D delays each batch of replies (one per round trip) by that many milliseconds (default 0).
                  R paces the RCPTs: R per second over all sessions (default 0: each as soon as the last is answered).
                  Defaults: tag "t", pool 10000, order sequential, invalid 30 %, 5 RCPTs per MAIL.""");
        System.exit(status);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                System.err.println("expected --option value, got: " + args[i]);
                usage(2);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }

    /** A misspelt option must not silently leave a default in place. */
    private static void allowOnly(Map<String, String> options, String... names) {
        for (String name : options.keySet()) {
            if (!Arrays.asList(names).contains(name)) {
                System.err.println("unknown option: --" + name);
                usage(2);
            }
        }
    }

    private static int intOption(Map<String, String> options, String name, int fallback) {
        String value = options.get(name);
        if (value == null) {
            if (fallback < 0) {
                System.err.println("--" + name + " is required");
                usage(2);
            }
            return fallback;
        }
        return Integer.parseInt(value);
    }

    private static String requiredOption(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            System.err.println("--" + name + " is required");
            usage(2);
        }
        return value;
    }

    // ---------------------------------------------------------------------------------------------
    // Line I/O shared by both sides (as in SmtpLoad.java: one file each, so copied, not shared)

    /** Buffered input for SMTP lines, without {@link java.io.BufferedInputStream}'s lock per read. */
    private static final class LineReader {
        private final InputStream in;
        private final byte[] buffer = new byte[16 * 1024];
        private int position;
        private int limit;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** Whether more input is waiting: then replies can wait too (RFC 2920). */
        boolean hasPendingInput() throws IOException {
            return position < limit || in.available() > 0;
        }

        /** One line without CRLF (its first 1024 octets); null at end of stream. */
        String readLine() throws IOException {
            byte[] line = new byte[1024];
            int length = 0;
            while (true) {
                if (position == limit) {
                    int read = in.read(buffer, 0, buffer.length);
                    if (read < 0) {
                        if (length == 0) {
                            return null;
                        }
                        throw new EOFException("connection closed in the middle of a line");
                    }
                    position = 0;
                    limit = read;
                }
                int start = position;
                while (position < limit && buffer[position] != '\n') {
                    position++;
                }
                int chunk = position - start;
                if (length < line.length) {
                    System.arraycopy(buffer, start, line, length, Math.min(chunk, line.length - length));
                }
                length += chunk;
                if (position < limit) {
                    position++;   // the LF
                    int kept = Math.min(length, line.length);
                    if (kept > 0 && line[kept - 1] == '\r') {
                        kept--;
                    }
                    return new String(line, 0, kept, StandardCharsets.UTF_8);
                }
            }
        }
    }

    private static void writeLine(OutputStream out, String line) throws IOException {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write(CRLF);
    }

    // ---------------------------------------------------------------------------------------------
    // backend

    /**
     * A domain's mail server that knows its users: RCPT {@code user*} is 250, any other 550. Replies
     * are flushed only when the client has nothing more buffered (RFC 2920), after the configured
     * delay: a probe's pipelined MAIL, RCPT and RSET cost one delay, as one network round trip would.
     */
    private static final class Backend {
        private final int port;
        private final long delayMillis;
        private final Path statsFile;
        private final long deadline;
        private final LongAdder rcpts = new LongAdder();
        private final LongAdder rcptOk = new LongAdder();
        private final LongAdder rcptRejected = new LongAdder();
        private final LongAdder received = new LongAdder();
        private final LongAdder connections = new LongAdder();

        Backend(Map<String, String> options) {
            allowOnly(options, "port", "delay-ms", "stats-file", "max-seconds");
            this.port = intOption(options, "port", -1);
            this.delayMillis = intOption(options, "delay-ms", 0);
            this.statsFile = options.containsKey("stats-file") ? Path.of(options.get("stats-file")) : null;
            this.deadline = System.currentTimeMillis() + 1000L * intOption(options, "max-seconds", 900);
        }

        int run() throws IOException, InterruptedException {
            ServerSocket listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
            System.out.println("backend_listening port=" + listener.getLocalPort() + " delay_ms=" + delayMillis);
            Thread.ofPlatform().daemon().name("backend-accept").start(() -> accept(listener));
            while (System.currentTimeMillis() < deadline) {
                writeStats(listener.getLocalPort());
                Thread.sleep(200);
            }
            listener.close();
            writeStats(listener.getLocalPort());
            System.out.println("backend_stopped reason=max-seconds rcpts=" + rcpts.sum());
            return 0;
        }

        private void accept(ServerSocket listener) {
            while (!listener.isClosed()) {
                try {
                    Socket socket = listener.accept();
                    connections.increment();
                    Thread.ofVirtual().name("backend-session").start(() -> serve(socket));
                } catch (IOException e) {
                    if (!listener.isClosed()) {
                        System.err.println("backend_accept_failed error=\"" + e.getMessage() + "\"");
                    }
                }
            }
        }

        private void writeStats(int boundPort) throws IOException {
            if (statsFile == null) {
                return;
            }
            String stats = "port=" + boundPort + " rcpts=" + rcpts.sum() + " rcpt_ok=" + rcptOk.sum()
                    + " rcpt_rejected=" + rcptRejected.sum() + " received=" + received.sum()
                    + " connections=" + connections.sum() + "\n";
            // Written beside and renamed over, so a reader never sees half a line.
            Path temporary = statsFile.resolveSibling(statsFile.getFileName() + ".tmp");
            Files.writeString(temporary, stats);
            Files.move(temporary, statsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }

        private void flush(OutputStream out) throws IOException {
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            out.flush();
        }

        private void serve(Socket socket) {
            try (socket) {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(120_000);   // a stuck client must not keep a thread forever
                LineReader in = new LineReader(socket.getInputStream());
                OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
                writeLine(out, "220 backend.bench.test ESMTP bench back-end");
                boolean mail = false;
                int recipients = 0;
                boolean pending = true;   // replies written but not flushed
                while (true) {
                    if (pending && !in.hasPendingInput()) {
                        flush(out);
                        pending = false;
                    }
                    String line = in.readLine();
                    if (line == null) {
                        return;
                    }
                    pending = true;
                    String verb = (line.length() >= 4 ? line.substring(0, 4) : line).toUpperCase(Locale.ROOT);
                    switch (verb) {
                        case "EHLO" -> {
                            mail = false;
                            recipients = 0;
                            writeLine(out, "250-backend.bench.test");
                            writeLine(out, "250-PIPELINING");
                            writeLine(out, "250-8BITMIME");
                            writeLine(out, "250 SIZE 104857600");
                        }
                        case "HELO" -> {
                            mail = false;
                            recipients = 0;
                            writeLine(out, "250 backend.bench.test");
                        }
                        case "MAIL" -> {
                            if (mail) {
                                writeLine(out, "503 5.5.1 Nested MAIL command");
                            } else {
                                mail = true;
                                writeLine(out, "250 2.1.0 Ok");
                            }
                        }
                        case "RCPT" -> {
                            if (!mail) {
                                writeLine(out, "503 5.5.1 Need MAIL command");
                            } else {
                                rcpts.increment();
                                if (knows(line)) {
                                    recipients++;
                                    rcptOk.increment();
                                    writeLine(out, "250 2.1.5 Ok");
                                } else {
                                    rcptRejected.increment();
                                    writeLine(out, "550 5.1.1 <" + address(line) + ">: Recipient address rejected: User unknown");
                                }
                            }
                        }
                        case "DATA" -> {
                            if (recipients == 0) {
                                writeLine(out, mail ? "554 5.5.1 No valid recipients" : "503 5.5.1 Need MAIL command");
                            } else {
                                writeLine(out, "354 End data with <CR><LF>.<CR><LF>");
                                out.flush();
                                readMessage(in);
                                writeLine(out, "250 2.0.0 Ok: queued");
                                received.increment();
                            }
                            mail = false;
                            recipients = 0;
                        }
                        case "RSET" -> {
                            mail = false;
                            recipients = 0;
                            writeLine(out, "250 2.0.0 Ok");
                        }
                        case "NOOP" -> writeLine(out, "250 2.0.0 Ok");
                        case "QUIT" -> {
                            writeLine(out, "221 2.0.0 Bye");
                            out.flush();
                            return;
                        }
                        default -> writeLine(out, "502 5.5.2 Command not recognised");
                    }
                }
            } catch (IOException e) {
                // The client went away; nothing to count.
            }
        }

        private static String address(String rcptLine) {
            int open = rcptLine.indexOf('<');
            int close = rcptLine.indexOf('>', open + 1);
            return open < 0 || close < 0 ? "" : rcptLine.substring(open + 1, close);
        }

        /** The users of this back-end: local parts starting with "user". */
        private static boolean knows(String rcptLine) {
            return address(rcptLine).regionMatches(true, 0, "user", 0, 4);
        }

        private static void readMessage(LineReader in) throws IOException {
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new EOFException("connection closed during DATA");
                }
                if (line.equals(".")) {
                    return;
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // load

    /** N sessions share M RCPTs: each takes the next number until none is left. */
    private static final class Load {
        private final int port;
        private final int sessions;
        private final int rcpts;
        private final String domain;
        private final String tag;
        private final int pool;
        private final boolean random;
        private final int invalidPercent;
        private final int perMail;
        private final long seed;
        /** Between two RCPTs of one session when paced; 0 when not. */
        private final long intervalNanos;
        private final long deadlineNanos;

        private final AtomicInteger nextRcpt = new AtomicInteger();
        /** Latency in nanoseconds by RCPT number; -1 when it got no reply. */
        private final long[] latencies;
        private final LongAdder positive = new LongAdder();
        private final LongAdder temporary = new LongAdder();
        private final LongAdder permanent = new LongAdder();
        private final LongAdder wrong = new LongAdder();
        private final ConcurrentMap<String, LongAdder> failures = new ConcurrentHashMap<>();
        private final LongAdder connections = new LongAdder();

        Load(Map<String, String> options) {
            allowOnly(options, "port", "sessions", "rcpts", "domain", "tag", "pool", "order", "invalid-percent",
                    "per-mail", "rate", "seed", "max-seconds");
            this.port = intOption(options, "port", -1);
            this.sessions = intOption(options, "sessions", -1);
            this.rcpts = intOption(options, "rcpts", -1);
            this.domain = requiredOption(options, "domain");
            this.tag = options.getOrDefault("tag", "t");
            this.pool = intOption(options, "pool", 10_000);
            String order = options.getOrDefault("order", "sequential");
            if (!order.equals("sequential") && !order.equals("random")) {
                System.err.println("--order is sequential or random, not " + order);
                usage(2);
            }
            this.random = order.equals("random");
            this.invalidPercent = intOption(options, "invalid-percent", 30);
            this.perMail = intOption(options, "per-mail", 5);
            this.seed = intOption(options, "seed", 1);
            int rate = intOption(options, "rate", 0);
            this.intervalNanos = rate == 0 ? 0 : 1_000_000_000L * sessions / rate;
            this.deadlineNanos = System.nanoTime() + 1_000_000_000L * intOption(options, "max-seconds", 600);
            this.latencies = new long[rcpts];
            Arrays.fill(latencies, -1);
        }

        int run() throws InterruptedException {
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

        private static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }

        private int report(long startMillis, long endMillis, long wallNanos, long cpuNanos) {
            long[] answered = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
            int unanswered = rcpts - answered.length;
            double wallSeconds = wallNanos / 1e9;
            System.out.printf(Locale.ROOT, "sessions=%d rcpts=%d per_mail=%d invalid_percent=%d order=%s rate=%s connections=%d cpu_s=%.2f%n",
                    sessions, rcpts, perMail, invalidPercent, random ? "random" : "sequential",
                    intervalNanos == 0 ? "max" : Long.toString(Math.round(sessions * 1e9 / intervalNanos)),
                    connections.sum(), cpuNanos / 1e9);
            System.out.printf(Locale.ROOT,
                    "answered=%d unanswered=%d positive=%d temporary=%d permanent=%d wrong=%d wall_s=%.3f rcpt_per_s=%.1f"
                            + " p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f start_ms=%d end_ms=%d%n",
                    answered.length, unanswered, positive.sum(), temporary.sum(), permanent.sum(), wrong.sum(),
                    wallSeconds, answered.length / wallSeconds, percentile(answered, 50), percentile(answered, 90),
                    percentile(answered, 99), percentile(answered, 99.9), percentile(answered, 100), startMillis, endMillis);
            new TreeMap<>(failures).forEach((reason, count) ->
                    System.out.printf(Locale.ROOT, "failure count=%d reason=\"%s\"%n", count.sum(), reason));
            // More than 1 % unanswered or wrong: the figures describe a broken run, not a slow one.
            return (unanswered + wrong.sum()) * 100L > rcpts ? 1 : 0;
        }

        /** Nearest-rank percentile, in milliseconds. */
        private static double percentile(long[] sorted, double percent) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
            return sorted[Math.max(0, rank - 1)] / 1e6;
        }

        private int takeRcpt() {
            if (System.nanoTime() - deadlineNanos > 0) {
                return -1;   // out of time: what is left stays unsent and counts as unanswered
            }
            int n = nextRcpt.getAndIncrement();
            return n < rcpts ? n : -1;
        }

        private void failure(String reason) {
            failures.computeIfAbsent(reason, r -> new LongAdder()).increment();
        }

        private void session(int session) {
            SplittableRandom indexes = new SplittableRandom(seed * 1_000_003L + session);
            // Paced: the sessions' schedules are spread over one interval, so that they do not fire together.
            long due = System.nanoTime() + (intervalNanos == 0 ? 0 : indexes.nextLong(intervalNanos));
            int n = takeRcpt();
            while (n >= 0) {
                // Any failure ends the connection and the next RCPT goes on a new one.
                try (Connection connection = new Connection()) {
                    connections.increment();
                    boolean usable = true;
                    while (n >= 0 && usable) {
                        usable = connection.expect("MAIL FROM:<load@sender.example>", "250");
                        for (int k = 0; k < perMail && n >= 0 && usable; k++) {
                            int index = random ? indexes.nextInt(pool) : n;
                            if (intervalNanos > 0) {
                                // On schedule; a session that fell behind catches up without waiting.
                                long wait = due - System.nanoTime();
                                if (wait > 0) {
                                    LockSupport.parkNanos(wait);
                                }
                                due += intervalNanos;
                            }
                            usable = connection.rcpt(n, index);
                            n = takeRcpt();
                        }
                        usable = usable && connection.expect("RSET", "250");
                    }
                    if (usable) {
                        connection.quitQuietly();
                    }
                } catch (IOException e) {
                    failure("io: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                    n = takeRcpt();
                }
            }
        }

        private final class Connection implements AutoCloseable {
            private final Socket socket = new Socket();
            private final LineReader in;
            private final OutputStream out;

            Connection() throws IOException {
                try {
                    socket.setTcpNoDelay(true);
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
                    socket.setSoTimeout(120_000);
                    in = new LineReader(socket.getInputStream());
                    out = new BufferedOutputStream(socket.getOutputStream(), 4 * 1024);
                    String greeting = reply();
                    if (!greeting.startsWith("220")) {
                        throw new IOException("greeting " + greeting);
                    }
                    if (!expect("EHLO load.sender.example", "250")) {
                        throw new IOException("EHLO refused");
                    }
                } catch (IOException | RuntimeException e) {
                    socket.close();
                    throw e;
                }
            }

            /** Sends a command; false (and a failure noted) when the reply is not the expected class. */
            boolean expect(String command, String code) throws IOException {
                String reply = command(command);
                if (reply.startsWith(code)) {
                    return true;
                }
                failure(command.split("[ :]", 2)[0] + " " + reply);
                return !reply.startsWith("421") && !command.startsWith("EHLO");
            }

            /** One RCPT, timed; returns whether the connection can go on. */
            boolean rcpt(int n, int index) throws IOException {
                boolean invalid = index % 100 < invalidPercent;
                String address = (invalid ? "nobody-" : "user-") + tag + "-" + index + "@" + domain;
                byte[] line = ("RCPT TO:<" + address + ">\r\n").getBytes(StandardCharsets.US_ASCII);
                long start = System.nanoTime();
                out.write(line);
                out.flush();
                String reply = reply();
                latencies[n] = System.nanoTime() - start;
                switch (reply.isEmpty() ? '?' : reply.charAt(0)) {
                    case '2' -> positive.increment();
                    case '4' -> temporary.increment();
                    case '5' -> permanent.increment();
                    default -> { }
                }
                if (!reply.startsWith(invalid ? "5" : "2")) {
                    wrong.increment();
                    failure("RCPT " + (invalid ? "invalid" : "valid") + " " + reply);
                }
                return !reply.startsWith("421");
            }

            void quitQuietly() {
                try {
                    command("QUIT");
                } catch (IOException e) {
                    // closed anyway
                }
            }

            private String command(String line) throws IOException {
                writeLine(out, line);
                out.flush();
                return reply();
            }

            /** Reads a reply, multi-line included; returns its last line. */
            private String reply() throws IOException {
                while (true) {
                    String line = in.readLine();
                    if (line == null) {
                        throw new EOFException("connection closed by the server");
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
}
