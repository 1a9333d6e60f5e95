package net.gatehouse.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import net.gatehouse.smtp.protocol.Reply;

/**
 * A real SMTP server on 127.0.0.1 for tests: the protected domain's back-end, or the MX of an
 * outbound destination. It accepts everything until told otherwise and records what it receives.
 *
 * <pre>{@code
 * try (TestBackend backend = TestBackend.start().rejectRecipient("bob@example.test")) {
 *     // deliver through Gatehouse to backend.address()
 *     Transaction message = backend.takeTransaction(Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>A correct peer (RFC 5321): EHLO and HELO, MAIL, RCPT, DATA (dot-unstuffed; only CRLF.CRLF ends
 * it), RSET, NOOP, QUIT, and STARTTLS (RFC 3207) once given a context. EHLO offers PIPELINING, SIZE,
 * 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, and DSN when told to ({@link #dsn}). It is strict where a client's bug would otherwise pass:
 * a command line ends only with CRLF, a non-ASCII address needs the SMTPUTF8 parameter, and a
 * command sent before the reply the client must wait for (any command when PIPELINING is off; EHLO,
 * DATA, NOOP, QUIT, STARTTLS when on, RFC 2920 3.1) is answered {@code 503 5.5.0}.
 *
 * <p>One virtual thread per connection. The scripting methods may be called at any time from any
 * thread; they apply from the next command on, to every connection.
 */
public final class TestBackend implements AutoCloseable {

    /**
     * Records one accepted message. {@code data} is as received after unstuffing, CRLF line endings;
     * {@code mailParameters} what followed MAIL FROM's path, {@code recipientParameters} what
     * followed each accepted RCPT TO's path (in the order of {@code recipients}), stripped, "" for none.
     */
    public record Transaction(String helo, String mailFrom, List<String> recipients, byte[] data, boolean tls,
                              String mailParameters, List<String> recipientParameters) {

        public Transaction {
            recipients = List.copyOf(recipients);
            data = data.clone();
            recipientParameters = List.copyOf(recipientParameters);
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** Declared in EHLO; larger messages get 552 5.3.4. */
    public static final long MAX_MESSAGE_SIZE = 32L << 20;

    public static final Reply MAILBOX_UNKNOWN = Reply.of(550, "5.1.1", "Mailbox unknown");
    public static final Reply MAILBOX_UNAVAILABLE = Reply.of(450, "4.2.0", "Mailbox temporarily unavailable");
    public static final Reply GREYLISTED = Reply.of(450, "4.2.0", "Greylisted, try again later");
    public static final Reply NULL_SENDER_REFUSED = Reply.of(550, "5.7.1", "Null sender refused");
    public static final Reply IMPROPER_PIPELINING = Reply.of(503, "5.5.0", "Improper command pipelining");

    private static final InetAddress LOOPBACK = loopback();
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_LINE_LENGTH = 1 << 20;
    private static final byte[] CRLF = {'\r', '\n'};
    // RFC 2920 3.1 and RFC 3207 4: the client waits for the reply to these before sending more.
    private static final Set<String> LAST_IN_GROUP = Set.of("EHLO", "HELO", "DATA", "NOOP", "QUIT", "STARTTLS");
    private static final Pattern MAIL = Pattern.compile("MAIL FROM:<([^<>]*)>(.*)", Pattern.CASE_INSENSITIVE);
    private static final Pattern RCPT = Pattern.compile("RCPT TO:<([^<>]*)>(.*)", Pattern.CASE_INSENSITIVE);

    // the script
    private final Map<String, Reply> recipientReplies = new ConcurrentHashMap<>();
    private volatile Set<String> onlyAccept;
    private volatile boolean greylisting;
    private final Set<String> greylistSeen = ConcurrentHashMap.newKeySet();
    private volatile boolean refuseNullSender;
    private volatile Reply dataReply;
    private volatile String dropAt;
    private volatile Duration delay = Duration.ZERO;
    private volatile Duration tarpit = Duration.ZERO;
    /** The verb and its occurrence in a session at which the next session to get there is ended with 421. */
    private final AtomicReference<String> closeAt = new AtomicReference<>();
    private volatile int closeAtOccurrence;
    private volatile String closeAlwaysAt;
    private volatile boolean pipelining = true;
    private volatile boolean smtpUtf8 = true;
    private volatile boolean dsn;
    private volatile SSLContext tlsContext;

    // the record
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<Transaction> transactions = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Transaction> arrivals = new LinkedBlockingQueue<>();
    private final AtomicInteger connections = new AtomicInteger();

    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listener;
    private volatile Thread acceptor;
    private volatile int port;

    private TestBackend() {
    }

    /** Listens on an ephemeral port of 127.0.0.1, accepting every recipient. */
    public static TestBackend start() {
        TestBackend backend = new TestBackend();
        backend.listen(0);
        return backend;
    }

    // --- the script

    /** Answers RCPT for {@code mailbox} (any case) with 550 5.1.1. */
    public TestBackend rejectRecipient(String mailbox) {
        return replyToRecipient(mailbox, MAILBOX_UNKNOWN);
    }

    /** Answers RCPT for {@code mailbox} (any case) with 450 4.2.0. */
    public TestBackend tempFailRecipient(String mailbox) {
        return replyToRecipient(mailbox, MAILBOX_UNAVAILABLE);
    }

    /** Answers RCPT for {@code mailbox} (any case) with {@code reply}, e.g. "552 5.2.2 Mailbox full". */
    public TestBackend replyToRecipient(String mailbox, String reply) {
        return replyToRecipient(mailbox, Reply.parse(List.of(reply)));
    }

    private TestBackend replyToRecipient(String mailbox, Reply reply) {
        recipientReplies.put(mailbox.toLowerCase(Locale.ROOT), reply);
        return this;
    }

    /** Accepts only these mailboxes (any case); others get 550 5.1.1. */
    public TestBackend onlyAccept(Collection<String> mailboxes) {
        onlyAccept = mailboxes.stream().map(m -> m.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        return this;
    }

    public TestBackend onlyAccept(String... mailboxes) {
        return onlyAccept(Arrays.asList(mailboxes));
    }

    /**
     * Back to a server that takes everything: forgets rejections and temporary failures of
     * recipients and data, greylisting, the null-sender refusal, {@link #dropConnectionAt}, the
     * tarpit and the scripted 421s.
     */
    public TestBackend acceptAll() {
        recipientReplies.clear();
        onlyAccept = null;
        greylisting = false;
        greylistSeen.clear();
        refuseNullSender = false;
        dataReply = null;
        dropAt = null;
        closeAlwaysAt = null;
        closeAt.set(null);
        tarpit = Duration.ZERO;
        return this;
    }

    /** Answers the end of data with {@code reply}, a 5xx such as "554 5.6.0 Content refused". */
    public TestBackend rejectData(String reply) {
        return answerData(reply, 5);
    }

    /** Answers the end of data with {@code reply}, a 4xx such as "451 4.3.0 Try again later". */
    public TestBackend tempFailData(String reply) {
        return answerData(reply, 4);
    }

    private TestBackend answerData(String reply, int replyClass) {
        Reply parsed = Reply.parse(List.of(reply));
        if (parsed.code() / 100 != replyClass) {
            throw new IllegalArgumentException("expected a " + replyClass + "xx reply: " + reply);
        }
        dataReply = parsed;
        return this;
    }

    /** The first RCPT of each sender and recipient pair gets 450 4.2.0, later ones go through. */
    public TestBackend greylist() {
        greylisting = true;
        return this;
    }

    /** {@code MAIL FROM:<>} gets 550 5.7.1, as some servers answer callouts. */
    public TestBackend refuseNullSender() {
        refuseNullSender = true;
        return this;
    }

    /**
     * Closes the connection, without a reply, on receiving {@code command} (a verb: "RCPT",
     * "DATA"), or with "." once the message content is in but before the final reply.
     */
    public TestBackend dropConnectionAt(String command) {
        dropAt = command.toUpperCase(Locale.ROOT);
        return this;
    }

    /** Waits this long before each reply, the greeting included. */
    public TestBackend delay(Duration delay) {
        this.delay = delay;
        return this;
    }

    /**
     * Waits this long before each refusal (5xx) of a RCPT, as Exchange's tarpitting does (5 s by
     * default): replies to everything else come as usual.
     */
    public TestBackend tarpit(Duration delay) {
        tarpit = delay;
        return this;
    }

    /**
     * Answers every {@code command} (a verb: "MAIL", "RCPT") with {@code 421 4.3.2} and closes
     * the connection, until {@link #acceptAll}: a server shutting down in the middle of sessions.
     */
    public TestBackend closeWith421At(String command) {
        closeAlwaysAt = command.toUpperCase(Locale.ROOT);
        return this;
    }

    /**
     * Once: the first session to receive its {@code occurrence}-th {@code command} (a verb: "MAIL",
     * "RCPT") answers it with {@code 421 4.3.2} and closes the connection, as a server going down
     * or limiting its sessions does in the middle of one. Later sessions are served as usual.
     */
    public TestBackend closeWith421Once(String command, int occurrence) {
        closeAtOccurrence = occurrence;
        closeAt.set(command.toUpperCase(Locale.ROOT));
        return this;
    }

    /** Whether EHLO offers PIPELINING (default true); without it, pipelined commands are refused. */
    public TestBackend pipelining(boolean offered) {
        pipelining = offered;
        return this;
    }

    /** Whether EHLO offers SMTPUTF8 (default true). */
    public TestBackend smtpUtf8(boolean offered) {
        smtpUtf8 = offered;
        return this;
    }

    /**
     * Whether EHLO offers DSN (default false, as many back-ends): when it does, RET and ENVID on
     * MAIL and NOTIFY and ORCPT on RCPT (RFC 3461) are taken and recorded in the {@link Transaction};
     * when it does not, they are refused with 555 5.5.4 as any unknown parameter.
     */
    public TestBackend dsn(boolean offered) {
        dsn = offered;
        return this;
    }

    /** Offers STARTTLS with this server context (see {@link TestTls#serverContext()}). */
    public TestBackend startTls(SSLContext context) {
        tlsContext = context;
        return this;
    }

    // --- up and down

    /** The back-end is down: closes the listener and every connection; connecting is refused. */
    public void stop() {
        closeQuietly(listener);
        try {
            // The listening socket is released only when the thread blocked in accept() has left it.
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the back-end on " + hostPort(), e);
        }
        open.forEach(TestBackend::closeQuietly);
    }

    /** Listens again, on the same port, after {@link #stop()}. */
    public TestBackend restart() {
        if (!listener.isClosed()) {
            throw new IllegalStateException("the back-end on " + hostPort() + " is running");
        }
        listen(port);
        return this;
    }

    @Override
    public void close() {
        stop();
    }

    public int port() {
        return port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    /** "127.0.0.1:port" */
    public String hostPort() {
        return LOOPBACK.getHostAddress() + ":" + port;
    }

    // --- the record

    /** The next accepted message not taken yet; fails the test if none arrives within {@code timeout}. */
    public Transaction takeTransaction(Duration timeout) {
        try {
            Transaction transaction = arrivals.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (transaction == null) {
                throw new AssertionError("no message reached the back-end on " + hostPort() + " within "
                        + timeout + "; commands received: " + commands);
            }
            return transaction;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a message on " + hostPort(), e);
        }
    }

    /** Every accepted message so far, in order, whether taken or not. */
    public List<Transaction> transactions() {
        return List.copyOf(transactions);
    }

    /** Connections accepted so far, over all restarts. */
    public int connections() {
        return connections.get();
    }

    /** Every command line received so far, without CRLF, on all connections in arrival order. */
    public List<String> commands() {
        return List.copyOf(commands);
    }

    // --- the server

    private void listen(int requestedPort) {
        try {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);   // rebinds the same port after stop()
            server.bind(new InetSocketAddress(LOOPBACK, requestedPort));
            port = server.getLocalPort();
            listener = server;
            acceptor = Thread.ofVirtual().name("test-backend-accept " + port).start(() -> accept(server));
        } catch (IOException e) {
            throw new UncheckedIOException("test back-end cannot listen on port " + requestedPort, e);
        }
    }

    private void accept(ServerSocket server) {
        while (true) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;   // stop() closed the listener
            }
            connections.incrementAndGet();
            open.add(socket);
            if (server.isClosed()) {
                closeQuietly(socket);   // accepted while stop() was closing the others
            }
            Thread.ofVirtual().name("test-backend " + port).start(() -> new Session(socket).run());
        }
    }

    /** 127.0.0.1 without a host name, so that the address reads as "127.0.0.1" wherever it is shown. */
    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError("four octets are an IPv4 address", e);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // already closed
        }
    }

    /** One connection, from greeting to QUIT. */
    private final class Session {
        private final Socket plain;
        private InputStream in;
        private OutputStream out;
        private boolean tls;
        private String helo;
        private String mailFrom;
        private boolean utf8Transaction;
        private final List<String> recipients = new ArrayList<>();
        private final Map<String, Integer> seen = new HashMap<>();
        private String mailParameters = "";
        private final List<String> recipientParameters = new ArrayList<>();

        Session(Socket plain) {
            this.plain = plain;
        }

        void run() {
            try (plain) {
                plain.setSoTimeout((int) IDLE_TIMEOUT.toMillis());
                attach(plain);
                reply(Reply.plain(220, "127.0.0.1 TestBackend ESMTP"));
                for (byte[] line; (line = readLine()) != null; ) {
                    if (!handle(new String(line, StandardCharsets.UTF_8))) {
                        return;
                    }
                }
            } catch (IOException e) {
                // The client went away, or stop() closed the socket.
            } finally {
                open.remove(plain);
            }
        }

        /** Returns false when the session is over. */
        private boolean handle(String line) throws IOException {
            commands.add(line);
            int space = line.indexOf(' ');
            String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
            String argument = space < 0 ? "" : line.substring(space + 1).strip();
            if (verb.equals(dropAt)) {
                return false;
            }
            int occurrence = seen.merge(verb, 1, Integer::sum);
            String once = closeAt.get();
            if (verb.equals(closeAlwaysAt)
                    || verb.equals(once) && occurrence == closeAtOccurrence && closeAt.compareAndSet(once, null)) {
                reply(Reply.of(421, "4.3.2", "Service shutting down, closing transmission channel"));
                return false;
            }
            if (in.available() > 0 && (!pipelining || LAST_IN_GROUP.contains(verb))) {
                reply(IMPROPER_PIPELINING);
                return true;
            }
            switch (verb) {
                case "EHLO", "HELO" -> hello(verb, argument);
                case "MAIL" -> mail(line);
                case "RCPT" -> rcpt(line);
                case "DATA" -> {
                    return data();
                }
                case "RSET" -> {
                    endTransaction();
                    reply(Reply.OK);
                }
                case "NOOP" -> reply(Reply.OK);
                case "QUIT" -> {
                    reply(Reply.CLOSING);
                    return false;
                }
                case "STARTTLS" -> startTls();
                default -> reply(Reply.COMMAND_UNRECOGNIZED);
            }
            return true;
        }

        private void hello(String verb, String domain) throws IOException {
            if (domain.isEmpty()) {
                reply(Reply.EHLO_REQUIRES_DOMAIN);
                return;
            }
            helo = domain;
            endTransaction();
            List<String> lines = new ArrayList<>(List.of("127.0.0.1 greets " + domain));
            if (verb.equals("EHLO")) {
                if (pipelining) {
                    lines.add("PIPELINING");
                }
                lines.add("SIZE " + MAX_MESSAGE_SIZE);
                lines.add("8BITMIME");
                if (smtpUtf8) {
                    lines.add("SMTPUTF8");
                }
                lines.add("ENHANCEDSTATUSCODES");
                if (dsn) {
                    lines.add("DSN");
                }
                if (tlsContext != null && !tls) {
                    lines.add("STARTTLS");
                }
            }
            reply(new Reply(250, "", lines));
        }

        private void mail(String line) throws IOException {
            Matcher path = MAIL.matcher(line);
            if (helo == null) {
                reply(Reply.SEND_HELO_FIRST);
            } else if (mailFrom != null) {
                reply(Reply.NESTED_MAIL);
            } else if (!path.matches()) {
                reply(Reply.BAD_SENDER_SYNTAX);
            } else {
                Reply refusal = mailParameters(path.group(2));
                String sender = path.group(1);
                if (refusal == null && !utf8Transaction && !isAscii(sender)) {
                    refusal = Reply.NON_ASCII_NEEDS_SMTPUTF8;
                }
                if (refusal == null && sender.isEmpty() && refuseNullSender) {
                    refusal = NULL_SENDER_REFUSED;
                }
                if (refusal == null) {
                    mailFrom = sender;
                    mailParameters = path.group(2).strip();
                }
                reply(refusal == null ? Reply.SENDER_OK : refusal);
            }
        }

        /** RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8; null when they are acceptable. */
        private Reply mailParameters(String parameters) {
            utf8Transaction = false;
            for (String parameter : parameters.strip().split(" +")) {
                String[] keyValue = parameter.split("=", 2);
                switch (keyValue[0].toUpperCase(Locale.ROOT)) {
                    case "" -> { }
                    case "SIZE" -> {
                        if (keyValue.length < 2 || !keyValue[1].matches("[0-9]{1,18}")) {
                            return Reply.SYNTAX_ERROR_IN_PARAMETERS;
                        }
                        if (Long.parseLong(keyValue[1]) > MAX_MESSAGE_SIZE) {
                            return Reply.MESSAGE_TOO_BIG;
                        }
                    }
                    case "BODY" -> {
                        if (keyValue.length < 2 || !Set.of("7BIT", "8BITMIME").contains(keyValue[1].toUpperCase(Locale.ROOT))) {
                            return Reply.SYNTAX_ERROR_IN_PARAMETERS;
                        }
                    }
                    case "SMTPUTF8" -> {
                        if (!smtpUtf8 || keyValue.length > 1) {
                            return Reply.UNSUPPORTED_PARAMETER;
                        }
                        utf8Transaction = true;
                    }
                    case "RET", "ENVID" -> {
                        if (!dsn) {
                            return Reply.UNSUPPORTED_PARAMETER;
                        }
                        if (keyValue.length < 2 || keyValue[1].isEmpty()) {
                            return Reply.SYNTAX_ERROR_IN_PARAMETERS;
                        }
                    }
                    default -> {
                        return Reply.UNSUPPORTED_PARAMETER;
                    }
                }
            }
            return null;
        }

        private void rcpt(String line) throws IOException {
            Matcher path = RCPT.matcher(line);
            if (mailFrom == null) {
                reply(Reply.NEED_MAIL);
            } else if (!path.matches() || path.group(1).isEmpty()) {
                reply(Reply.BAD_RECIPIENT_SYNTAX);
            } else if (!path.group(2).isBlank() && !(dsn && dsnRecipientParameters(path.group(2)))) {
                reply(Reply.UNSUPPORTED_PARAMETER);
            } else if (!utf8Transaction && !isAscii(path.group(1))) {
                reply(Reply.NON_ASCII_NEEDS_SMTPUTF8);
            } else {
                Reply decision = decide(path.group(1));
                if (decision.code() / 100 == 2) {
                    recipients.add(path.group(1));
                    recipientParameters.add(path.group(2).strip());
                } else if (decision.code() / 100 == 5) {
                    pause(tarpit);
                }
                reply(decision);
            }
        }

        /** Whether every parameter is NOTIFY or ORCPT with a value (RFC 3461 4.1, 4.2). */
        private static boolean dsnRecipientParameters(String parameters) {
            for (String parameter : parameters.strip().split(" +")) {
                String[] keyValue = parameter.split("=", 2);
                if (!Set.of("NOTIFY", "ORCPT").contains(keyValue[0].toUpperCase(Locale.ROOT))
                        || keyValue.length < 2 || keyValue[1].isEmpty()) {
                    return false;
                }
            }
            return true;
        }

        private Reply decide(String recipient) {
            String mailbox = recipient.toLowerCase(Locale.ROOT);
            Reply scripted = recipientReplies.get(mailbox);
            Set<String> only = onlyAccept;
            if (scripted != null) {
                return scripted;
            } else if (only != null && !only.contains(mailbox)) {
                return MAILBOX_UNKNOWN;
            } else if (greylisting && greylistSeen.add(mailFrom.toLowerCase(Locale.ROOT) + " " + mailbox)) {
                return GREYLISTED;
            }
            return Reply.RECIPIENT_OK;
        }

        private boolean data() throws IOException {
            if (mailFrom == null) {
                reply(Reply.NEED_MAIL);
                return true;
            }
            if (recipients.isEmpty()) {
                reply(Reply.NO_VALID_RECIPIENTS);
                return true;
            }
            reply(Reply.START_MAIL_INPUT);
            ByteArrayOutputStream message = new ByteArrayOutputStream();
            boolean tooBig = false;
            while (true) {
                byte[] line = readLine();
                if (line == null) {
                    return false;   // the connection ended inside the data: the message is discarded
                }
                if (line.length == 1 && line[0] == '.') {
                    break;
                }
                int stuffing = line.length > 0 && line[0] == '.' ? 1 : 0;   // RFC 5321 4.5.2
                tooBig |= message.size() + line.length + CRLF.length > MAX_MESSAGE_SIZE;
                if (!tooBig) {
                    message.write(line, stuffing, line.length - stuffing);
                    message.write(CRLF);
                }
            }
            if (".".equals(dropAt)) {
                return false;
            }
            Reply scripted = dataReply;
            Reply verdict = tooBig ? Reply.MESSAGE_TOO_BIG : scripted != null ? scripted : Reply.queued("T" + (transactions.size() + 1));
            if (verdict.code() / 100 == 2) {
                Transaction transaction = new Transaction(helo, mailFrom, recipients, message.toByteArray(), tls,
                        mailParameters, recipientParameters);
                transactions.add(transaction);
                arrivals.add(transaction);
            }
            endTransaction();
            reply(verdict);
            return true;
        }

        private void startTls() throws IOException {
            SSLContext context = tlsContext;
            if (context == null) {
                reply(Reply.COMMAND_NOT_IMPLEMENTED);
                return;
            }
            if (tls) {
                reply(Reply.ALREADY_TLS);
                return;
            }
            reply(Reply.READY_TO_START_TLS);
            var upgraded = (SSLSocket) context.getSocketFactory()
                    .createSocket(plain, LOOPBACK.getHostAddress(), plain.getPort(), true);
            upgraded.setUseClientMode(false);
            upgraded.startHandshake();
            attach(upgraded);
            tls = true;
            helo = null;   // RFC 3207 4.2: the client starts over with EHLO
            endTransaction();
        }

        private void endTransaction() {
            mailFrom = null;
            mailParameters = "";
            utf8Transaction = false;
            recipients.clear();
            recipientParameters.clear();
        }

        private void attach(Socket socket) throws IOException {
            in = new BufferedInputStream(socket.getInputStream());
            out = new BufferedOutputStream(socket.getOutputStream());
        }

        private void reply(Reply reply) throws IOException {
            pause(delay);
            out.write(reply.wire().getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        private void pause(Duration duration) throws IOException {
            try {
                Thread.sleep(duration);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted before replying");
            }
        }

        /** A line without its CRLF, or null at the end of the stream. RFC 5321 2.3.8: only CRLF ends a line. */
        private byte[] readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int previous = -1;
            for (int b; (b = in.read()) != -1; previous = b) {
                if (b == '\n' && previous == '\r') {
                    byte[] bytes = line.toByteArray();
                    return Arrays.copyOf(bytes, bytes.length - 1);
                }
                if (line.size() == MAX_LINE_LENGTH) {
                    throw new IOException("line longer than " + MAX_LINE_LENGTH + " octets from " + plain.getRemoteSocketAddress());
                }
                line.write(b);
            }
            return null;
        }
    }

    private static boolean isAscii(String value) {
        return value.chars().allMatch(c -> c < 0x80);
    }
}
