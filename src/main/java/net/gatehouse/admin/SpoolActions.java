package net.gatehouse.admin;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.queue.SpoolAdoption;
import net.gatehouse.queue.SpooledMessage;
import net.gatehouse.store.Actor;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.StoreException;

/**
 * An administrator's actions on a node's spool directory, beside the gateway that may be running
 * on it ({@code gatehouse queue hold|release|requeue|delete|flush}, Postfix's verbs): each change
 * is written to the message's journal first (durably), then the gateway is asked to look at the
 * message again, which it does within a second ({@link Spool#requestReview}).
 *
 * <p>Audited, but not in one transaction with the change: the queue is files on this node's disk,
 * not in the store. The entry ({@code queue.hold}, {@code queue.release}, {@code queue.requeue},
 * {@code queue.delete}, {@code queue.flush}, {@code queue.adopt}) is written right after the change succeeded; if the
 * store fails then, the change stands and the failure is reported to the actor. An action that
 * changes nothing (holding a held message) records nothing.
 */
public final class SpoolActions {

    /** What became of one message. */
    public enum Outcome {
        DONE,
        /** Nothing to do: already so (held, not held). */
        UNCHANGED,
        /** The message left the queue meanwhile (delivered): nothing done. */
        GONE
    }

    private final Spool spool;
    private final AuditLog audit;
    private final Clock clock;

    public SpoolActions(Spool spool, AuditLog audit, Clock clock) {
        this.spool = spool;
        this.audit = audit;
        this.clock = clock;
    }

    /** Puts the message on hold ({@code postsuper -h}): no new attempt starts until it is released. */
    public Outcome hold(Actor actor, SpooledMessage message) throws IOException {
        if (message.journal().held()) {
            return Outcome.UNCHANGED;
        }
        Instant now = clock.instant();
        if (!spool.hold(message.id(), now)) {
            return Outcome.GONE;
        }
        return reviewed(actor, message, "queue.hold", "on hold", now);
    }

    /** Releases the message from hold ({@code postsuper -H}). */
    public Outcome release(Actor actor, SpooledMessage message) throws IOException {
        if (!message.journal().held()) {
            return Outcome.UNCHANGED;
        }
        Instant now = clock.instant();
        if (!spool.release(message.id(), now)) {
            return Outcome.GONE;
        }
        return reviewed(actor, message, "queue.release", "released from hold", now);
    }

    /** Starts the message again from scratch ({@code postsuper -r}). */
    public Outcome requeue(Actor actor, SpooledMessage message) throws IOException {
        Instant now = clock.instant();
        if (!spool.requeue(message.id(), now)) {
            return Outcome.GONE;
        }
        return reviewed(actor, message, "queue.requeue", "requeued: attempts reset, lifetime from now", now);
    }

    /** Deletes the message without a DSN ({@code postsuper -d}). */
    public Outcome delete(Actor actor, SpooledMessage message) throws IOException {
        if (!spool.remove(message.id())) {
            return Outcome.GONE;
        }
        return reviewed(actor, message, "queue.delete", "deleted, no DSN", clock.instant());
    }

    /** Asks the running gateway to attempt the message now ({@code postqueue -i}); not for a held message. */
    public Outcome flush(Actor actor, SpooledMessage message) throws IOException {
        if (message.journal().held()) {
            return Outcome.UNCHANGED;
        }
        return reviewed(actor, message, "queue.flush", "delivery attempt requested", clock.instant());
    }

    /** Asks the running gateway to attempt every deferred message now ({@code postqueue -f}). */
    public void flushAll(Actor actor) throws IOException {
        spool.requestFlush();
        record(actor, "queue.flush", "all", "", "delivery attempt requested for every deferred message",
                clock.instant());
    }

    /**
     * Moves one message of a dead node's spool into this node's ({@code gatehouse queue adopt}),
     * recorded as {@code queue.adopt}; empty when it is no longer in the source.
     */
    public Optional<SpoolAdoption.Result> adopt(Actor actor, SpoolAdoption adoption, QueueId id) throws IOException {
        Optional<SpoolAdoption.Result> result = adoption.adopt(id);
        result.ifPresent(r -> record(actor, "queue.adopt", id.value(), "from " + adoption.sourceSpool() + "\nsender: "
                + r.envelope().sender() + "\nrecipients: " + String.join(", ", r.envelope().recipients()),
                switch (r.outcome()) {
                    case ADOPTED -> "adopted, to be delivered by this node to: " + String.join(", ", r.pending())
                            + (r.held() ? " (on hold, as it was)" : "");
                    case ALREADY_ADOPTED -> "adopted before; removed from the source";
                    case NOTHING_PENDING -> "no recipient pending; removed from the source";
                }, clock.instant()));
        return result;
    }

    private Outcome reviewed(Actor actor, SpooledMessage message, String action, String after, Instant at)
            throws IOException {
        spool.requestReview(message.id());
        record(actor, action, message.id().value(), describe(message), after, at);
        return Outcome.DONE;
    }

    private void record(Actor actor, String action, String target, String before, String after, Instant at) {
        try {
            audit.record(at, actor, action, target, before, after);
        } catch (StoreException e) {
            throw new StoreException(target + ": " + after + ", but the audit log could not record it: "
                    + e.getMessage(), e);
        }
    }

    private static String describe(SpooledMessage message) {
        Envelope envelope = message.envelope();
        return "from: " + envelope.sender() + "\npending: " + String.join(", ", message.pendingRecipients())
                + "\nreceived: " + envelope.received() + "\nattempts: " + message.journal().attempts()
                + (message.journal().held() ? "\non hold" : "");
    }
}
