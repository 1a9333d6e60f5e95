package net.gatehouse.config;

import java.time.Duration;

/**
 * The delivery agent (SPEC §5).
 *
 * @param maxLifetime            how long a message may wait for a deferred recipient before it is
 *                               bounced (Postfix {@code maximal_queue_lifetime}, default 5d)
 * @param minBackoff             first retry delay; doubled after each failure up to {@code maxBackoff}
 * @param maxBackoff             longest delay between two attempts
 * @param concurrency            deliveries in flight at once, all destinations together
 * @param destinationConcurrency deliveries in flight to one destination (a back-end or an MX domain)
 * @param connectTimeout         TCP connect deadline per address
 * @param commandTimeout         deadline for each reply of the remote server (RFC 5321 4.5.3.2)
 * @param remotePort             port of MX hosts for outbound mail (Postfix {@code smtp_tcp_port})
 */
public record DeliveryConfig(
        Duration maxLifetime,
        Duration minBackoff,
        Duration maxBackoff,
        int concurrency,
        int destinationConcurrency,
        Duration connectTimeout,
        Duration commandTimeout,
        int remotePort) {
}
