package net.gatehouse.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;

/**
 * Mail sent without pause by a few clients, one message per session, each with an id of its own
 * in its subject: what the cluster acknowledged (id to queue id), which sessions failed and which
 * replies were refusals (5xx). For the cluster test's kill and outage cases.
 */
final class ClusterLoad implements AutoCloseable {

    /** How many addresses {@link #rotatingRecipient} goes round. */
    static final int RECIPIENTS = 50;

    private static final Pattern QUEUED_AS = Pattern.compile("queued as (\\S+)");

    /** A session that did not end with the message acknowledged: its number and what happened. */
    record Failure(int session, String what) {
    }

    private final int port;
    private final String prefix;
    private final UnaryOperator<String> recipient;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final List<Failure> failures = new CopyOnWriteArrayList<>();
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    /**
     * Starts {@code clients} threads sending to 127.0.0.1:{@code port}.
     *
     * @param recipient the recipient of the message with this id
     */
    ClusterLoad(int port, int clients, String prefix, UnaryOperator<String> recipient) {
        this.port = port;
        this.prefix = prefix;
        this.recipient = recipient;
        for (int i = 0; i < clients; i++) {
            threads.add(Thread.ofPlatform().name("cluster-load-" + prefix + "-" + i).start(this::run));
        }
    }

    private void run() {
        while (running.get()) {
            int session = started.getAndIncrement();
            String id = prefix + "-" + session;
            try {
                String failure = session(id);
                if (failure != null) {
                    failures.add(new Failure(session, failure));
                }
            } catch (IOException | RuntimeException e) {
                failures.add(new Failure(session, id + ": " + e));
            } finally {
                ended.incrementAndGet();
            }
        }
    }

    /** One session; null if the message was acknowledged, else what went wrong. */
    private String session(String id) throws IOException {
        try (SmtpTestClient client = open()) {
            Reply greeting = client.read();
            if (greeting.code() != 220) {
                return refused(id, "connect", greeting);
            }
            for (String command : List.of("EHLO load.test", "MAIL FROM:<load@elsewhere.test>",
                    "RCPT TO:<" + recipient.apply(id) + ">")) {
                Reply reply = client.command(command);
                if (!reply.isPositive()) {
                    return refused(id, command, reply);
                }
            }
            Reply data = client.command("DATA");
            if (data.code() != 354) {
                return refused(id, "DATA", data);
            }
            client.send("Subject: " + id + "\r\nMessage-ID: <" + id + "@load.test>\r\n\r\nload " + id + "\r\n");
            Reply end = client.command(".");
            if (end.code() != 250) {
                return refused(id, "end of data", end);
            }
            Matcher queued = QUEUED_AS.matcher(end.toString());
            acknowledged.put(id, queued.find() ? queued.group(1) : "?");
            client.command("QUIT");
            return null;
        }
    }

    /**
     * A connection whose replies may take up to 30 s: the cluster's JVMs share two CPUs with other
     * work, and a slow reply is not what these cases look for.
     */
    private SmtpTestClient open() throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(30_000);
            return SmtpTestClient.over(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private String refused(String id, String command, Reply reply) {
        String what = id + ": " + command + " -> " + reply;
        if (reply.code() >= 500) {
            refusals.add(what);
        }
        return what;
    }

    /** {@code e0@example.test} to {@code e49@example.test}, by the session number in the id. */
    static String rotatingRecipient(String id) {
        return "e" + Integer.parseInt(id.substring(id.lastIndexOf('-') + 1)) % RECIPIENTS + "@example.test";
    }

    /** Sessions begun so far. */
    int started() {
        return started.get();
    }

    /** Sessions ended so far, whatever their outcome. */
    int sessions() {
        return ended.get();
    }

    /** Messages acknowledged with 250 so far: id to queue id. */
    Map<String, String> acknowledged() {
        return Map.copyOf(acknowledged);
    }

    /** The failures of sessions numbered {@code session} or later. */
    List<Failure> failedSince(int session) {
        return failures.stream().filter(f -> f.session() >= session).toList();
    }

    /** Every 5xx reply the clients received. */
    List<String> refusals() {
        return List.copyOf(refusals);
    }

    /** Stops the clients after their sessions in progress; returns what was acknowledged. */
    Map<String, String> stop() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        return acknowledged();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
