package net.gatehouse.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.slf4j.event.KeyValuePair;

/**
 * {@code log.format: json}: one JSON object per line, for log shippers.
 *
 * <pre>
 * {"ts":"2026-12-06T02:18:13.123Z","level":"info","daemon":"smtpd","event":"reject","client":"192.0.2.7","helo":"mx.sender.example","proto":"ESMTP","from":"a@sender.example","to":"nobody@example.com","stage":"RCPT","reply":"550 5.1.1 Recipient address rejected: User unknown","dsn":"5.1.1","reason":"not_in_valid_list","why":"address is not in the domain's valid list","message":"NOQUEUE: reject: RCPT from unknown[192.0.2.7]: ..."}
 * </pre>
 *
 * <p>Every object has {@code ts} (RFC 3339, UTC, milliseconds), {@code level}, {@code daemon} and
 * {@code message}; the mail path's events ({@link MailEvent}) add {@code event} and their fields,
 * and {@code message} is then the line Postfix would have written for them. Other lines add
 * {@code logger}, and {@code exception} when they carry one. Strings are escaped as RFC 8259 says,
 * control characters included, so an object never spans two lines.
 */
final class JsonFormat implements LineFormat {

    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    @Override
    public String format(ILoggingEvent event) {
        Json json = new Json();
        json.field("ts", TS.format(Instant.ofEpochMilli(event.getTimeStamp())));
        json.field("level", event.getLevel().toString().toLowerCase(Locale.ROOT));
        MailEvent mail = LogLayout.mailEvent(event);
        if (mail != null) {
            json.field("daemon", mail.daemon());
            json.field("event", mail.event());
            fields(mail, json);
            String[] main = new String[1];
            PostfixFormat.lines(mail, (daemon, isMain, text) -> {
                if (isMain) {
                    main[0] = text;
                }
            });
            json.field("message", main[0]);
        } else {
            json.field("daemon", PostfixFormat.GATEHOUSE);
            json.field("logger", event.getLoggerName());
            json.field("message", event.getFormattedMessage());
            List<KeyValuePair> pairs = event.getKeyValuePairs();
            if (pairs != null) {
                for (KeyValuePair pair : pairs) {
                    json.field(pair.key, String.valueOf(pair.value));
                }
            }
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            json.field("exception", ThrowableProxyUtil.asString(thrown));
        }
        return json.end();
    }

    private static void fields(MailEvent event, Json json) {
        switch (event) {
            case MailEvent.Connect c -> json.field("client", c.client());
            case MailEvent.Tls t -> json.field("client", t.client()).field("tls_protocol", t.protocol())
                    .field("tls_cipher", t.cipher());
            case MailEvent.Reject r -> json.field("queue_id", r.queueId()).field("client", r.client())
                    .field("helo", r.helo()).field("proto", r.esmtp() ? "ESMTP" : "SMTP").field("from", r.sender())
                    .field("to", r.recipient()).field("stage", r.stage()).field("reply", r.reply().toString())
                    .field("dsn", PostfixFormat.dsn(r.reply())).field("reason", r.reason()).field("why", r.why())
                    .field("verdict", r.warning() ? "would_reject" : null);
            case MailEvent.HarvestBlock h -> json.field("client", h.client()).field("helo", h.helo())
                    .field("until", h.until().toString());
            case MailEvent.Queued q -> json.field("queue_id", q.queueId()).field("client", q.client())
                    .field("helo", q.helo()).field("from", q.sender()).field("to", q.recipients())
                    .field("nrcpt", q.recipients().size()).field("size", q.size())
                    .field("message_id", q.messageId().isEmpty() ? null : q.messageId()).field("tls", q.tls())
                    .field("bare_line_endings", q.bareLineEndingsNormalised() ? "normalised" : "no");
            case MailEvent.Disconnect d -> json.field("client", d.client()).field("helo", d.helo())
                    .field("commands", d.commands()).field("end", d.end()).field("after", d.after())
                    .field("error", d.error().isEmpty() ? null : d.error()).field("messages", d.messages())
                    .field("rcpt_accepted", d.recipientsAccepted()).field("rcpt_rejected", d.recipientsRejected())
                    .field("errors", d.errors()).field("duration_ms", d.durationMillis()).field("tls", d.tls());
            case MailEvent.Delivery d -> json.field("queue_id", d.queueId()).field("to", d.recipient())
                    .field("relay", d.relay()).field("status", d.status()).field("reply", d.reply().toString())
                    .field("dsn", PostfixFormat.dsn(d.reply())).field("delay", d.delay())
                    .field("delay_before_attempt", d.beforeAttempt()).field("delay_in_attempt", d.inAttempt())
                    .field("attempt", d.attempt());
            case MailEvent.Removed r -> json.field("queue_id", r.queueId());
            case MailEvent.Deleted d -> json.field("queue_id", d.queueId());
            case MailEvent.Dsn d -> json.field("queue_id", d.queueId()).field("dsn_queue_id", d.dsnQueueId())
                    .field("to", d.recipient()).field("failed", d.failed()).field("size", d.size())
                    .field("message_id", d.messageId().isEmpty() ? null : d.messageId()).field("action", d.action());
            case MailEvent.ConnectFailed c -> json.field("queue_id", c.queueId()).field("relay", c.relay())
                    .field("error", c.error());
        }
    }

    /** One object on one line; a field whose value is null is left out. */
    static final class Json {
        private final StringBuilder out = new StringBuilder(384).append('{');

        Json field(String name, String value) {
            if (value != null) {
                name(name);
                string(value);
            }
            return this;
        }

        Json field(String name, long value) {
            name(name);
            out.append(value);
            return this;
        }

        Json field(String name, boolean value) {
            name(name);
            out.append(value);
            return this;
        }

        /** Seconds, with millisecond precision. */
        Json field(String name, Duration value) {
            name(name);
            long millis = Math.max(0, value.toMillis());
            out.append(millis / 1000).append('.');
            long fraction = millis % 1000;
            out.append(fraction < 100 ? (fraction < 10 ? "00" : "0") : "").append(fraction);
            return this;
        }

        Json field(String name, List<String> values) {
            name(name);
            out.append('[');
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                string(values.get(i));
            }
            out.append(']');
            return this;
        }

        String end() {
            return out.append("}\n").toString();
        }

        private void name(String name) {
            if (out.length() > 1) {
                out.append(',');
            }
            string(name);
            out.append(':');
        }

        /** RFC 8259 section 7; also U+2028 and U+2029, which some readers take for line ends. */
        private void string(String value) {
            out.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
