package net.gatehouse.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What differs between the configuration in force and a file re-read by a reload (SPEC §10), in
 * the file's key names, sorted into what a running gateway applies at once and what takes a
 * restart.
 *
 * <p>Live: the {@code policy} section (the pins, directories included), the SMTP limits and timeouts (for sessions that
 * start after the reload: a session in progress keeps the limits it started with), {@code smtp.tls}
 * (whose files are re-read on every reload even when their paths are the same, so that a renewed
 * certificate needs no restart) and {@code log}. Everything else names sockets, files or
 * connections that are opened once at start-up.
 *
 * @param live    keys that the reload applies
 * @param restart keys whose new value waits for a restart; the old one stays in force
 */
public record ConfigChanges(List<String> live, List<String> restart) {

    public ConfigChanges {
        live = List.copyOf(live);
        restart = List.copyOf(restart);
    }

    public static ConfigChanges between(GatewayConfig running, GatewayConfig reread) {
        List<String> live = new ArrayList<>();
        List<String> restart = new ArrayList<>();
        Diff diff = new Diff(live, restart);

        diff.restart("hostname", running.hostname(), reread.hostname());
        diff.restart("data_dir", running.dataDir(), reread.dataDir());
        diff.restart("store", running.store(), reread.store());
        diff.restart("cache", running.cache(), reread.cache());
        // the heartbeat's row and the message log's entries carry the name the node started with
        diff.restart("node", running.node(), reread.node());
        diff.restart("console", running.console(), reread.console());
        diff.restart("dns", running.dns(), reread.dns());
        diff.restart("delivery", running.delivery(), reread.delivery());
        diff.restart("callout", running.callout(), reread.callout());
        diff.restart("message_log.retention", running.messageLogRetention(), reread.messageLogRetention());

        SmtpConfig a = running.smtp();
        SmtpConfig b = reread.smtp();
        diff.restart("smtp.listen", a.listen(), b.listen());
        diff.restart("smtp.proxy_protocol", a.proxyProtocol(), b.proxyProtocol());
        diff.restart("smtp.min_free_space", a.minFreeSpace(), b.minFreeSpace());
        diff.live("smtp.tls", a.tls(), b.tls());
        diff.live("smtp.max_message_size", a.maxMessageSize(), b.maxMessageSize());
        diff.live("smtp.max_recipients", a.maxRecipients(), b.maxRecipients());
        diff.live("smtp.max_connections", a.maxConnections(), b.maxConnections());
        diff.live("smtp.max_connections_per_ip", a.maxConnectionsPerIp(), b.maxConnectionsPerIp());
        diff.live("smtp.command_timeout", a.commandTimeout(), b.commandTimeout());
        diff.live("smtp.data_timeout", a.dataTimeout(), b.dataTimeout());
        diff.live("smtp.min_data_rate", a.minDataRate(), b.minDataRate());
        diff.live("smtp.greet_pause", a.greetPause(), b.greetPause());
        diff.live("smtp.max_errors", a.maxErrors(), b.maxErrors());
        diff.live("smtp.bare_line_endings", a.bareLineEndings(), b.bareLineEndings());
        diff.live("smtp.shutdown_grace", a.shutdownGrace(), b.shutdownGrace());

        LogConfig logA = running.log();
        LogConfig logB = reread.log();
        diff.live("log.format", logA.format(), logB.format());
        diff.live("log.level", logA.level(), logB.level());
        diff.live("log.syslog_name", logA.syslogName(), logB.syslogName());

        diff.live("policy", running.policy(), reread.policy());
        return new ConfigChanges(live, restart);
    }

    /**
     * The configuration in force after a reload: the re-read file's live values, and the running
     * values of what takes a restart (so that the next reload names those keys again until then).
     */
    public static GatewayConfig inForce(GatewayConfig running, GatewayConfig reread) {
        SmtpConfig a = running.smtp();
        SmtpConfig b = reread.smtp();
        SmtpConfig smtp = new SmtpConfig(a.listen(), b.maxMessageSize(), b.maxRecipients(), b.maxConnections(),
                b.maxConnectionsPerIp(), a.proxyProtocol(), b.tls(), b.commandTimeout(), b.dataTimeout(),
                b.minDataRate(), b.greetPause(), b.maxErrors(), b.bareLineEndings(), a.minFreeSpace(), b.shutdownGrace());
        return new GatewayConfig(running.hostname(), running.dataDir(), smtp, running.console(), running.store(),
                running.cache(), running.node(), running.dns(), running.delivery(), running.callout(), running.messageLogRetention(),
                reread.log(), reread.policy());
    }

    /** Whether the re-read file changes nothing (its TLS files may still hold a new certificate). */
    public boolean none() {
        return live.isEmpty() && restart.isEmpty();
    }

    private record Diff(List<String> live, List<String> restart) {
        void live(String key, Object running, Object reread) {
            if (!Objects.equals(running, reread)) {
                live.add(key);
            }
        }

        void restart(String key, Object running, Object reread) {
            if (!Objects.equals(running, reread)) {
                restart.add(key);
            }
        }
    }
}
