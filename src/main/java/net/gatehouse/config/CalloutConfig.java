package net.gatehouse.config;

import java.time.Duration;

/**
 * How this node probes back-end servers for recipient verification ("callout", SPEC §3).
 *
 * @param probeSender            the MAIL FROM of probes, without brackets; empty for the null sender
 *                               {@code <>} (some servers refuse it: set an address they accept)
 * @param timeout                the budget of one RCPT's verification, all back-ends and steps together
 * @param connectTimeout         TCP connect deadline per back-end host
 * @param connectionsPerBackend  open probe connections kept per back-end host
 * @param probesPerConnection    probes on one connection before it is closed and replaced
 * @param idleTimeout            an unused probe connection is closed after this
 * @param catchAllRecheck        how often a domain's back-end is re-probed for accept-all behaviour
 */
public record CalloutConfig(
        String probeSender,
        Duration timeout,
        Duration connectTimeout,
        int connectionsPerBackend,
        int probesPerConnection,
        Duration idleTimeout,
        Duration catchAllRecheck) {
}
