package net.gatehouse.queue;

import java.time.Instant;
import java.util.List;

/**
 * A message in the running delivery agent's queue, as the console and the API show it.
 *
 * @param pendingRecipients recipients not yet delivered or bounced, in RCPT order
 * @param size              the content's length in bytes, the Received header included
 * @param attempts          delivery attempts finished so far
 * @param delivering        whether an attempt is under way right now
 * @param held              whether it is on hold: not attempted until released ({@code gatehouse queue release})
 * @param nextAttempt       when the next attempt is due (now, when one is under way); null while on hold
 * @param lastError         the reply of the last deferred recipient of the last attempt; empty if none
 */
public record QueuedMessage(Envelope envelope, List<String> pendingRecipients, long size, int attempts,
                            boolean delivering, boolean held, Instant nextAttempt, String lastError) {

    public QueuedMessage {
        pendingRecipients = List.copyOf(pendingRecipients);
    }

    public QueueId id() {
        return envelope.id();
    }
}
