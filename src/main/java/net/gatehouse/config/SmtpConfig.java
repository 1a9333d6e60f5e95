package net.gatehouse.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The inbound SMTP listener: SPEC §2 {@code smtp:} plus the limits and timeouts an administrator
 * tunes (names follow the words of RFC 5321 and Postfix where they exist).
 *
 * @param commandTimeout  deadline for the whole of the next command line, the wait included (RFC
 *                        5321 4.5.3.2.7: at least 5 minutes)
 * @param dataTimeout     deadline for DATA before credit for bytes received (RFC 5321 4.5.3.2.6
 *                        gives the client 3 minutes per block; a whole message may take longer)
 * @param minDataRate     bytes per second: each byte of DATA received extends its deadline by
 *                        1/minDataRate s, so an honest slow sender is never cut off, a drip is
 * @param greetPause      how long to wait before the greeting; a client that talks during it is an
 *                        early talker and is refused. {@code 0s} only refuses data already waiting.
 * @param maxErrors       client errors in one session before {@code 421 4.7.0} and disconnect
 * @param bareLineEndings what to do with a bare CR or LF in message data (SMTP smuggling)
 * @param minFreeSpace    refuse new mail with {@code 452 4.3.1} when the spool's disk has less free
 */
public record SmtpConfig(
        List<ListenAddress> listen,
        long maxMessageSize,
        int maxRecipients,
        int maxConnections,
        int maxConnectionsPerIp,
        boolean proxyProtocol,
        Optional<TlsConfig> tls,
        Duration commandTimeout,
        Duration dataTimeout,
        int minDataRate,
        Duration greetPause,
        int maxErrors,
        BareLineEndings bareLineEndings,
        long minFreeSpace,
        Duration shutdownGrace) {

    public SmtpConfig {
        listen = List.copyOf(listen);
    }

    /** Handling of a CR or LF that is not part of a CRLF pair inside DATA. */
    public enum BareLineEndings {
        /** Turn each bare CR or LF into CRLF (what Postfix 3.9 does by default). */
        NORMALISE,
        /** Refuse the message with {@code 550 5.6.0}. */
        REJECT
    }
}
