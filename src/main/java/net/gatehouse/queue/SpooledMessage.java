package net.gatehouse.queue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A message safely in the spool: its envelope, where its content lies in the file, and what its
 * journal says (finished recipients, last results, attempts, hold).
 */
public record SpooledMessage(Envelope envelope, Path file, long contentOffset, long contentLength, Journal journal) {

    public QueueId id() {
        return envelope.id();
    }

    /** Recipients that need no further attempt (delivered or bounced). */
    public Set<String> finishedRecipients() {
        return journal.finished();
    }

    /** Recipients still to be delivered, in RCPT order. */
    public List<String> pendingRecipients() {
        Set<String> finished = journal.finished();
        if (finished.isEmpty()) {
            return envelope.recipients();
        }
        return envelope.recipients().stream().filter(r -> !finished.contains(r)).toList();
    }
}
