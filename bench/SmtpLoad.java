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
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * SMTP load generator and fast sink for Gatehouse's throughput benchmark (issue 2). JDK only, one
 * file, run with the source launcher (JEP 330):
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

    private static final byte[] CRLF = {'\r', '\n'};

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help")) {
            usage(0);
        }
        Map<String, String> options = options(Arrays.copyOfRange(args, 1, args.length));
        int status = switch (args[0]) {
            case "sink" -> new Sink(options).run();
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
                usage: SmtpLoad sink --port P [--stats-file F] [--max-seconds T]
                       SmtpLoad load --port P --sessions N --messages M --size S [--per-session K]
                                     [--to ADDR] [--from ADDR] [--max-seconds T]
                  P may be 0 for the sink (the chosen port is printed and written to the stats file).
                  S is bytes, or with a unit: 2KiB, 1MiB. K caps messages per connection (default: no cap).""");
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

    /** "2048", "2KiB", "1MiB": powers of 1024, as in Gatehouse's configuration. */
    private static int sizeOption(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        int factor = lower.endsWith("kib") ? 1024 : lower.endsWith("mib") ? 1024 * 1024 : 1;
        String digits = factor == 1 ? lower.replaceAll("b$", "") : lower.substring(0, lower.length() - 3);
        return Integer.parseInt(digits) * factor;
    }

    // ---------------------------------------------------------------------------------------------
    // Line I/O shared by both sides

    /**
     * Buffered input for SMTP lines. {@link java.io.BufferedInputStream} would do, but it takes a
     * lock per {@code read()}; the sink and the load share the CPUs with the gateway under test, so
     * their own cost per octet is kept low.
     */
    private static final class LineReader {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        private int position;
        private int limit;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** Whether more input is waiting: then replies can wait too (RFC 2920). */
        boolean hasPendingInput() throws IOException {
            return position < limit || in.available() > 0;
        }

        /**
         * Reads one line up to LF into {@code into}, without the LF; octets beyond its capacity are
         * dropped. Returns the whole line's length (CR included), or -1 at end of stream.
         */
        int readLine(byte[] into) throws IOException {
            int length = 0;
            while (true) {
                if (position == limit) {
                    int read = in.read(buffer, 0, buffer.length);
                    if (read < 0) {
                        if (length == 0) {
                            return -1;
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
                if (length < into.length) {
                    System.arraycopy(buffer, start, into, length, Math.min(chunk, into.length - length));
                }
                length += chunk;
                if (position < limit) {
                    position++;   // the LF
                    return length;
                }
            }
        }

        /** A command or reply line without CRLF; null at end of stream. */
        String readLine() throws IOException {
            byte[] line = new byte[1024];
            int length = readLine(line);
            if (length < 0) {
                return null;
            }
            length = Math.min(length, line.length);
            if (length > 0 && line[length - 1] == '\r') {
                length--;
            }
            return new String(line, 0, length, StandardCharsets.UTF_8);
        }
    }

    private static void writeLine(OutputStream out, String line) throws IOException {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write(CRLF);
    }

    // ---------------------------------------------------------------------------------------------
    // sink

    /**
     * The fastest honest back-end: answers every command correctly, pipelining included, and does
     * nothing with the mail but count it. Replies are flushed only when the client has nothing more
     * buffered (RFC 2920), so a pipelined MAIL/RCPT/DATA costs one write.
     */
    private static final class Sink {
        private final int port;
        private final Path statsFile;
        private final long deadline;
        private final LongAdder received = new LongAdder();
        private final LongAdder bytes = new LongAdder();
        private final LongAdder duplicates = new LongAdder();
        private final AtomicLong firstMillis = new AtomicLong();
        private final AtomicLong lastMillis = new AtomicLong();
        // Message-IDs seen: a gateway that delivers a message twice shows up as duplicates=.
        private final Set<String> messageIds = ConcurrentHashMap.newKeySet();

        Sink(Map<String, String> options) {
            allowOnly(options, "port", "stats-file", "max-seconds");
            this.port = intOption(options, "port", -1);
            this.statsFile = options.containsKey("stats-file") ? Path.of(options.get("stats-file")) : null;
            this.deadline = System.currentTimeMillis() + 1000L * intOption(options, "max-seconds", 900);
        }

        int run() throws IOException, InterruptedException {
            ServerSocket listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
            System.out.println("sink_listening port=" + listener.getLocalPort());
            Thread.ofPlatform().daemon().name("sink-accept").start(() -> accept(listener));
            while (System.currentTimeMillis() < deadline) {
                writeStats(listener.getLocalPort());
                Thread.sleep(200);
            }
            listener.close();
            writeStats(listener.getLocalPort());
            System.out.println("sink_stopped reason=max-seconds received=" + received.sum());
            return 0;
        }

        private void accept(ServerSocket listener) {
            while (!listener.isClosed()) {
                try {
                    Socket socket = listener.accept();
                    Thread.ofVirtual().name("sink-session").start(() -> serve(socket));
                } catch (IOException e) {
                    if (!listener.isClosed()) {
                        System.err.println("sink_accept_failed error=\"" + e.getMessage() + "\"");
                    }
                }
            }
        }

        private void writeStats(int boundPort) throws IOException {
            String stats = "port=" + boundPort + " received=" + received.sum() + " duplicates=" + duplicates.sum()
                    + " bytes=" + bytes.sum() + " first_ms=" + firstMillis.get() + " last_ms=" + lastMillis.get() + "\n";
            if (statsFile == null) {
                return;
            }
            // Written beside and renamed over, so a reader never sees half a line.
            Path temporary = statsFile.resolveSibling(statsFile.getFileName() + ".tmp");
            Files.writeString(temporary, stats);
            Files.move(temporary, statsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }

        private void serve(Socket socket) {
            try (socket) {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(120_000);   // a stuck client must not keep a thread forever
                LineReader in = new LineReader(socket.getInputStream());
                OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
                writeLine(out, "220 sink.bench.test ESMTP bench sink");
                boolean mail = false;
                int recipients = 0;
                while (true) {
                    if (!in.hasPendingInput()) {
                        out.flush();
                    }
                    String line = in.readLine();
                    if (line == null) {
                        return;
                    }
                    String verb = (line.length() >= 4 ? line.substring(0, 4) : line).toUpperCase(Locale.ROOT);
                    switch (verb) {
                        case "EHLO" -> {
                            mail = false;
                            recipients = 0;
                            writeLine(out, "250-sink.bench.test");
                            writeLine(out, "250-PIPELINING");
                            writeLine(out, "250-8BITMIME");
                            writeLine(out, "250 SIZE 104857600");
                        }
                        case "HELO" -> {
                            mail = false;
                            recipients = 0;
                            writeLine(out, "250 sink.bench.test");
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
                                recipients++;
                                writeLine(out, "250 2.1.5 Ok");
                            }
                        }
                        case "DATA" -> {
                            if (recipients == 0) {
                                // RFC 2920 3.1: with no valid recipient DATA is refused, and no content follows.
                                writeLine(out, mail ? "554 5.5.1 No valid recipients" : "503 5.5.1 Need MAIL command");
                            } else {
                                writeLine(out, "354 End data with <CR><LF>.<CR><LF>");
                                out.flush();
                                readMessage(in);
                                writeLine(out, "250 2.0.0 Ok: queued");
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

        /** Reads the content up to CRLF.CRLF, notes its Message-ID and counts it. */
        private void readMessage(LineReader in) throws IOException {
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
    private static final class Load {
        private final int port;
        private final int sessions;
        private final int messages;
        private final int size;
        private final int perConnection;
        private final String to;
        private final String from;
        private final long deadlineNanos;
        private final String runId = Long.toString(System.currentTimeMillis(), 36);

        private final AtomicInteger nextMessage = new AtomicInteger();
        /** Acceptance latency in nanoseconds, by message number; -1 when the message was not accepted. */
        private final long[] latencies;
        private final ConcurrentMap<String, LongAdder> failures = new ConcurrentHashMap<>();
        private final LongAdder connections = new LongAdder();
        private volatile boolean pipelining;

        Load(Map<String, String> options) {
            allowOnly(options, "port", "sessions", "messages", "size", "per-session", "to", "from", "max-seconds");
            this.port = intOption(options, "port", -1);
            this.sessions = intOption(options, "sessions", -1);
            this.messages = intOption(options, "messages", -1);
            this.size = sizeOption(options.getOrDefault("size", "2KiB"));
            this.perConnection = intOption(options, "per-session", Integer.MAX_VALUE);
            this.to = options.getOrDefault("to", "user@bench.test");
            this.from = options.getOrDefault("from", "load@sender.example");
            this.deadlineNanos = System.nanoTime() + 1_000_000_000L * intOption(options, "max-seconds", 600);
            this.latencies = new long[messages];
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

        /** CPU time of this process: the load generator's own share of the machine. */
        private static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        }

        private int report(long startMillis, long endMillis, long wallNanos, long cpuNanos) {
            long[] accepted = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
            int failed = messages - accepted.length;
            double wallSeconds = wallNanos / 1e9;
            System.out.printf(Locale.ROOT, "sessions=%d messages=%d size=%d pipelining=%s connections=%d cpu_s=%.2f%n",
                    sessions, messages, size, pipelining ? "yes" : "no", connections.sum(), cpuNanos / 1e9);
            System.out.printf(Locale.ROOT,
                    "accepted=%d failed=%d wall_s=%.3f accepted_per_s=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f start_ms=%d end_ms=%d%n",
                    accepted.length, failed, wallSeconds, accepted.length / wallSeconds,
                    percentile(accepted, 50), percentile(accepted, 99), percentile(accepted, 100), startMillis, endMillis);
            new TreeMap<>(failures).forEach((reason, count) ->
                    System.out.printf(Locale.ROOT, "failure count=%d reason=\"%s\"%n", count.sum(), reason));
            // More than 1 % failed: the figures describe a broken run, not a slow one.
            return failed * 100L > messages ? 1 : 0;
        }

        /** Nearest-rank percentile, in milliseconds. */
        private static double percentile(long[] sorted, int percent) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
            return sorted[Math.max(0, rank - 1)] / 1e6;
        }

        private void session(int session) {
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
            if (System.nanoTime() - deadlineNanos > 0) {
                return -1;   // out of time: what is left stays unsent and counts as failed
            }
            int message = nextMessage.getAndIncrement();
            return message < messages ? message : -1;
        }

        private void failure(String reason) {
            failures.computeIfAbsent(reason, r -> new LongAdder()).increment();
        }

        private final class Connection implements AutoCloseable {
            private final Socket socket = new Socket();
            private final LineReader in;
            private final OutputStream out;
            private final boolean canPipeline;
            private final boolean canSize;

            Connection() throws IOException {
                try {
                    socket.setTcpNoDelay(true);
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
                    socket.setSoTimeout(120_000);
                    in = new LineReader(socket.getInputStream());
                    out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
                    String greeting = reply();
                    if (!greeting.startsWith("220")) {
                        throw new IOException("greeting " + greeting);
                    }
                    writeLine(out, "EHLO load.sender.example");
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
                    socket.close();
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
                    writeLine(out, mail);
                    writeLine(out, "RCPT TO:<" + to + ">");
                    writeLine(out, "DATA");
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

            /** Ends the session politely; the messages are all answered by now, so a failure here costs nothing. */
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

            private String reply() throws IOException {
                return reply(null);
            }

            /** Reads a reply, multi-line included; returns its last line (code and text). */
            private String reply(List<String> lines) throws IOException {
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
