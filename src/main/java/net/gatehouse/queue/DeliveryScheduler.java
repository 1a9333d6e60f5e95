package net.gatehouse.queue;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import net.gatehouse.config.DeliveryConfig;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.log.MailEvent;
import net.gatehouse.log.MessageSink;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.route.Routes;
import net.gatehouse.smtp.client.ConnectionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue's scheduler, as Postfix's qmgr: decides when each spooled message is attempted, runs
 * each attempt ({@link DeliveryAgent}) on a virtual thread of its own within the
 * {@code delivery.concurrency} limit, and schedules a retry of what was deferred, with back-off
 * ({@link RetrySchedule}), until the agent bounces it at the maximum lifetime. Due times are read
 * from the injected clock; as Postfix's, which keeps them as queue files' times, they follow a
 * step of the wall clock.
 *
 * <p>It also answers the console: the queue's {@link #snapshot()} and {@link #find}, and the
 * administrator's actions ({@link #retryNow}, {@link #delete}, {@link #bounce}), each on a
 * message claimed out of the schedule so that no attempt can start meanwhile.
 *
 * <p>Every message in the spool is scheduled exactly once. A message on hold
 * ({@code gatehouse queue hold}) is kept aside, unscheduled, until it is released: no attempt of it
 * starts, and it does not expire, since expiry is decided at the end of an attempt (as in Postfix,
 * whose held mail expires only once released). The command line changes the spool; the scheduler
 * looks at its requests once a second ({@link Spool#requestReview}), and the spool is read again
 * before every retry, so that a hold made meanwhile is never missed.
 *
 * <p>Its maps hold one entry per message in the queue, which the spool's free-space floor bounds.
 */
public final class DeliveryScheduler implements AutoCloseable {

    /** The delivery agent's logger: the name its lines have always had in the JSON log. */
    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);
    private static final Duration IDLE_CONNECTION = Duration.ofSeconds(10);
    private static final int MAX_TRANSACTIONS_PER_CONNECTION = 100;
    /** Flush and review requests are looked at once a second (real time), not per message. */
    private static final long HOUSEKEEPING_NANOS = TimeUnit.SECONDS.toNanos(1);

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
        static final Progress NONE = new Progress(0, "");
    }

    private final Spool spool;
    private final DeliveryAgent agent;
    private final ConnectionPool connections;
    private final DeliveryConfig config;
    private final RetrySchedule retries;
    private final Clock clock;
    private final Semaphore inFlight;
    private final Schedule schedule;
    /** Messages scheduled, held or being attempted, so that no message is ever attempted twice at once. */
    private final Set<QueueId> known = ConcurrentHashMap.newKeySet();
    /** Messages on hold: known, but kept out of the schedule until released. */
    private final Map<QueueId, Schedule.Entry> held = new ConcurrentHashMap<>();
    private final Map<QueueId, Progress> progress = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private long lastHousekeeping = System.nanoTime();
    private Thread scheduler;

    /**
     * Wires the delivery's parts: the agent, its router, transactions, DSN writer and log, and the
     * pool of connections they share.
     *
     * @param hostname         said in EHLO, and the DSNs' reporting host
     * @param opportunisticTls the client context for STARTTLS
     * @param clock            for due times, lifetimes, idle connections and the log
     */
    public DeliveryScheduler(Spool spool, Supplier<? extends Routes> routes, MxResolver dns, DeliveryConfig config, String hostname,
                             SSLContext opportunisticTls, Clock clock, GatewayMetrics metrics, MessageSink messageLog) {
        // Open connections per server are bounded by the deliveries in flight, so that no delivery
        // waits for one; idle ones by what one destination may use at once.
        this.connections = new ConnectionPool("delivery", new ConnectionPool.Limits(config.concurrency(),
                config.destinationConcurrency(), config.concurrency(), MAX_TRANSACTIONS_PER_CONNECTION, IDLE_CONNECTION),
                clock);
        this.agent = new DeliveryAgent(spool, routes, new Router(dns, config.remotePort(), metrics),
                new MailTransaction(connections, hostname, opportunisticTls, config), new DsnWriter(spool, hostname, clock),
                new DeliveryLog(metrics, messageLog, clock), config, clock);
        this.spool = spool;
        this.config = config;
        this.retries = RetrySchedule.of(config);
        this.clock = clock;
        this.schedule = new Schedule(clock);
        this.inFlight = new Semaphore(config.concurrency());
    }

    /** Starts delivering, beginning with what the spool held at start-up. */
    public void start(List<SpooledMessage> recovered) {
        for (SpooledMessage message : recovered) {
            if (known.add(message.id())) {
                Journal journal = message.journal();
                progress.put(message.id(), new Progress(journal.attempts(), lastReply(message)));
                // every message is tried at once after a start; the back-off goes on from its attempts
                Schedule.Entry entry = schedule.dueNow(message.id(), journal.attempts(), message);
                if (journal.held()) {
                    held.put(message.id(), entry);
                } else {
                    schedule.add(entry);
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
            schedule.add(schedule.dueNow(message.id(), 0, message));
        }
    }

    /** Attempts every deferred message now (the {@code queue flush} command). */
    public void flush() {
        schedule.allDueNow();
    }

    /** Messages waiting for a retry or being attempted. */
    public int size() {
        return known.size();
    }

    /** Age of the oldest message in the queue, in seconds; O(queue), called once per metrics scrape. */
    public long oldestAgeSeconds() {
        return known.stream().min(Comparator.naturalOrder())
                .map(id -> Math.max(0, Duration.between(id.acceptedAt(), clock.instant()).toSeconds())).orElse(0L);
    }

    /**
     * The messages in the queue, oldest first, each read from the spool: O(queue), for the console.
     * A message that disappears while the snapshot is taken (delivered) is left out.
     */
    public List<QueuedMessage> snapshot() throws IOException {
        Map<QueueId, Schedule.Entry> waiting = schedule.entries();
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
        return queued(id, schedule.find(id).orElse(null));
    }

    private Optional<QueuedMessage> queued(QueueId id, Schedule.Entry waiting) throws IOException {
        Optional<SpooledMessage> read = waiting != null && waiting.fresh() != null ? Optional.of(waiting.fresh())
                : spool.read(id);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        SpooledMessage message = read.get();
        Progress done = progress.getOrDefault(id, Progress.NONE);
        boolean onHold = held.containsKey(id);
        Instant now = clock.instant();
        Instant next = onHold ? null : waiting == null || waiting.due().isBefore(now) ? now : waiting.due();
        return Optional.of(new QueuedMessage(message.envelope(), message.pendingRecipients(), message.contentLength(),
                done.attempts(), waiting == null && !onHold, onHold, next, done.lastError()));
    }

    /** Attempts the message now instead of at its scheduled time. */
    public Result retryNow(QueueId id) {
        if (held.containsKey(id)) {
            return Result.HELD;
        }
        return claimed(id, entry -> {
            schedule.add(schedule.dueNow(id, entry.attempts(), entry.fresh()));
            log.info("queue_id={} retry_now", id);
            return Result.DONE;
        });
    }

    /** Removes the message from the queue without a DSN ({@code gatehouse queue delete}, the console). */
    public Result delete(QueueId id) throws IOException {
        return claimed(id, entry -> {
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
        return claimed(id, entry -> {
            Optional<SpooledMessage> read = entry.fresh() != null ? Optional.of(entry.fresh()) : spool.read(id);
            if (read.isEmpty()) {
                forget(id);
                return Result.NOT_QUEUED;
            }
            int attempts = progress.getOrDefault(id, Progress.NONE).attempts();
            agent.returnToSender(read.get(), attempts).ifPresent(this::submit);
            spool.remove(id);
            forget(id);
            log.info("queue_id={} bounced_by_administrator", id);
            return Result.DONE;
        });
    }

    /** An administrator's action on a message taken out of the schedule. */
    @FunctionalInterface
    private interface ClaimedAction<E extends Exception> {
        Result apply(Schedule.Entry entry) throws E;
    }

    /**
     * Runs {@code action} on the message while no attempt can start, or says why it cannot; if the
     * action fails, the message goes back to the scheduler as it was.
     */
    private <E extends Exception> Result claimed(QueueId id, ClaimedAction<E> action) throws E {
        Schedule.Entry parked = held.remove(id);
        Optional<Schedule.Entry> claimed = parked != null ? Optional.of(parked) : schedule.claim(id);
        if (claimed.isEmpty()) {
            return known.contains(id) ? Result.BEING_DELIVERED : Result.NOT_QUEUED;
        }
        try {
            return action.apply(claimed.get());
        } catch (Exception e) {
            if (parked != null) { // still queued: give it back as it was
                held.put(id, parked);
            } else {
                schedule.add(claimed.get());
            }
            throw e;
        }
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
        Schedule.Entry parked = held.remove(id);
        Schedule.Entry current = parked != null ? parked : schedule.claim(id).orElse(null);
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
                schedule.add(current);
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
        Schedule.Entry next = schedule.dueNow(id, journal.attempts(), null);
        if (journal.held()) {
            held.put(id, next);
        } else {
            schedule.add(next);
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

    private void schedulerLoop() {
        while (running) {
            try {
                Schedule.Entry next = schedule.next(1, TimeUnit.SECONDS);
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
                        attempt(next);
                    } finally {
                        inFlight.release();
                    }
                });
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void attempt(Schedule.Entry scheduled) {
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
            held.put(id, schedule.dueNow(id, scheduled.attempts(), null)); // until released
            return;
        }
        int attempt = scheduled.attempts() + 1;
        DeliveryAgent.Attempt result = agent.attempt(message, attempt);
        result.dsns().forEach(this::submit);
        if (result.done()) {
            forget(id);
            return;
        }
        progress.put(id, new Progress(attempt, result.lastError()));
        schedule.add(schedule.entry(id, attempt, clock.instant().plus(retries.delayAfter(attempt)), null));
    }

    /** Stops scheduling, waits up to {@code grace} for attempts in flight, closes idle connections. */
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
}
