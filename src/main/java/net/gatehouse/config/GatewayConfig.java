package net.gatehouse.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The node's configuration, validated once at start-up (SPEC §2). Nothing reads raw YAML after
 * {@link ConfigLoader} has produced one of these.
 *
 * @param hostname name used in the greeting, in EHLO to other servers, in Received headers and DSNs
 * @param dataDir  spool and generated files; relative paths in the file are resolved against the
 *                 directory of the config file
 * @param node     this node's name in the cluster (SPEC §6): its row in the store's {@code nodes} table
 *                 and the {@code node} of the message-log entries it writes; the machine's host name
 *                 by default
 * @param messageLogRetention how long RCPT decisions and deliveries stay in the message log
 * @param log      the format and level of the log on standard output
 * @param policy   the policy declared in the file, if it has a {@code policy} section
 */
public record GatewayConfig(
        String hostname,
        Path dataDir,
        SmtpConfig smtp,
        ConsoleConfig console,
        String store,
        String cache,
        String node,
        DnsConfig dns,
        DeliveryConfig delivery,
        CalloutConfig callout,
        Duration messageLogRetention,
        LogConfig log,
        Optional<PolicyConfig> policy) {
}
