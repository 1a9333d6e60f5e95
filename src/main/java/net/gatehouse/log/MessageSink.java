package net.gatehouse.log;

/**
 * Where the SMTP sessions and the delivery agent put their message-log entries. The one thing the
 * mail path knows of the message log: it hands an entry over and goes on, and how the entry is
 * queued, written and searched is the store's business ({@code store.MessageLog}).
 */
@FunctionalInterface
public interface MessageSink {

    /** Keeps nothing: for tools and tests that run the mail path without a message log. */
    MessageSink NONE = entry -> true;

    /**
     * Takes an entry without waiting.
     *
     * @return false if the entry was dropped (the sink is full or closed); the mail flow goes on either way
     */
    boolean record(LogEntry entry);
}
