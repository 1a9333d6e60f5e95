package net.gatehouse.queue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import net.gatehouse.config.DeliveryConfig;
import net.gatehouse.log.MailEvent;
import net.gatehouse.route.Routes;
import net.gatehouse.smtp.protocol.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One delivery attempt of one message: its pending recipients grouped by destination, each group
 * routed ({@link Router}) and sent to its servers in order, one transaction each
 * ({@link MailTransaction}), at most {@code destination_concurrency} at once per destination;
 * then the results recorded: a line per recipient ({@link DeliveryLog}), a DSN to the sender for
 * the recipients that failed for good and, where the sender asked for it with NOTIFY=SUCCESS, for
 * those relayed to a server without DSN ({@link DsnWriter}, which honours NOTIFY), and the journal, or the removal of a
 * message that has nothing left to deliver. When to attempt a message, and again, is the
 * {@link DeliveryScheduler}'s business.
 */
final class DeliveryAgent {

    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);
    /** What the DSN says of the recipients of a message an administrator returned to its sender. */
    static final Reply RETURNED_BY_ADMINISTRATOR = Reply.of(550, "5.0.0",
            "Message returned to the sender by the mail administrator");

    /**
     * What an attempt left behind.
     *
     * @param done      every recipient is finished and the message has left the spool
     * @param lastError the reply of the last deferred recipient, as the console shows it; empty if none
     * @param dsns      the DSNs it queued, to be scheduled
     */
    record Attempt(boolean done, String lastError, List<SpooledMessage> dsns) {
        Attempt {
            dsns = List.copyOf(dsns);
        }
    }

    private final Spool spool;
    private final Supplier<? extends Routes> routes;
    private final Router router;
    private final MailTransaction transaction;
    private final DsnWriter dsns;
    private final DeliveryLog deliveries;
    private final DeliveryConfig config;
    private final RetrySchedule retries;
    private final DestinationConcurrency destinations;
    private final Clock clock;

    DeliveryAgent(Spool spool, Supplier<? extends Routes> routes, Router router, MailTransaction transaction, DsnWriter dsns,
                  DeliveryLog deliveries, DeliveryConfig config, Clock clock) {
        this.spool = spool;
        this.routes = routes;
        this.router = router;
        this.transaction = transaction;
        this.dsns = dsns;
        this.deliveries = deliveries;
        this.config = config;
        this.retries = RetrySchedule.of(config);
        this.destinations = new DestinationConcurrency(config.destinationConcurrency());
        this.clock = clock;
    }

    /** Attempt number {@code attempt} (1 for the first) of a message not on hold. */
    Attempt attempt(SpooledMessage message, int attempt) {
        Instant started = clock.instant();
        Routes current = routes.get();
        Map<Destination, List<String>> byDestination = new LinkedHashMap<>();
        for (String recipient : message.pendingRecipients()) {
            byDestination.computeIfAbsent(Destination.of(recipient, current), d -> new ArrayList<>()).add(recipient);
        }
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        for (Map.Entry<Destination, List<String>> group : byDestination.entrySet()) {
            outcomes.putAll(deliver(message, group.getKey(), group.getValue()));
        }
        return finish(message, attempt, outcomes, byDestination, started);
    }

    /**
     * Gives up on the message's pending recipients as for a permanent failure, at an
     * administrator's request: a "bounced" line per recipient, and a DSN to the sender (never to
     * the null sender). Removing the message is the caller's part.
     *
     * @return the DSN, to be scheduled
     */
    Optional<SpooledMessage> returnToSender(SpooledMessage message, int attempts) throws IOException {
        Outcome returned = new Outcome(Outcome.Kind.FAILED, RETURNED_BY_ADMINISTRATOR, "none");
        List<DeliveryStatusNotification.Failure> failures = new ArrayList<>();
        Instant now = clock.instant();
        for (String recipient : message.pendingRecipients()) {
            deliveries.record(message, recipient, returned, attempts, now);
            failures.add(new DeliveryStatusNotification.Failure(recipient, RETURNED_BY_ADMINISTRATOR, "none", true));
        }
        return failures.isEmpty() ? Optional.empty() : dsns.write(message, failures);
    }

    /** Each recipient's outcome: from the first of the destination's servers that takes the transaction. */
    private Map<String, Outcome> deliver(SpooledMessage message, Destination destination, List<String> recipients) {
        List<InetSocketAddress> servers;
        switch (router.route(destination)) {
            case Router.Route.Servers route -> servers = route.servers();
            case Router.Route.Unroutable unroutable -> {
                return allRecipients(recipients, unroutable.outcome());
            }
        }
        DestinationConcurrency.Slot slot;
        try {
            slot = destinations.acquire(destination.key());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return allRecipients(recipients, Outcome.deferred("4.3.2", "Delivery interrupted by shutdown"));
        }
        try {
            Outcome last = Outcome.deferred("4.4.1", "No server for the destination could be reached");
            for (InetSocketAddress server : servers) {
                Optional<Map<String, Outcome>> result = transaction.send(message, server, recipients);
                if (result.isPresent()) {
                    return result.get();
                }
                last = Outcome.deferred("4.4.1", "Connection to the destination's server failed");
            }
            return allRecipients(recipients, last);
        } finally {
            slot.close();
        }
    }

    /** @param started when the attempt began, for the log's delays */
    private Attempt finish(SpooledMessage message, int attempt, Map<String, Outcome> outcomes,
                           Map<Destination, List<String>> routes, Instant started) {
        QueueId id = message.id();
        Instant now = clock.instant();
        boolean expired = retries.expired(message.journal().lifetimeStart(), now);
        List<String> finished = new ArrayList<>();
        Map<String, Outcome> results = new LinkedHashMap<>();
        List<DeliveryStatusNotification.Failure> failures = new ArrayList<>();
        List<DeliveryStatusNotification.Failure> relayed = new ArrayList<>();
        String lastError = "";
        for (Map.Entry<Destination, List<String>> route : routes.entrySet()) {
            for (String recipient : route.getValue()) {
                Outcome outcome = outcomes.get(recipient);
                if (!outcome.finished() && expired) {
                    outcome = new Outcome(Outcome.Kind.FAILED, Reply.of(550, "5.4.7",
                            "Message expired in the queue after " + config.maxLifetime().toHours()
                                    + " hours; last error: " + outcome.reply()), outcome.relay());
                }
                deliveries.record(message, recipient, outcome, attempt, started);
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
                // RFC 3461 6.2.3: a server without DSN will not report success; the gateway says "relayed"
                if (outcome.kind() == Outcome.Kind.DELIVERED && !outcome.nextHopDsn()
                        && message.envelope().dsn(recipient).wantsSuccess()) {
                    relayed.add(new DeliveryStatusNotification.Failure(recipient, outcome.reply(), outcome.relay(),
                            !route.getKey().isBackend()));
                }
            }
        }
        List<SpooledMessage> queued = new ArrayList<>(1);
        try {
            if (!failures.isEmpty()) {
                dsns.write(message, failures).ifPresent(queued::add);
            }
            if (!relayed.isEmpty()) {
                dsns.write(message, DeliveryStatusNotification.Action.RELAYED, relayed).ifPresent(queued::add);
            }
            if (finished.size() == outcomes.size()) {
                // No journal for a message that is done: removing it is the record (a crash before
                // the removal is durable delivers it again, the window the Spool documents).
                spool.remove(id);
                new MailEvent.Removed(id.value()).logTo(log);
                return new Attempt(true, lastError, queued);
            }
            spool.recordAttempt(id, attempt, now, results);
        } catch (IOException e) {
            // The journal could not be written: keep the message and try again later; at worst a
            // recipient gets it twice, never not at all.
            log.error("queue_id={} journal_failed error=\"{}\"", id, e.getMessage());
        }
        return new Attempt(false, lastError, queued);
    }

    private static Map<String, Outcome> allRecipients(List<String> recipients, Outcome outcome) {
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        recipients.forEach(r -> outcomes.put(r, outcome));
        return outcomes;
    }
}
