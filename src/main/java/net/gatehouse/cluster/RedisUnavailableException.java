package net.gatehouse.cluster;

/**
 * The shared Redis could not answer now: unreachable, too slow, refusing us, or skipped while the
 * {@link RedisLink}'s circuit is open. Callers fall back to what the node keeps itself.
 */
public final class RedisUnavailableException extends RuntimeException {

    RedisUnavailableException(String message, Throwable cause) {
        super(message, cause, false, false);   // expected under an outage: no stack trace to fill in
    }
}
