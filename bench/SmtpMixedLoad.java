import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Whole messages with existing and unknown recipients mixed: the load of the comparison with
 * Postfix (issue 5, bench/run-vs-postfix.sh). JDK only, run with the source launcher, which finds
 * the shared classes beside this file (JDK 22+, JEP 458), or compiled once:
 *
 * <pre>
 * java bench/SmtpMixedLoad.java mailboxes --count 10000 --domain bench.test > mailboxes
 * java bench/SmtpMixedLoad.java load --port 2525 --sessions 20 --messages 20 --first 0 --count 4000 \
 *      --order random --domain bench.test
 * </pre>
 *
 * <p>{@code load} plays N sending servers. Each session connects once, says EHLO, then sends
 * {@code --messages} messages: {@code MAIL FROM}, {@code --per-mail} RCPTs one at a time (each
 * timed from writing it to reading its reply), then {@code DATA} with a message of about
 * {@code --size} octets when at least one recipient was accepted, {@code RSET} when none was.
 * Nothing is retried: a 4xx is the first attempt's answer, counted as temporary (and as "in
 * progress" when it says so, as Postfix's "Address verification in progress" does). A valid
 * address answered 5xx, or an unknown one 2xx, is wrong.
 *
 * <p>Addresses are numbered: {@code --order sequential} takes F, F+1, ... F+C-1 (each once, over
 * all sessions; with {@code --messages 0} the sessions go on until they are used up: a warm-up
 * pass), {@code --order random} draws from that range (addresses asked about before). Address
 * {@code i} is {@code nobody-i@D} when {@link #invalid} says so, about {@code --invalid-percent} of
 * them spread evenly, else {@code user-i@D}. {@code mailboxes} prints the first N valid addresses,
 * the back-end's users, and {@code last_index=L} on standard error.
 *
 * <p>Everything connects to 127.0.0.1 only, and the load ends by itself ({@code --max-seconds}).
 */
public final class SmtpMixedLoad {

    public static void main(String[] args) throws Exception {
        BenchOptions.main(args, SmtpMixedLoad::usage, Map.of(
                "load", options -> new Load(options).run(),
                "mailboxes", SmtpMixedLoad::mailboxes));
    }

    private static void usage(int status) {
        (status == 0 ? System.out : System.err).println("""
                usage: SmtpMixedLoad load --port P --sessions N --messages M --first F --count C --domain D
                                          [--order sequential|random] [--per-mail K] [--invalid-percent I]
                                          [--size BYTES] [--seed X] [--max-seconds T]
                       SmtpMixedLoad mailboxes --count N --domain D [--invalid-percent I]
                  M messages per session (0: until the C addresses are used up, sequential order only),
                  each with K recipients from the addresses F .. F+C-1.
                  Defaults: order sequential, 5 recipients per message, invalid 30 %, size 2048.""");
        System.exit(status);
    }

    /** Whether address number {@code index} is an unknown one: a fixed hash, so spread evenly. */
    static boolean invalid(int index, int invalidPercent) {
        long z = (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return Long.remainderUnsigned(z, 100) < invalidPercent;
    }

    static String address(int index, int invalidPercent, String domain) {
        return (invalid(index, invalidPercent) ? "nobody-" : "user-") + index + "@" + domain;
    }

    /** The back-end's mailboxes: the first {@code --count} valid addresses. */
    private static int mailboxes(BenchOptions options) {
        options.allowOnly("count", "domain", "invalid-percent");
        int wanted = options.integer("count", -1);
        String domain = options.required("domain");
        int invalidPercent = options.integer("invalid-percent", 30);
        StringBuilder out = new StringBuilder(wanted * 24);
        int index = 0;
        for (int printed = 0; printed < wanted; index++) {
            if (!invalid(index, invalidPercent)) {
                out.append("user-").append(index).append('@').append(domain).append('\n');
                printed++;
            }
        }
        System.out.print(out);
        System.out.flush();
        System.err.println("last_index=" + (index - 1));
        return 0;
    }

    private static final class Load extends LoadGenerator {
        private final int messages;
        private final int first;
        private final int count;
        private final String domain;
        private final boolean random;
        private final int perMail;
        private final int invalidPercent;
        private final int size;
        private final long seed;

        private final AtomicInteger nextAddress = new AtomicInteger();
        private final AtomicInteger nextSlot = new AtomicInteger();
        /** Latency in nanoseconds of each RCPT sent, in the order sent; -1 when it got no reply. */
        private final long[] latencies;
        private final LongAdder positive = new LongAdder();
        private final LongAdder temporary = new LongAdder();
        private final LongAdder inProgress = new LongAdder();
        private final LongAdder permanent = new LongAdder();
        private final LongAdder wrong = new LongAdder();
        private final LongAdder accepted = new LongAdder();
        private final LongAdder acceptedRecipients = new LongAdder();
        private final LongAdder dataFailed = new LongAdder();
        private final LongAdder noRecipient = new LongAdder();

        Load(BenchOptions options) {
            super(options.allowOnly("port", "sessions", "messages", "first", "count", "domain", "order", "per-mail",
                    "invalid-percent", "size", "seed", "max-seconds"));
            this.messages = options.integer("messages", -1);
            this.first = options.integer("first", -1);
            this.count = options.integer("count", -1);
            this.domain = options.required("domain");
            String order = options.get("order", "sequential");
            if (!order.equals("sequential") && !order.equals("random")) {
                options.refuse("--order is sequential or random, not " + order);
            }
            this.random = order.equals("random");
            if (random && messages == 0) {
                options.refuse("--order random needs --messages above 0");
            }
            this.perMail = options.integer("per-mail", 5);
            this.invalidPercent = options.integer("invalid-percent", 30);
            this.size = options.integer("size", 2048);
            this.seed = options.integer("seed", 1);
            long slots = messages == 0 ? count : (long) sessions * messages * perMail;
            if (!random) {
                slots = Math.min(slots, count);
            }
            this.latencies = new long[Math.toIntExact(slots)];
            Arrays.fill(latencies, -1);
        }

        @Override
        int report(long startMillis, long endMillis, long wallNanos, long cpuNanos) {
            int sent = Math.min(nextSlot.get(), latencies.length);
            long[] answered = Arrays.stream(latencies, 0, sent).filter(l -> l >= 0).sorted().toArray();
            double wallSeconds = wallNanos / 1e9;
            System.out.printf(Locale.ROOT, "sessions=%d messages_per_session=%d per_mail=%d invalid_percent=%d order=%s"
                            + " first=%d count=%d connections=%d cpu_s=%.2f%n",
                    sessions, messages, perMail, invalidPercent, random ? "random" : "sequential", first, count,
                    connections.sum(), cpuNanos / 1e9);
            System.out.printf(Locale.ROOT,
                    "answered=%d unanswered=%d positive=%d temporary=%d in_progress=%d permanent=%d wrong=%d"
                            + " temporary_percent=%.2f rcpt_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f%n",
                    answered.length, sent - answered.length, positive.sum(), temporary.sum(), inProgress.sum(),
                    permanent.sum(), wrong.sum(), answered.length == 0 ? 0.0 : 100.0 * temporary.sum() / answered.length,
                    answered.length / wallSeconds, percentile(answered, 50), percentile(answered, 90),
                    percentile(answered, 99), percentile(answered, 100));
            System.out.printf(Locale.ROOT,
                    "accepted=%d accepted_rcpts=%d data_failed=%d no_recipient=%d wall_s=%.3f accepted_per_s=%.1f"
                            + " start_ms=%d end_ms=%d%n",
                    accepted.sum(), acceptedRecipients.sum(), dataFailed.sum(), noRecipient.sum(), wallSeconds,
                    accepted.sum() / wallSeconds, startMillis, endMillis);
            printFailures();
            // More than 1 % unanswered or wrong: the figures describe a broken run, not a slow one.
            return (sent - answered.length + wrong.sum()) * 100L > Math.max(1, sent) ? 1 : 0;
        }

        /** The next address number; -1 when none is left or time is up. */
        private int takeAddress(SplittableRandom indexes) {
            if (outOfTime()) {
                return -1;
            }
            if (random) {
                return first + indexes.nextInt(count);
            }
            int n = nextAddress.getAndIncrement();
            return n < count ? first + n : -1;
        }

        @Override
        void session(int session) {
            SplittableRandom indexes = new SplittableRandom(seed * 1_000_003L + session);
            int sent = 0;
            int ioFailures = 0;
            boolean more = true;
            while (more && (messages == 0 || sent < messages) && ioFailures < 20 && !outOfTime()) {
                // A failure ends the connection; the session's next message goes on a new one.
                try (Connection connection = new Connection()) {
                    connections.increment();
                    while (more && (messages == 0 || sent < messages)) {
                        int result = connection.message(session, sent, indexes);
                        sent++;
                        if (result < 0) {
                            more = false;   // no address left
                        } else if (result == 0) {
                            break;          // the connection is no longer usable
                        }
                    }
                    if (!more || (messages != 0 && sent >= messages)) {
                        connection.quitQuietly();
                    }
                } catch (IOException e) {
                    failure("io: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                    sent++;         // that message is lost, not retried
                    ioFailures++;   // a server that keeps failing ends the session
                }
            }
        }

        private void rcptFailure(String kind, boolean invalid, String reply) {
            // Addresses and numbers out, so that the same answer is counted once.
            failure("RCPT " + (invalid ? "invalid " : "valid ") + kind + " "
                    + reply.replaceAll("<[^>]*>", "<...>").replaceAll("[0-9]+", "N"));
        }

        private final class Connection extends LoadGenerator.Connection {
            Connection() throws IOException {
                super(16 * 1024, 8 * 1024);
                try {
                    if (!command("EHLO load.sender.example").startsWith("250")) {
                        throw new IOException("EHLO refused");
                    }
                } catch (IOException | RuntimeException e) {
                    close();
                    throw e;
                }
            }

            /** One message: 1 when the connection can go on, 0 when it cannot, -1 when no address was left. */
            int message(int session, int number, SplittableRandom indexes) throws IOException {
                String reply = command("MAIL FROM:<load-" + session + "@sender.example>");
                if (!reply.startsWith("250")) {
                    failure("MAIL " + reply);
                    return reply.startsWith("421") ? 0 : 1;
                }
                List<String> recipients = new ArrayList<>(perMail);
                boolean exhausted = false;
                for (int k = 0; k < perMail; k++) {
                    int index = takeAddress(indexes);
                    if (index < 0) {
                        exhausted = true;
                        break;
                    }
                    String address = address(index, invalidPercent, domain);
                    reply = rcpt(address, invalid(index, invalidPercent));
                    if (reply.startsWith("421")) {
                        return 0;
                    }
                    if (reply.startsWith("2")) {
                        recipients.add(address);
                    }
                }
                if (recipients.isEmpty()) {
                    if (!exhausted) {
                        noRecipient.increment();
                    }
                    reply = command("RSET");
                    return reply.startsWith("250") ? (exhausted ? -1 : 1) : 0;
                }
                reply = command("DATA");
                if (!reply.startsWith("354")) {
                    dataFailed.increment();
                    failure("DATA " + reply);
                    return reply.startsWith("421") ? 0 : (command("RSET").startsWith("250") ? 1 : 0);
                }
                out.write(body(session, number, recipients));
                out.flush();
                reply = reply();
                if (reply.startsWith("250")) {
                    accepted.increment();
                    acceptedRecipients.add(recipients.size());
                } else {
                    dataFailed.increment();
                    failure("end of DATA " + reply);
                    if (reply.startsWith("421")) {
                        return 0;
                    }
                }
                return exhausted ? -1 : 1;
            }

            /** One RCPT, timed; its reply. */
            String rcpt(String address, boolean invalid) throws IOException {
                int slot = nextSlot.getAndIncrement();
                byte[] line = ("RCPT TO:<" + address + ">\r\n").getBytes(StandardCharsets.US_ASCII);
                long start = System.nanoTime();
                out.write(line);
                out.flush();
                String reply = reply();
                if (slot < latencies.length) {
                    latencies[slot] = System.nanoTime() - start;
                }
                switch (reply.isEmpty() ? '?' : reply.charAt(0)) {
                    case '2' -> positive.increment();
                    case '4' -> {
                        temporary.increment();
                        if (reply.toLowerCase(Locale.ROOT).contains("in progress")) {
                            inProgress.increment();
                        }
                        rcptFailure("4xx", invalid, reply);
                    }
                    case '5' -> permanent.increment();
                    default -> { }
                }
                boolean known = reply.startsWith("2") || reply.startsWith("4") || reply.startsWith("5");
                if (!known || reply.startsWith(invalid ? "2" : "5")) {
                    wrong.increment();
                    rcptFailure("wrong", invalid, reply);
                }
                return reply;
            }

            /** About {@code size} octets: a few headers, then lines of x (never a leading dot to stuff). */
            private byte[] body(int session, int number, List<String> recipients) {
                StringBuilder text = new StringBuilder(size + 512);
                text.append("From: <load-").append(session).append("@sender.example>\r\n")
                        .append("To: <").append(recipients.getFirst()).append(">\r\n")
                        .append("Subject: gatehouse vs postfix ").append(session).append('/').append(number).append("\r\n")
                        .append("Message-ID: <").append(System.nanoTime()).append('.').append(session).append('.')
                        .append(number).append("@sender.example>\r\n")
                        .append("Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\n");
                int body = 0;
                while (body < size) {
                    int width = Math.min(76, Math.max(1, size - body - 2));
                    text.append("x".repeat(width)).append("\r\n");
                    body += width + 2;
                }
                text.append(".\r\n");
                return text.toString().getBytes(StandardCharsets.US_ASCII);
            }
        }
    }
}
