package net.gatehouse.queue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A message safely in the spool: its envelope, where its content lies in the file, and which
 * recipients are already finished (delivered or bounced) according to its journal.
 */
public record SpooledMessage(Envelope envelope, Path file, long contentOffset, long contentLength,
                             Set<String> finishedRecipients) {

    public SpooledMessage {
        finishedRecipients = Set.copyOf(finishedRecipients);
    }

    public QueueId id() {
        return envelope.id();
    }

    /** Recipients still to be delivered, in RCPT order. */
    public List<String> pendingRecipients() {
        return envelope.recipients().stream().filter(r -> !finishedRecipients.contains(r)).toList();
    }
}
