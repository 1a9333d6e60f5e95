import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * RCPT load generator and verifying back-end for Gatehouse's recipient-verification benchmark
 * (issue 3). JDK only, run with the source launcher, which finds the shared classes beside this file
 * (JDK 22+, JEP 458), or compiled once:
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

    public static void main(String[] args) throws Exception {
        BenchOptions.main(args, SmtpRcptLoad::usage, Map.of(
                "backend", options -> new Backend(options).run(),
                "load", options -> new Load(options).run()));
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

    // ---------------------------------------------------------------------------------------------
    // backend

    /**
     * A domain's mail server that knows its users: RCPT {@code user*} is 250, any other 550. Replies
     * are flushed only when the client has nothing more buffered (RFC 2920), after the configured
     * delay: a probe's pipelined MAIL, RCPT and RSET cost one delay, as one network round trip would.
     */
    private static final class Backend extends BenchBackend {
        private final long delayMillis;
        private final LongAdder rcpts = new LongAdder();
        private final LongAdder rcptOk = new LongAdder();
        private final LongAdder rcptRejected = new LongAdder();
        private final LongAdder received = new LongAdder();

        Backend(BenchOptions options) {
            super("backend", "backend.bench.test", options.allowOnly("port", "delay-ms", "stats-file", "max-seconds"));
            this.delayMillis = options.integer("delay-ms", 0);
        }

        @Override
        String greeting() {
            return "bench back-end";
        }

        @Override
        String settings() {
            return " delay_ms=" + delayMillis;
        }

        @Override
        String refuse(String rcptLine) {
            rcpts.increment();
            if (knows(rcptLine)) {
                rcptOk.increment();
                return null;
            }
            rcptRejected.increment();
            return "550 5.1.1 <" + address(rcptLine) + ">: Recipient address rejected: User unknown";
        }

        @Override
        String stats(int boundPort) {
            return "port=" + boundPort + " rcpts=" + rcpts.sum() + " rcpt_ok=" + rcptOk.sum()
                    + " rcpt_rejected=" + rcptRejected.sum() + " received=" + received.sum()
                    + " connections=" + connections.sum();
        }

        @Override
        String total() {
            return "rcpts=" + rcpts.sum();
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

        @Override
        void receive(LineReader in) throws IOException {
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new EOFException("connection closed during DATA");
                }
                if (line.equals(".")) {
                    received.increment();
                    return;
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // load

    /** N sessions share M RCPTs: each takes the next number until none is left. */
    private static final class Load extends LoadGenerator {
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

        private final AtomicInteger nextRcpt = new AtomicInteger();
        /** Latency in nanoseconds by RCPT number; -1 when it got no reply. */
        private final long[] latencies;
        private final LongAdder positive = new LongAdder();
        private final LongAdder temporary = new LongAdder();
        private final LongAdder permanent = new LongAdder();
        private final LongAdder wrong = new LongAdder();

        Load(BenchOptions options) {
            super(options.allowOnly("port", "sessions", "rcpts", "domain", "tag", "pool", "order", "invalid-percent",
                    "per-mail", "rate", "seed", "max-seconds"));
            this.rcpts = options.integer("rcpts", -1);
            this.domain = options.required("domain");
            this.tag = options.get("tag", "t");
            this.pool = options.integer("pool", 10_000);
            String order = options.get("order", "sequential");
            if (!order.equals("sequential") && !order.equals("random")) {
                options.refuse("--order is sequential or random, not " + order);
            }
            this.random = order.equals("random");
            this.invalidPercent = options.integer("invalid-percent", 30);
            this.perMail = options.integer("per-mail", 5);
            this.seed = options.integer("seed", 1);
            int rate = options.integer("rate", 0);
            this.intervalNanos = rate == 0 ? 0 : 1_000_000_000L * sessions / rate;
            this.latencies = new long[rcpts];
            Arrays.fill(latencies, -1);
        }

        @Override
        int report(long startMillis, long endMillis, long wallNanos, long cpuNanos) {
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
            printFailures();
            // More than 1 % unanswered or wrong: the figures describe a broken run, not a slow one.
            return (unanswered + wrong.sum()) * 100L > rcpts ? 1 : 0;
        }

        private int takeRcpt() {
            if (outOfTime()) {
                return -1;   // what is left counts as unanswered
            }
            int n = nextRcpt.getAndIncrement();
            return n < rcpts ? n : -1;
        }

        @Override
        void session(int session) {
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

        private final class Connection extends LoadGenerator.Connection {
            Connection() throws IOException {
                super(16 * 1024, 4 * 1024);
                try {
                    if (!expect("EHLO load.sender.example", "250")) {
                        throw new IOException("EHLO refused");
                    }
                } catch (IOException | RuntimeException e) {
                    close();
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
        }
    }
}

