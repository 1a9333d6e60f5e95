package net.gatehouse.config;

import java.util.Locale;

/**
 * How the gateway writes its log on standard output (SPEC §10): the {@code log} section.
 *
 * @param format     {@code postfix}: the SMTP and delivery lines in Postfix's shapes, for the tools
 *                   that read Postfix's log; {@code json}: one JSON object per line, for log shippers
 * @param level      the least severe level written for Gatehouse's own lines
 * @param syslogName the name before the daemon in postfix lines ({@code postfix/smtpd[pid]}), as
 *                   Postfix's {@code syslog_name}
 */
public record LogConfig(Format format, Level level, String syslogName) {

    /** What a file without a {@code log} section gets. */
    public static final LogConfig DEFAULTS = new LogConfig(Format.POSTFIX, Level.INFO, "postfix");

    public enum Format {
        POSTFIX, JSON;

        /** The word in the configuration file. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Level {
        ERROR, WARN, INFO, DEBUG;

        /** The word in the configuration file. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
