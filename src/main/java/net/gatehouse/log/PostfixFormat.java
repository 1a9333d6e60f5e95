package net.gatehouse.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import net.gatehouse.smtp.protocol.Reply;
import org.slf4j.event.KeyValuePair;

/**
 * {@code log.format: postfix}: lines as Postfix writes them, so that pflogsumm, fail2ban's
 * {@code postfix} filter and postfix_exporter read them unchanged.
 *
 * <pre>
 * Dec  6 02:18:13 gw postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 550 5.1.1 &lt;nobody@example.com&gt;: Recipient address rejected: User unknown; from=&lt;a@sender.example&gt; to=&lt;nobody@example.com&gt; proto=ESMTP helo=&lt;mx.sender.example&gt;
 * Dec  6 02:18:14 gw postfix/smtp[4242]: 0QZ8K3M1T4V7B: to=&lt;alice@example.com&gt;, relay=mail.example.com[10.0.0.5]:25, delay=0.31, delays=0.02/0/0/0.29, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)
 * </pre>
 *
 * <p>The prefix is the traditional syslog one that rsyslog writes to {@code /var/log/mail.log}:
 * local time with the day padded with a space (pflogsumm's {@code -d today} matches only that),
 * the first label of the host name, {@code syslog_name/daemon[pid]:}. The daemon is the Postfix
 * program that would have logged the line; Gatehouse's own lines, which no Postfix tool knows,
 * use {@code gatehouse}. Warnings and errors carry Postfix's {@code warning: } and {@code error: }.
 *
 * <p>Every line is made printable as Postfix's own lines are: control characters (CR and LF among
 * them) become {@code ?}, a tab a space. Whatever a client sends as its HELO name or address, it
 * cannot start a line of its own.
 */
final class PostfixFormat implements LineFormat {

    /** Gatehouse's own lines, which Postfix's tools do not count. */
    static final String GATEHOUSE = "gatehouse";

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ENGLISH);

    /** Where {@link #lines} puts the lines of one event. */
    @FunctionalInterface
    interface Lines {
        /**
         * @param main whether this is the line that says the most about the event (the JSON
         *             format's {@code message})
         */
        void line(String daemon, boolean main, String text);
    }

    private record Stamp(long second, String text) {
    }

    private final String syslogName;
    private final String host;
    private final long pid;
    private final ZoneId zone;
    /** The last second's text: lines come many per second, and formatting a date costs more than a line. */
    private volatile Stamp stamp = new Stamp(Long.MIN_VALUE, "");

    /**
     * @param hostname the gateway's name; only its first label is written, as Postfix does
     */
    PostfixFormat(String syslogName, String hostname, long pid, ZoneId zone) {
        this.syslogName = syslogName;
        int dot = hostname.indexOf('.');
        this.host = dot > 0 ? hostname.substring(0, dot) : hostname;
        this.pid = pid;
        this.zone = zone;
    }

    @Override
    public String format(ILoggingEvent event) {
        StringBuilder out = new StringBuilder(256);
        String when = stamp(event.getTimeStamp());
        String severity = severity(event.getLevel());
        MailEvent mail = LogLayout.mailEvent(event);
        if (mail != null) {
            lines(mail, (daemon, main, text) -> line(out, when, daemon, severity, text));
        } else {
            line(out, when, GATEHOUSE, severity, generic(event));
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            for (String text : ThrowableProxyUtil.asString(thrown).split("\n")) {
                line(out, when, GATEHOUSE, severity, text);
            }
        }
        return out.toString();
    }

    private void line(StringBuilder out, String when, String daemon, String severity, String text) {
        out.append(when).append(' ').append(host).append(' ').append(syslogName).append('/').append(daemon)
                .append('[').append(pid).append("]: ").append(severity);
        int start = out.length();
        out.append(text);
        printable(out, start);
        out.append('\n');
    }

    /** A line of Gatehouse's own: its message, and any other key-value pairs as key=value. */
    private static String generic(ILoggingEvent event) {
        StringBuilder text = new StringBuilder(128);
        String logger = event.getLoggerName();
        if (logger != null && !logger.startsWith("net.gatehouse.")) {
            text.append(logger).append(": "); // a library's line: say whose
        }
        text.append(event.getFormattedMessage());
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                text.append(' ').append(pair.key).append('=');
                quoted(text, String.valueOf(pair.value));
            }
        }
        return text.toString();
    }

    /** The lines Postfix would write for {@code event}, in its order. */
    static void lines(MailEvent event, Lines out) {
        switch (event) {
            case MailEvent.Connect c -> out.line("smtpd", true, "connect from " + client(c.client()));
            case MailEvent.Tls t -> {
                int bits = bits(t.cipher());
                out.line("smtpd", true, "Anonymous TLS connection established from " + client(t.client()) + ": "
                        + t.protocol() + " with cipher " + t.cipher() + (bits > 0 ? " (" + bits + "/" + bits + " bits)" : ""));
            }
            case MailEvent.Reject r -> reject(r, out);
            case MailEvent.HarvestBlock h -> {
                StringBuilder text = new StringBuilder(96).append("harvest_block client=").append(h.client());
                if (h.helo() != null) {
                    text.append(" helo=");
                    quoted(text, h.helo());
                }
                out.line(GATEHOUSE, true, text.append(" until=").append(h.until()).toString());
            }
            case MailEvent.Queued q -> {
                out.line("smtpd", false, q.queueId() + ": client=" + client(q.client()));
                if (!q.messageId().isEmpty()) {
                    out.line("cleanup", false, q.queueId() + ": message-id=" + q.messageId());
                }
                out.line("qmgr", true, q.queueId() + ": from=<" + q.sender() + ">, size=" + q.size() + ", nrcpt="
                        + q.recipients().size() + " (queue active)");
                if (q.bareLineEndingsNormalised()) {
                    out.line(GATEHOUSE, false, q.queueId() + ": bare_line_endings=normalised client=" + q.client());
                }
            }
            case MailEvent.Disconnect d -> {
                String from = " from " + client(d.client());
                switch (d.end()) {
                    case "timeout" -> out.line("smtpd", false, "timeout after " + d.after() + from);
                    case "client_closed", "lost" -> out.line("smtpd", false, "lost connection after " + d.after() + from);
                    case "too_many_errors" -> out.line("smtpd", false, "too many errors after " + d.after() + from);
                    default -> { }
                }
                out.line("smtpd", true, "disconnect" + from + " " + d.commands());
            }
            case MailEvent.Delivery d -> out.line("smtp", true, d.queueId() + ": to=<" + d.recipient() + ">, relay=" + d.relay()
                    + ", delay=" + seconds(d.delay()) + ", delays=" + seconds(d.beforeAttempt()) + "/0/0/"
                    + seconds(d.inAttempt()) + ", dsn=" + dsn(d.reply()) + ", status=" + d.status() + " (" + d.reply() + ")");
            case MailEvent.Removed r -> out.line("qmgr", true, r.queueId() + ": removed");
            case MailEvent.Deleted d -> out.line("postsuper", true, d.queueId() + ": removed");
            case MailEvent.Dsn d -> {
                out.line("bounce", true, d.queueId() + (d.action().equals("relayed")
                        ? ": sender delivery status notification: " : ": sender non-delivery notification: ")
                        + d.dsnQueueId());
                if (!d.messageId().isEmpty()) {
                    out.line("cleanup", false, d.dsnQueueId() + ": message-id=" + d.messageId());
                }
                out.line("qmgr", false, d.dsnQueueId() + ": from=<>, size=" + d.size() + ", nrcpt=1 (queue active)");
            }
            case MailEvent.ConnectFailed c -> out.line("smtp", true, "connect to " + c.relay() + ": " + c.error());
        }
    }

    /**
     * Postfix's reject line, then Gatehouse's reason and explanation on a line of its own: the
     * tools read the first exactly as Postfix's, and none of them counts the second.
     */
    private static void reject(MailEvent.Reject r, Lines out) {
        String id = r.queueId() == null ? "NOQUEUE" : r.queueId();
        Reply reply = r.reply();
        StringBuilder text = new StringBuilder(256).append(id).append(": ").append(r.event()).append(": ").append(r.stage()).append(" from ")
                .append(client(r.client())).append(": ").append(reply.code()).append(' ');
        if (!reply.enhanced().isEmpty()) {
            text.append(reply.enhanced()).append(' ');
        }
        if (r.stage().equals("RCPT")) {
            text.append('<').append(r.recipient()).append(">: "); // as Postfix's replies to RCPT name it
        }
        text.append(String.join(" / ", reply.lines()))
                .append("; from=<").append(r.sender()).append("> to=<").append(r.recipient())
                .append("> proto=").append(r.esmtp() ? "ESMTP" : "SMTP");
        if (r.helo() != null) {
            text.append(" helo=<").append(r.helo()).append('>');
        }
        out.line("smtpd", true, text.toString());
        StringBuilder detail = new StringBuilder(160).append(id).append(": reason=").append(r.reason())
                .append(r.warning() ? " verdict=would_reject" : "")
                .append(" client=").append(r.client()).append(" to=<").append(r.recipient()).append("> why=");
        quoted(detail, r.why());
        out.line(GATEHOUSE, false, detail.toString());
    }

    /** Gatehouse never looks up the client's name, so it is {@code unknown}, as Postfix writes a name it has not verified. */
    static String client(String address) {
        return "unknown[" + address + "]";
    }

    /** The reply's enhanced status code, or the class of its code ({@code 4.0.0}) when it has none, as Postfix's {@code dsn=}. */
    static String dsn(Reply reply) {
        return reply.enhanced().isEmpty() ? reply.code() / 100 + ".0.0" : reply.enhanced();
    }

    /** The key length of a JDK cipher suite, for Postfix's "(256/256 bits)"; 0 when its name does not say. */
    static int bits(String cipher) {
        if (cipher.contains("_256_") || cipher.contains("CHACHA20")) {
            return 256;
        }
        if (cipher.contains("_128_")) {
            return 128;
        }
        return 0;
    }

    /**
     * A duration as Postfix writes {@code delay=} and {@code delays=}: whole seconds from 10 s on,
     * tenths from 1 s, hundredths below, trailing zeros left out ({@code 43}, {@code 1.4},
     * {@code 0.39}, {@code 0.05}, {@code 0}).
     */
    static String seconds(Duration duration) {
        if (duration.isNegative()) {
            duration = Duration.ZERO;
        }
        long seconds = duration.getSeconds();
        long micros = duration.getNano() / 1000;
        long resolution = seconds >= 10 ? 1_000_000 : seconds >= 1 ? 100_000 : 10_000;
        micros += resolution / 2;
        if (micros >= 1_000_000) {
            seconds++;
            micros -= 1_000_000;
        }
        if (seconds >= 10) {
            return Long.toString(seconds);
        }
        StringBuilder text = new StringBuilder(8).append(seconds);
        if (micros >= resolution) {
            text.append('.');
            for (long digit = 100_000; micros >= resolution && digit > 0; digit /= 10) {
                text.append((char) ('0' + micros / digit));
                micros %= digit;
            }
        }
        return text.toString();
    }

    /** {@code value} as one token: bare when it has no blank, quote or backslash, else in quotes with those escaped. */
    static void quoted(StringBuilder out, String value) {
        boolean plain = !value.isEmpty();
        for (int i = 0; i < value.length() && plain; i++) {
            char c = value.charAt(i);
            plain = c > ' ' && c != '"' && c != '\\';
        }
        if (plain) {
            out.append(value);
            return;
        }
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        out.append('"');
    }

    /**
     * Replaces, from {@code start} on, what could break or forge a line: C0 and C1 control
     * characters and Unicode's line and paragraph separators become {@code ?}, a tab a space.
     */
    static void printable(StringBuilder text, int start) {
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\t') {
                text.setCharAt(i, ' ');
            } else if (c < ' ' || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                text.setCharAt(i, '?');
            }
        }
    }

    private static String severity(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> "error: ";
            case Level.WARN_INT -> "warning: ";
            default -> "";
        };
    }

    private String stamp(long millis) {
        long second = Math.floorDiv(millis, 1000);
        Stamp last = stamp;
        if (last.second() != second) {
            last = new Stamp(second, STAMP.format(Instant.ofEpochSecond(second).atZone(zone)));
            stamp = last;
        }
        return last.text();
    }
}
