package net.gatehouse.queue;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import net.gatehouse.config.DeliveryConfig;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.log.MailEvent;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.store.LogEntry;
import net.gatehouse.store.MessageLog;
import net.gatehouse.policy.Policy;
import net.gatehouse.smtp.client.ConnectionPool;
import net.gatehouse.smtp.client.MessageContent;
import net.gatehouse.smtp.client.SmtpClient;
import net.gatehouse.smtp.client.TransactionResult;
import net.gatehouse.smtp.protocol.MessageIdFinder;
import net.gatehouse.smtp.protocol.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers spooled messages: routes each recipient (a protected domain's back-ends in order, or
 * the recipient domain's MX hosts), reuses connections, retries deferred recipients with back-off
 * until the maximum lifetime, and reports permanent failures to the sender in a DSN.
 *
 * <p>Every message in the spool is scheduled exactly once; an attempt runs on its own virtual
 * thread, bounded by the global and per-destination concurrency limits. A message on hold
 * ({@code gatehouse queue hold}) is kept aside, unscheduled, until it is released: no attempt of it
 * starts, and it does not expire, since expiry is decided at the end of an attempt (as in Postfix,
 * whose held mail expires only once released). The command line changes the spool; the agent
 * looks at its requests once a second ({@link Spool#requestReview}), and reads the journal again
 * before every retry, so that a hold made meanwhile is never missed.
 */
public final class DeliveryAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);
    private static final Duration IDLE_CONNECTION = Duration.ofSeconds(10);
    private static final int MAX_TRANSACTIONS_PER_CONNECTION = 100;
    private static final int MAX_HEADER_BYTES_IN_DSN = 64 * 1024;
    /** Flush and review requests are looked at once a second, not per message. */
    private static final long HOUSEKEEPING_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** What the DSN says of the recipients of a message an administrator returned to its sender. */
    static final Reply RETURNED_BY_ADMINISTRATOR = Reply.of(550, "5.0.0",
            "Message returned to the sender by the mail administrator");

    /**
     * The result of an administrator's action on a queued message ({@link #retryNow}, {@link #delete},
     * {@link #bounce}).
     */
    public enum Result {
        DONE,
        /** No such message in this node's queue (never was, or already delivered or removed). */
        NOT_QUEUED,
        /** An attempt is under way; the action is refused rather than racing it. Ask again shortly. */
        BEING_DELIVERED,
        /** The message is on hold: it is not attempted until released ({@code gatehouse queue release}). */
        HELD
    }

    /** What the console shows of past attempts: how many, and the last temporary error. */
    private record Progress(int attempts, String lastError) {
    }

    private final Spool spool;
    private final Supplier<Policy> policy;
    private final Router router;
    private final DeliveryConfig config;
    private final String hostname;
    private final SSLContext opportunisticTls;
    private final Clock clock;
    private final RetrySchedule retries;
    private final GatewayMetrics metrics;
    private final MessageLog messageLog;
    private final ConnectionPool connections;
    private final Semaphore inFlight;
    private final Map<String, Semaphore> perDestination = new ConcurrentHashMap<>();
    private final DelayQueue<Scheduled> queue = new DelayQueue<>();
    /** Messages scheduled or being attempted, so that no message is ever attempted twice at once. */
    private final Set<QueueId> known = ConcurrentHashMap.newKeySet();
    /** Messages on hold: known, but kept out of the schedule until released. */
    private final Map<QueueId, Scheduled> held = new ConcurrentHashMap<>();
    private final Map<QueueId, Progress> progress = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private long lastHousekeeping = System.nanoTime();
    private Thread scheduler;

    public DeliveryAgent(Spool spool, Supplier<Policy> policy, MxResolver mx, DeliveryConfig config, String hostname,
                         SSLContext opportunisticTls, Clock clock, GatewayMetrics metrics, MessageLog messageLog) {
        this.messageLog = messageLog;
        this.metrics = metrics;
        this.spool = spool;
        this.policy = policy;
        this.router = new Router(mx, config.remotePort(), metrics);
        this.config = config;
        this.hostname = hostname;
        this.opportunisticTls = opportunisticTls;
        this.clock = clock;
        this.retries = new RetrySchedule(config.minBackoff(), config.maxBackoff(), config.maxLifetime());
        // Open connections per server are bounded by the deliveries in flight, so no delivery waits
        // for one; idle ones as many as a destination may use at once.
        this.connections = new ConnectionPool("delivery", new ConnectionPool.Limits(config.concurrency(),
                config.destinationConcurrency(), config.concurrency(), MAX_TRANSACTIONS_PER_CONNECTION, IDLE_CONNECTION),
                clock);
        this.inFlight = new Semaphore(config.concurrency());
    }

    /** Starts delivering, beginning with what the spool held at start-up. */
    public void start(List<SpooledMessage> recovered) {
        for (SpooledMessage message : recovered) {
            if (known.add(message.id())) {
                Journal journal = message.journal();
                progress.put(message.id(), new Progress(journal.attempts(), lastReply(message)));
                // every message is tried at once after a start; the back-off goes on from its attempts
                Scheduled item = new Scheduled(message.id(), journal.attempts(), System.nanoTime(), message);
                if (journal.held()) {
                    held.put(message.id(), item);
                } else {
                    queue.add(item);
                }
            }
        }
        if (!recovered.isEmpty()) {
            log.info("queue_recovered messages={}", recovered.size());
        }
        scheduler = Thread.ofVirtual().name("delivery-scheduler").start(this::schedulerLoop);
    }

    /** A message was just queued: attempt it now. */
    public void submit(SpooledMessage message) {
        if (known.add(message.id())) {
            queue.add(new Scheduled(message.id(), 0, System.nanoTime(), message));
        }
    }

    /** Attempts every deferred message now (the {@code queue flush} command). */
    public void flush() {
        for (Scheduled item : new ArrayList<>(queue)) {
            if (queue.remove(item)) {
                queue.add(new Scheduled(item.id(), item.attempts(), System.nanoTime(), item.fresh()));
            }
        }
    }

    /** Messages waiting for a retry or being attempted. */
    public int size() {
        return known.size();
    }

    /** Age of the oldest message in the queue, in seconds; O(queue), called once per metrics scrape. */
    public long oldestAgeSeconds() {
        return known.stream().min(java.util.Comparator.naturalOrder())
                .map(id -> Math.max(0, Duration.between(id.acceptedAt(), clock.instant()).toSeconds())).orElse(0L);
    }

    /**
     * The messages in the queue, oldest first, each read from the spool: O(queue), for the console.
     * A message that disappears while the snapshot is taken (delivered) is left out.
     */
    public List<QueuedMessage> snapshot() throws IOException {
        Map<QueueId, Scheduled> waiting = new java.util.HashMap<>();
        for (Scheduled item : queue) {
            waiting.put(item.id(), item);
        }
        List<QueueId> ids = new ArrayList<>(known);
        ids.sort(null);
        List<QueuedMessage> messages = new ArrayList<>(ids.size());
        for (QueueId id : ids) {
            queued(id, waiting.get(id)).ifPresent(messages::add);
        }
        return List.copyOf(messages);
    }

    /** One message of the queue, as in {@link #snapshot()}. */
    public Optional<QueuedMessage> find(QueueId id) throws IOException {
        if (!known.contains(id)) {
            return Optional.empty();
        }
        Scheduled waiting = null;
        for (Scheduled item : queue) {
            if (item.id().equals(id)) {
                waiting = item;
            }
        }
        return queued(id, waiting);
    }

    private Optional<QueuedMessage> queued(QueueId id, Scheduled waiting) throws IOException {
        Optional<SpooledMessage> read = waiting != null && waiting.fresh() != null ? Optional.of(waiting.fresh())
                : spool.read(id);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        SpooledMessage message = read.get();
        Progress done = progress.getOrDefault(id, new Progress(0, ""));
        boolean onHold = held.containsKey(id);
        Instant now = clock.instant();
        Instant next = onHold ? null : waiting == null ? now
                : now.plusNanos(Math.max(0, waiting.getDelay(TimeUnit.NANOSECONDS)));
        return Optional.of(new QueuedMessage(message.envelope(), message.pendingRecipients(), message.contentLength(),
                done.attempts(), waiting == null && !onHold, onHold, next, done.lastError()));
    }

    /** Attempts the message now instead of at its scheduled time. */
    public Result retryNow(QueueId id) {
        if (held.containsKey(id)) {
            return Result.HELD;
        }
        return claimed(id, item -> {
            queue.add(new Scheduled(id, item.attempts(), System.nanoTime(), item.fresh()));
            log.info("queue_id={} retry_now", id);
            return Result.DONE;
        });
    }

    /** Removes the message from the queue without a DSN ({@code gatehouse queue delete}, the console). */
    public Result delete(QueueId id) throws IOException {
        return claimed(id, item -> {
            spool.remove(id);
            forget(id);
            new MailEvent.Deleted(id.value()).logTo(log);
            return Result.DONE;
        });
    }

    /**
     * Gives up on the message's pending recipients as for a permanent failure: a DSN to the sender
     * (never to the null sender), a "bounced" line per recipient in the message log, then the
     * message leaves the queue.
     */
    public Result bounce(QueueId id) throws IOException {
        return claimed(id, item -> {
            Optional<SpooledMessage> read = item.fresh() != null ? Optional.of(item.fresh()) : spool.read(id);
            if (read.isEmpty()) {
                forget(id);
                return Result.NOT_QUEUED;
            }
            SpooledMessage message = read.get();
            int attempts = progress.getOrDefault(id, new Progress(0, "")).attempts();
            Outcome returned = new Outcome(Outcome.Kind.FAILED, RETURNED_BY_ADMINISTRATOR, "none");
            List<DeliveryStatusNotification.Failure> failures = new ArrayList<>();
            Instant now = clock.instant();
            for (String recipient : message.pendingRecipients()) {
                logOutcome(message, recipient, returned, attempts, now);
                failures.add(new DeliveryStatusNotification.Failure(recipient, RETURNED_BY_ADMINISTRATOR, "none", true));
            }
            if (!failures.isEmpty()) {
                bounce(message, failures);
            }
            spool.remove(id);
            forget(id);
            log.info("queue_id={} bounced_by_administrator", id);
            return Result.DONE;
        });
    }

    /** An administrator's action on a message taken out of the schedule. */
    @FunctionalInterface
    private interface ClaimedAction<E extends Exception> {
        Result apply(Scheduled item) throws E;
    }

    /**
     * Runs {@code action} on the message while no attempt can start, or says why it cannot; if the
     * action fails, the message goes back to the scheduler as it was.
     */
    private <E extends Exception> Result claimed(QueueId id, ClaimedAction<E> action) throws E {
        Scheduled parked = held.remove(id);
        Optional<Scheduled> claimed = parked != null ? Optional.of(parked) : claim(id);
        if (claimed.isEmpty()) {
            return known.contains(id) ? Result.BEING_DELIVERED : Result.NOT_QUEUED;
        }
        try {
            return action.apply(claimed.get());
        } catch (Exception e) {
            if (parked != null) { // still queued: give it back as it was
                held.put(id, parked);
            } else {
                queue.add(claimed.get());
            }
            throw e;
        }
    }

    /**
     * Takes the message's entry out of the schedule, so that no attempt can start until it is put
     * back: empty when it is not scheduled (being attempted, or not in the queue). A concurrent
     * {@link #flush()} replaces entries, hence the few tries.
     */
    private Optional<Scheduled> claim(QueueId id) {
        for (int tries = 0; tries < 3; tries++) {
            boolean seen = false;
            for (Scheduled item : queue) {
                if (item.id().equals(id)) {
                    seen = true;
                    if (queue.remove(item)) {
                        return Optional.of(item);
                    }
                }
            }
            if (!seen) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private void forget(QueueId id) {
        progress.remove(id);
        held.remove(id);
        known.remove(id);
    }

    /**
     * Takes into account what the command line changed in the spool for this message: forgets it
     * when deleted, keeps it aside when on hold, and otherwise schedules it now with the attempts
     * its journal counts (none after a requeue). False when an attempt is under way: ask again later.
     */
    private boolean review(QueueId id) {
        // Taken out of the schedule first, so that no attempt changes the journal while it is read.
        Scheduled parked = held.remove(id);
        Scheduled current = parked != null ? parked : claim(id).orElse(null);
        if (current == null && known.contains(id)) {
            return false;
        }
        Optional<SpooledMessage> read;
        try {
            read = spool.read(id);
        } catch (IOException e) {
            log.error("queue_id={} unreadable error=\"{}\"", id, e.getMessage());
            if (parked != null) { // as it was; its next attempt reports it again
                held.put(id, parked);
            } else if (current != null) {
                queue.add(current);
            }
            return true;
        }
        if (read.isEmpty()) {
            if (current != null) {
                forget(id);
                new MailEvent.Deleted(id.value()).logTo(log);
            }
            return true;
        }
        SpooledMessage message = read.get();
        Journal journal = message.journal();
        known.add(id);
        progress.put(id, new Progress(journal.attempts(), lastReply(message)));
        Scheduled next = new Scheduled(id, journal.attempts(), System.nanoTime(), null);
        if (journal.held()) {
            held.put(id, next);
        } else {
            queue.add(next);
        }
        log.info("queue_id={} queue_command held={} attempts={}", id, journal.held() ? "yes" : "no", journal.attempts());
        return true;
    }

    /** The last reply of the last pending recipient with one, as the console shows it after a start. */
    private static String lastReply(SpooledMessage message) {
        String last = "";
        for (String recipient : message.pendingRecipients()) {
            last = message.journal().result(recipient).map(Journal.LastResult::reply).orElse(last);
        }
        return last;
    }

    private void schedule(QueueId id, int attempts, Duration delay) {
        queue.add(new Scheduled(id, attempts, System.nanoTime() + delay.toNanos(), null));
    }

    private void schedulerLoop() {
        while (running) {
            try {
                Scheduled next = queue.poll(1, TimeUnit.SECONDS);
                if (System.nanoTime() - lastHousekeeping >= HOUSEKEEPING_NANOS) {
                    lastHousekeeping = System.nanoTime();
                    if (spool.takeFlushRequest()) {
                        log.info("queue_flush requested=yes");
                        flush();
                    }
                    for (QueueId id : spool.reviewRequests()) {
                        if (review(id)) {
                            spool.reviewed(id);
                        }
                    }
                }
                if (next == null) {
                    continue;
                }
                inFlight.acquire();
                Thread.ofVirtual().name("delivery-" + next.id()).start(() -> {
                    try {
                        attempt(next, next.attempts() + 1);
                    } finally {
                        inFlight.release();
                    }
                });
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void attempt(Scheduled scheduled, int attempt) {
        Instant started = clock.instant();
        QueueId id = scheduled.id();
        Optional<SpooledMessage> read;
        try {
            // A message just committed is delivered from what the session handed over; later
            // attempts read the spool again, for the journal and for deletions by the administrator.
            read = scheduled.fresh() != null ? Optional.of(scheduled.fresh()) : spool.read(id);
        } catch (IOException e) {
            log.error("queue_id={} unreadable error=\"{}\"", id, e.getMessage());
            forget(id);
            return;
        }
        if (read.isEmpty()) {
            forget(id); // deleted by an administrator
            return;
        }
        SpooledMessage message = read.get();
        if (message.journal().held()) {
            held.put(id, new Scheduled(id, scheduled.attempts(), System.nanoTime(), null)); // until released
            return;
        }
        Policy current = policy.get();
        Map<Destination, List<String>> byDestination = new LinkedHashMap<>();
        for (String recipient : message.pendingRecipients()) {
            byDestination.computeIfAbsent(Destination.of(recipient, current), d -> new ArrayList<>()).add(recipient);
        }
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        for (Map.Entry<Destination, List<String>> group : byDestination.entrySet()) {
            outcomes.putAll(deliver(message, group.getKey(), group.getValue()));
        }
        finish(message, attempt, outcomes, byDestination, started);
    }

    /** @param started when the attempt began, for the log's delays */
    private void finish(SpooledMessage message, int attempt, Map<String, Outcome> outcomes,
                        Map<Destination, List<String>> routes, Instant started) {
        QueueId id = message.id();
        Instant now = clock.instant();
        boolean expired = retries.expired(message.journal().lifetimeStart(), now);
        List<String> finished = new ArrayList<>();
        Map<String, Outcome> results = new LinkedHashMap<>();
        List<DeliveryStatusNotification.Failure> failures = new ArrayList<>();
        String lastError = "";
        for (Map.Entry<Destination, List<String>> route : routes.entrySet()) {
            for (String recipient : route.getValue()) {
                Outcome outcome = outcomes.get(recipient);
                if (!outcome.finished() && expired) {
                    outcome = new Outcome(Outcome.Kind.FAILED, Reply.of(550, "5.4.7",
                            "Message expired in the queue after " + config.maxLifetime().toHours()
                                    + " hours; last error: " + outcome.reply()), outcome.relay());
                }
                logOutcome(message, recipient, outcome, attempt, started);
                results.put(recipient, outcome);
                if (outcome.finished()) {
                    finished.add(recipient);
                } else {
                    lastError = outcome.reply().toString();
                }
                if (outcome.kind() == Outcome.Kind.FAILED) {
                    failures.add(new DeliveryStatusNotification.Failure(recipient, outcome.reply(), outcome.relay(),
                            !route.getKey().isBackend()));
                }
            }
        }
        try {
            if (!failures.isEmpty()) {
                bounce(message, failures);
            }
            if (finished.size() == outcomes.size()) {
                // No journal for a message that is done: removing it is the record (a crash before
                // the removal is durable delivers it again, the window the Spool documents).
                spool.remove(id);
                forget(id);
                new MailEvent.Removed(id.value()).logTo(log);
                return;
            }
            spool.recordAttempt(id, attempt, now, results);
        } catch (IOException e) {
            // The journal could not be written: keep the message and try again later; at worst a
            // recipient gets it twice, never not at all.
            log.error("queue_id={} journal_failed error=\"{}\"", id, e.getMessage());
        }
        Duration delay = retries.delayAfter(attempt);
        progress.put(id, new Progress(attempt, lastError));
        schedule(id, attempt, delay);
    }

    private void logOutcome(SpooledMessage message, String recipient, Outcome outcome, int attempt, Instant started) {
        String result = switch (outcome.kind()) {
            case DELIVERED -> "sent";
            case DEFERRED -> "deferred";
            case FAILED -> "bounced";
        };
        metrics.delivery(result);
        Envelope envelope = message.envelope();
        messageLog.record(new LogEntry(clock.instant(), LogEntry.Kind.DELIVERY, envelope.client(), envelope.helo(),
                envelope.sender(), recipient, result, outcome.relay(), outcome.reply().toString(), message.id().value()));
        Instant now = clock.instant();
        new MailEvent.Delivery(message.id().value(), Envelope.address(recipient), outcome.relay(), result, outcome.reply(),
                Duration.between(envelope.received(), now), Duration.between(envelope.received(), started),
                Duration.between(started, now), attempt).logTo(log);
    }

    private Map<String, Outcome> deliver(SpooledMessage message, Destination destination, List<String> recipients) {
        List<InetSocketAddress> servers;
        switch (router.route(destination)) {
            case Router.Route.Servers route -> servers = route.servers();
            case Router.Route.Unroutable unroutable -> {
                return allRecipients(recipients, unroutable.outcome());
            }
        }
        Semaphore limit = perDestination.computeIfAbsent(destination.key(),
                k -> new Semaphore(config.destinationConcurrency()));
        try {
            limit.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return allRecipients(recipients, Outcome.deferred("4.3.2", "Delivery interrupted by shutdown"));
        }
        try {
            Outcome last = Outcome.deferred("4.4.1", "No server for the destination could be reached");
            for (InetSocketAddress server : servers) {
                Optional<Map<String, Outcome>> result = transaction(message, destination, server, recipients);
                if (result.isPresent()) {
                    return result.get();
                }
                last = Outcome.deferred("4.4.1", "Connection to the destination's server failed");
            }
            return allRecipients(recipients, last);
        } finally {
            limit.release();
        }
    }

    /**
     * One transaction with one server, on a pooled connection; empty when the server could not
     * take it (connection refused or lost, 4xx greeting or MAIL), so that the next server is tried
     * (RFC 5321 5.1).
     */
    private Optional<Map<String, Outcome>> transaction(SpooledMessage message, Destination destination,
                                                       InetSocketAddress server, List<String> recipients) {
        String relay = describe(server);
        TransactionResult result;
        try {
            result = connections.exchange(server, System.nanoTime() + config.connectTimeout().toNanos(),
                    (address, deadline) -> connect(address, relay, message.id()),
                    client -> client.send(Envelope.address(message.envelope().sender()),
                            recipients.stream().map(Envelope::address).toList(),
                            new MessageContent.FileRegion(message.file(), message.contentOffset(), message.contentLength())));
        } catch (NotConnected e) {
            return Optional.empty();
        } catch (IOException | TimeoutException e) {
            log.info("queue_id={} transaction_failed relay={} error=\"{}\"", message.id(), relay, e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (result.mail().isTransientFailure()) {
            return Optional.empty();
        }
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        for (int i = 0; i < recipients.size(); i++) {
            outcomes.put(recipients.get(i), Outcome.of(result.outcome(i), relay));
        }
        return Optional.of(outcomes);
    }

    /**
     * A new connection, with STARTTLS when the server offers it. When the TLS handshake fails, once
     * more in plaintext: opportunistic TLS (RFC 7435) must not make mail undeliverable.
     *
     * @throws NotConnected when the server could not be reached, logged here
     */
    private SmtpClient connect(InetSocketAddress server, String relay, QueueId id) throws NotConnected {
        try {
            try {
                return SmtpClient.connect(server, hostname, config.connectTimeout(), config.commandTimeout(), opportunisticTls);
            } catch (SSLException e) {
                log.info("queue_id={} tls_failed relay={} error=\"{}\" retrying=plaintext", id, relay, e.getMessage());
                return SmtpClient.connect(server, hostname, config.connectTimeout(), config.commandTimeout(), null);
            }
        } catch (IOException e) {
            new MailEvent.ConnectFailed(id.value(), relay, connectError(e)).logTo(log);
            throw new NotConnected(e);
        }
    }

    private void bounce(SpooledMessage message, List<DeliveryStatusNotification.Failure> failures) throws IOException {
        Envelope original = message.envelope();
        if (original.hasNullSender()) {
            log.info("queue_id={} dsn_suppressed reason=null_sender", message.id());
            return;
        }
        byte[] dsn = DeliveryStatusNotification.build(hostname, original, failures, originalHeaders(message),
                ZonedDateTime.now(clock));
        QueueId dsnId = QueueId.next(clock.millis());
        Envelope envelope = new Envelope(dsnId, clock.instant(), "127.0.0.1", hostname, "<>",
                List.of(original.sender()), original.smtpUtf8());
        SpooledMessage queued;
        try (Spool.Writer writer = spool.begin(envelope)) {
            writer.content().write(dsn);
            queued = writer.commit();
        }
        new MailEvent.Dsn(message.id().value(), dsnId.value(), Envelope.address(original.sender()), failures.size(),
                queued.contentLength(), messageId(dsn)).logTo(log);
        submit(queued);
    }

    /**
     * Why a new connection failed, in the words Postfix writes after "connect to host[addr]:port: "
     * ("Connection refused", "Connection timed out"), or what went wrong after the TCP connection.
     */
    private static String connectError(IOException e) {
        Throwable cause = e.getCause();
        if (cause instanceof SocketTimeoutException && "Connect timed out".equalsIgnoreCase(cause.getMessage())) {
            return "Connection timed out";
        }
        if (e instanceof ConnectException && cause != null && cause.getMessage() != null) {
            return cause.getMessage();
        }
        return String.valueOf(e.getMessage());
    }

    private static String messageId(byte[] message) {
        MessageIdFinder finder = new MessageIdFinder();
        finder.feed(message, 0, message.length);
        return finder.messageId();
    }

    /** The original message's header section, for the third part of the DSN. */
    private static byte[] originalHeaders(SpooledMessage message) throws IOException {
        try (InputStream in = Files.newInputStream(message.file())) {
            in.skipNBytes(message.contentOffset());
            byte[] head = in.readNBytes((int) Math.min(message.contentLength(), MAX_HEADER_BYTES_IN_DSN));
            for (int i = 0; i + 3 < head.length; i++) {
                if (head[i] == '\r' && head[i + 1] == '\n' && head[i + 2] == '\r' && head[i + 3] == '\n') {
                    return java.util.Arrays.copyOf(head, i + 2);
                }
            }
            return head;
        }
    }

    private static Map<String, Outcome> allRecipients(List<String> recipients, Outcome outcome) {
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        recipients.forEach(r -> outcomes.put(r, outcome));
        return outcomes;
    }

    /**
     * The server as Postfix's {@code relay=} names it: the host it was found under (the MX host,
     * the back-end's configured name, or the address itself), its address and port.
     */
    private static String describe(InetSocketAddress server) {
        return server.getHostString() + "[" + server.getAddress().getHostAddress() + "]:" + server.getPort();
    }

    /** Stops scheduling, waits up to {@code grace} for attempts in flight, closes cached connections. */
    public void stop(Duration grace) {
        running = false;
        if (scheduler != null) {
            scheduler.interrupt();
        }
        try {
            if (inFlight.tryAcquire(config.concurrency(), grace.toMillis(), TimeUnit.MILLISECONDS)) {
                inFlight.release(config.concurrency());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connections.close();
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    /** A new connection failed, and the failure is logged: the next server is tried. */
    private static final class NotConnected extends IOException {
        NotConnected(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** @param fresh the message as just committed, for its first attempt; null for retries */
    private record Scheduled(QueueId id, int attempts, long dueNanos, SpooledMessage fresh) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(dueNanos, ((Scheduled) other).dueNanos);
        }
    }
}
