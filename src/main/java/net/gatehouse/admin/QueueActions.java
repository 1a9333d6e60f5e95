package net.gatehouse.admin;

import java.io.IOException;
import java.time.Clock;
import net.gatehouse.queue.DeliveryScheduler;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.QueuedMessage;
import net.gatehouse.store.Actor;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.StoreException;

/**
 * An administrator's actions on a message in the running gateway's queue (the console and the
 * API): retry now, delete (no DSN), bounce (a DSN to the sender for the pending recipients, none to
 * the null sender). A message whose delivery attempt is under way is not touched: the action is
 * refused rather than racing the attempt.
 *
 * <p>Audited, but not in one transaction with the change: the queue is files on this node's disk,
 * not in the store. The entry ({@code queue.retry}, {@code queue.delete}, {@code queue.bounce}:
 * before, the envelope; after, what became of it) is written right after the action succeeded; if
 * the store fails then, the action stands and the failure is reported to the actor.
 */
public final class QueueActions {

    /** What an administrator can do to a queued message. */
    public enum Action {
        RETRY("queue.retry"),
        DELETE("queue.delete"),
        BOUNCE("queue.bounce");

        private final String audited;

        Action(String audited) {
            this.audited = audited;
        }
    }

    private final DeliveryScheduler delivery;
    private final AuditLog audit;
    private final Clock clock;

    public QueueActions(DeliveryScheduler delivery, AuditLog audit, Clock clock) {
        this.delivery = delivery;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Does it, then records it.
     *
     * @return what became of the message, in a few words
     * @throws Refusal NOT_FOUND if it is not queued; CONFLICT while it is being delivered, or (retry) on hold
     * @throws IOException if the spool cannot be read or written
     */
    public String act(Actor actor, QueueId id, Action action) throws IOException {
        QueuedMessage before = delivery.find(id).orElseThrow(() -> notQueued(id));
        DeliveryScheduler.Result result = switch (action) {
            case RETRY -> delivery.retryNow(id);
            case DELETE -> delivery.delete(id);
            case BOUNCE -> delivery.bounce(id);
        };
        switch (result) {
            case NOT_QUEUED -> throw notQueued(id);
            case BEING_DELIVERED -> throw Refusal.conflict("message " + id + " is being delivered right now; "
                    + "try again when the attempt is over");
            case HELD -> throw Refusal.conflict("message " + id + " is on hold; release it first "
                    + "(gatehouse queue release)");
            case DONE -> {
            }
        }
        String after = switch (action) {
            case RETRY -> "delivery attempt started";
            case DELETE -> "deleted, no DSN";
            case BOUNCE -> before.envelope().hasNullSender() ? "removed; no DSN to the null sender"
                    : "DSN to " + before.envelope().sender() + " for " + String.join(", ", before.pendingRecipients());
        };
        try {
            audit.record(clock.instant(), actor, action.audited, id.value(), describe(before), after);
        } catch (StoreException e) {
            throw new StoreException("message " + id + ": " + after + ", but the audit log could not record it: "
                    + e.getMessage(), e);
        }
        return after;
    }

    private static String describe(QueuedMessage message) {
        Envelope envelope = message.envelope();
        return "from: " + envelope.sender() + "\npending: " + String.join(", ", message.pendingRecipients())
                + "\nreceived: " + envelope.received() + "\nattempts: " + message.attempts()
                + (message.held() ? "\non hold" : "")
                + (message.lastError().isEmpty() ? "" : "\nlast error: " + message.lastError());
    }

    static Refusal notQueued(QueueId id) {
        return Refusal.notFound("message " + id + " is not in the queue (delivered, bounced or deleted)");
    }
}
