package net.gatehouse.queue;

import net.gatehouse.smtp.protocol.Reply;

/**
 * What happened to one recipient in one delivery attempt.
 *
 * @param relay the server that answered ("mx1.example.net[192.0.2.1]:25"), or "none"
 */
record Outcome(Kind kind, Reply reply, String relay) {

    enum Kind { DELIVERED, DEFERRED, FAILED }

    static Outcome of(Reply reply, String relay) {
        Kind kind = reply.isPositive() ? Kind.DELIVERED : reply.isTransientFailure() ? Kind.DEFERRED : Kind.FAILED;
        return new Outcome(kind, reply, relay);
    }

    static Outcome deferred(String enhanced, String reason) {
        return new Outcome(Kind.DEFERRED, Reply.of(451, enhanced, reason), "none");
    }

    static Outcome failed(int code, String enhanced, String reason) {
        return new Outcome(Kind.FAILED, Reply.of(code, enhanced, reason), "none");
    }

    boolean finished() {
        return kind != Kind.DEFERRED;
    }
}
