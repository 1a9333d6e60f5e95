import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * SMTP load generator and fast sink for Gatehouse's throughput benchmark (issue 2). JDK only, run
 * with the source launcher, which finds the shared classes beside this file (JDK 22+, JEP 458):
 *
 * <pre>
 * java bench/SmtpLoad.java sink --port 0 --stats-file /tmp/sink.stats [--max-seconds 900]
 * java bench/SmtpLoad.java load --port 2525 --sessions 20 --messages 2000 --size 2KiB
 * </pre>
 *
 * <p>{@code sink} is the back-end: it accepts every transaction and writes
 * {@code port=P received=N duplicates=D bytes=B first_ms=T last_ms=T} (epoch milliseconds) to the
 * stats file every 200 ms, atomically, so a script can poll it. {@code load} plays N sending
 * servers and prints what the gateway accepted, how fast, and how long each acceptance took.
 *
 * <p>Everything binds or connects to 127.0.0.1 only, and both modes end by themselves
 * ({@code --max-seconds}), so a benchmark that goes wrong cannot leave a process behind.
 */
public final class SmtpLoad {

    public static void main(String[] args) throws Exception {
        BenchOptions.main(args, SmtpLoad::usage, Map.of(
                "sink", options -> new Sink(options).run(),
                "load", options -> new Load(options).run()));
    }

    private static void usage(int status) {
        (status == 0 ? System.out : System.err).println("""
                usage: SmtpLoad sink --port P [--stats-file F] [--max-seconds T]
                       SmtpLoad load --port P --sessions N --messages M --size S [--per-session K]
                                     [--to ADDR] [--from ADDR] [--max-seconds T]
                  P may be 0 for the sink (the chosen port is printed and written to the stats file).
                  S is bytes, or with a unit: 2KiB, 1MiB. K caps messages per connection (default: no cap).""");
        System.exit(status);
    }

    /** "2048", "2KiB", "1MiB": powers of 1024, as in Gatehouse's configuration. */
    private static int sizeOption(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        int factor = lower.endsWith("kib") ? 1024 : lower.endsWith("mib") ? 1024 * 1024 : 1;
        String digits = factor == 1 ? lower.replaceAll("b$", "") : lower.substring(0, lower.length() - 3);
        return Integer.parseInt(digits) * factor;
    }

    // ---------------------------------------------------------------------------------------------
    // sink

    /**
     * The fastest honest back-end: answers every command correctly, pipelining included, and does
     * nothing with the mail but count it. Replies are flushed only when the client has nothing more
     * buffered (RFC 2920), so a pipelined MAIL/RCPT/DATA costs one write.
     */
    private static final class Sink extends BenchBackend {
        private final LongAdder received = new LongAdder();
        private final LongAdder bytes = new LongAdder();
        private final LongAdder duplicates = new LongAdder();
        private final AtomicLong firstMillis = new AtomicLong();
        private final AtomicLong lastMillis = new AtomicLong();
        // Message-IDs seen: a gateway that delivers a message twice shows up as duplicates=.
        private final Set<String> messageIds = ConcurrentHashMap.newKeySet();

        Sink(BenchOptions options) {
            super("sink", "sink.bench.test", options.allowOnly("port", "stats-file", "max-seconds"));
        }

        @Override
        String greeting() {
            return "bench sink";
        }

        @Override
        String refuse(String rcptLine) {
            return null;
        }

        @Override
        String stats(int boundPort) {
            return "port=" + boundPort + " received=" + received.sum() + " duplicates=" + duplicates.sum()
                    + " bytes=" + bytes.sum() + " first_ms=" + firstMillis.get() + " last_ms=" + lastMillis.get();
        }

        @Override
        String total() {
            return "received=" + received.sum();
        }

        /** Reads the content up to CRLF.CRLF, notes its Message-ID and counts it. */
        @Override
        void receive(LineReader in) throws IOException {
            long size = 0;
            boolean inHeader = true;
            String messageId = null;
            byte[] line = new byte[1024];
            while (true) {
                // Only a line's first 1024 octets are kept: enough for the header checks.
                int length = in.readLine(line);
                if (length < 0) {
                    throw new EOFException("connection closed during DATA");
                }
                size += length + 1;
                if (length == 2 && line[0] == '.' && line[1] == '\r') {
                    break;
                }
                if (inHeader) {
                    if (length <= 1) {
                        inHeader = false;
                    } else if (messageId == null && length > 11
                            && new String(line, 0, 11, StandardCharsets.US_ASCII).equalsIgnoreCase("Message-ID:")) {
                        messageId = new String(line, 11, Math.min(length, line.length) - 11, StandardCharsets.US_ASCII).strip();
                    }
                }
            }
            long now = System.currentTimeMillis();
            if (messageId != null && !messageIds.add(messageId)) {
                duplicates.increment();
            }
            bytes.add(size);
            firstMillis.compareAndSet(0, now);
            lastMillis.accumulateAndGet(now, Math::max);
            received.increment();   // last, so that a reader who sees received=N also sees last_ms for it
        }
    }

    // ---------------------------------------------------------------------------------------------
    // load

    /**
     * N sessions share one pool of M messages: each takes the next message number until none is
     * left, so a slow session never holds the others back at the end.
     */
    private static final class Load extends LoadGenerator {
        private final int messages;
        private final int size;
        private final int perConnection;
        private final String to;
        private final String from;
        private final String runId = Long.toString(System.currentTimeMillis(), 36);

        private final AtomicInteger nextMessage = new AtomicInteger();
        /** Acceptance latency in nanoseconds, by message number; -1 when the message was not accepted. */
        private final long[] latencies;
        private volatile boolean pipelining;

        Load(BenchOptions options) {
            super(options.allowOnly("port", "sessions", "messages", "size", "per-session", "to", "from", "max-seconds"));
            this.messages = options.integer("messages", -1);
            this.size = sizeOption(options.get("size", "2KiB"));
            this.perConnection = options.integer("per-session", Integer.MAX_VALUE);
            this.to = options.get("to", "user@bench.test");
            this.from = options.get("from", "load@sender.example");
            this.latencies = new long[messages];
            Arrays.fill(latencies, -1);
        }

        @Override
        int report(long startMillis, long endMillis, long wallNanos, long cpuNanos) {
            long[] accepted = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
            int failed = messages - accepted.length;
            double wallSeconds = wallNanos / 1e9;
            System.out.printf(Locale.ROOT, "sessions=%d messages=%d size=%d pipelining=%s connections=%d cpu_s=%.2f%n",
                    sessions, messages, size, pipelining ? "yes" : "no", connections.sum(), cpuNanos / 1e9);
            System.out.printf(Locale.ROOT,
                    "accepted=%d failed=%d wall_s=%.3f accepted_per_s=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f start_ms=%d end_ms=%d%n",
                    accepted.length, failed, wallSeconds, accepted.length / wallSeconds,
                    percentile(accepted, 50), percentile(accepted, 99), percentile(accepted, 100), startMillis, endMillis);
            printFailures();
            // More than 1 % failed: the figures describe a broken run, not a slow one.
            return failed * 100L > messages ? 1 : 0;
        }

        @Override
        void session(int session) {
            Random random = new Random(session);
            int message = takeMessage();
            while (message >= 0) {
                // One connection carries up to perConnection messages; any failure ends it and the
                // next message goes on a new one, as a sending MTA would do.
                try (Connection connection = new Connection()) {
                    connections.increment();
                    boolean usable = true;
                    for (int sent = 0; message >= 0 && usable && sent < perConnection; sent++) {
                        usable = connection.send(message, content(message, random));
                        message = takeMessage();
                    }
                    if (usable) {
                        connection.quitQuietly();
                    }
                } catch (IOException e) {
                    // The message in flight failed (it is not retried); the next one gets a new connection.
                    failure("io: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                    message = takeMessage();
                }
            }
        }

        private int takeMessage() {
            if (outOfTime()) {
                return -1;   // what is left counts as failed
            }
            int message = nextMessage.getAndIncrement();
            return message < messages ? message : -1;
        }

        private final class Connection extends LoadGenerator.Connection {
            private final boolean canPipeline;
            private final boolean canSize;

            Connection() throws IOException {
                super(64 * 1024, 64 * 1024);
                try {
                    LineReader.writeLine(out, "EHLO load.sender.example");
                    out.flush();
                    List<String> ehlo = new ArrayList<>();
                    String last = reply(ehlo);
                    if (!last.startsWith("250")) {
                        throw new IOException("EHLO " + last);
                    }
                    canPipeline = advertises(ehlo, "PIPELINING");
                    canSize = advertises(ehlo, "SIZE");
                    pipelining = canPipeline;
                } catch (IOException | RuntimeException e) {
                    close();
                    throw e;
                }
            }

            /** RFC 5321 4.1.1.1: the EHLO keywords follow "250-" or "250 ", parameters after a space. */
            private static boolean advertises(List<String> ehlo, String keyword) {
                return ehlo.stream().skip(1).anyMatch(line -> line.length() > 4
                        && line.substring(4).strip().split(" ", 2)[0].equalsIgnoreCase(keyword));
            }

            /**
             * One transaction; records its latency or its failure. Returns whether the connection
             * can carry another one.
             */
            boolean send(int message, byte[] content) throws IOException {
                long start = System.nanoTime();
                String mail = "MAIL FROM:<" + from + ">" + (canSize ? " SIZE=" + content.length : "");   // RFC 1870
                String mailReply;
                String rcptReply;
                String dataReply;
                if (canPipeline) {
                    LineReader.writeLine(out, mail);
                    LineReader.writeLine(out, "RCPT TO:<" + to + ">");
                    LineReader.writeLine(out, "DATA");
                    out.flush();
                    mailReply = reply();
                    rcptReply = reply();
                    dataReply = reply();
                } else {
                    mailReply = command(mail);
                    rcptReply = mailReply.startsWith("250") ? command("RCPT TO:<" + to + ">") : mailReply;
                    dataReply = rcptReply.startsWith("250") ? command("DATA") : rcptReply;
                }
                if (!dataReply.startsWith("354")) {
                    failure(!mailReply.startsWith("250") ? "MAIL " + mailReply
                            : !rcptReply.startsWith("250") ? "RCPT " + rcptReply : "DATA " + dataReply);
                    return !closesSession(mailReply, rcptReply, dataReply) && reset();
                }
                if (!rcptReply.startsWith("250")) {
                    // RFC 2920 3.1: DATA accepted without a recipient; an empty message ends it.
                    failure("RCPT " + rcptReply);
                    out.write(new byte[] {'.', '\r', '\n'});
                    out.flush();
                    return !reply().startsWith("421");
                }
                out.write(content);   // already dot-stuffed, ends with CRLF
                out.write(new byte[] {'.', '\r', '\n'});
                out.flush();
                String queued = reply();
                if (queued.startsWith("250")) {
                    latencies[message] = System.nanoTime() - start;
                    return true;
                }
                failure("end of data " + queued);
                return !queued.startsWith("421");
            }

            private boolean reset() throws IOException {
                String reply = command("RSET");
                return reply.startsWith("250");
            }
        }

        private static boolean closesSession(String... replies) {
            return Arrays.stream(replies).anyMatch(r -> r.startsWith("421"));
        }

        // -----------------------------------------------------------------------------------------
        // Message content

        private static final String[] WORDS = ("the queue gateway message delivery server recipient sender "
                + "network mail relay domain backend report meeting budget quarter review invoice schedule "
                + "project update please find attached regards thanks tomorrow morning afternoon agenda "
                + "minutes draft final version change request approval team office customer order").split(" ");
        private static final DateTimeFormatter RFC_5322_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

        /**
         * About {@code size} octets of a plausible plain-text mail: the usual headers, then prose in
         * lines of at most 78 characters (RFC 5322 2.1.1). Some lines start with a dot, so the
         * gateway's unstuffing and re-stuffing are exercised; they are stuffed here (RFC 5321
         * 4.5.2), and the size counts the message before stuffing.
         */
        private byte[] content(int message, Random random) {
            StringBuilder text = new StringBuilder(size + 256);
            text.append("From: Load Generator <").append(from).append(">\r\n");
            text.append("To: <").append(to).append(">\r\n");
            text.append("Subject: Benchmark message ").append(message).append(" of ").append(messages).append("\r\n");
            text.append("Date: ").append(ZonedDateTime.now().format(RFC_5322_DATE)).append("\r\n");
            text.append("Message-ID: <").append(runId).append('.').append(message).append("@load.sender.example>\r\n");
            text.append("MIME-Version: 1.0\r\n");
            text.append("Content-Type: text/plain; charset=us-ascii\r\n");
            text.append("Content-Transfer-Encoding: 7bit\r\n");
            text.append("\r\n");
            int unstuffed = text.length();
            int line = 0;
            while (unstuffed < size) {
                StringBuilder sentence = new StringBuilder(80);
                if (++line % 10 == 0) {
                    sentence.append('.');   // a leading dot: stuffed below
                }
                int width = Math.min(78, Math.max(1, size - unstuffed - 2));
                while (sentence.length() < width) {
                    String word = WORDS[random.nextInt(WORDS.length)];
                    if (sentence.length() + word.length() + 1 > width) {
                        break;
                    }
                    sentence.append(sentence.isEmpty() || sentence.charAt(sentence.length() - 1) == '.' ? "" : " ").append(word);
                }
                while (sentence.length() < width && sentence.length() < 2) {
                    sentence.append('x');
                }
                unstuffed += sentence.length() + 2;
                if (sentence.charAt(0) == '.') {
                    text.append('.');
                }
                text.append(sentence).append("\r\n");
            }
            return text.toString().getBytes(StandardCharsets.US_ASCII);
        }
    }
}
