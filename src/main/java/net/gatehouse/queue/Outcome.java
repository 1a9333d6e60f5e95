package net.gatehouse.queue;

import net.gatehouse.smtp.protocol.Reply;

/**
 * What happened to one recipient in one delivery attempt.
 *
 * @param relay      the server that answered ("mx1.example.net[192.0.2.1]:25"), or "none"
 * @param nextHopDsn the server offered DSN and was given the recipient's DSN parameters (RFC 3461
 *                   4.2): its reports are then the next hop's business; when false, a delivered
 *                   recipient with NOTIFY=SUCCESS is reported "relayed" by the gateway itself
 */
record Outcome(Kind kind, Reply reply, String relay, boolean nextHopDsn) {

    enum Kind { DELIVERED, DEFERRED, FAILED }

    Outcome(Kind kind, Reply reply, String relay) {
        this(kind, reply, relay, false);
    }

    static Outcome of(Reply reply, String relay) {
        return of(reply, relay, false);
    }

    static Outcome of(Reply reply, String relay, boolean nextHopDsn) {
        Kind kind = reply.isPositive() ? Kind.DELIVERED : reply.isTransientFailure() ? Kind.DEFERRED : Kind.FAILED;
        return new Outcome(kind, reply, relay, nextHopDsn);
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
