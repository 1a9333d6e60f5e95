package net.gatehouse.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.Duration;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code log.format: json}: one object per line, read back with a real JSON parser. */
class JsonFormatTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final LoggerContext CONTEXT = new LoggerContext();

    private final JsonFormat format = new JsonFormat();

    private JsonNode object(LoggingEvent event) {
        String text = format.format(event);
        assertThat(text).endsWith("}\n").hasLineCount(1);
        return JSON.readTree(text);
    }

    @Test
    void writesARejectWithItsFieldsAndPostfixsLineAsTheMessage() {
        JsonNode reject = object(PostfixFormatTest.event(Level.INFO, PostfixFormatTest.DEC_6,
                PostfixFormatTest.unknownUser("mx.sender.example")));

        assertThat(reject.get("ts").asString()).isEqualTo("2026-12-06T02:18:13.250Z");
        assertThat(reject.get("level").asString()).isEqualTo("info");
        assertThat(reject.get("daemon").asString()).isEqualTo("smtpd");
        assertThat(reject.get("event").asString()).isEqualTo("reject");
        assertThat(reject.has("queue_id")).isFalse();
        assertThat(reject.get("client").asString()).isEqualTo("192.0.2.7");
        assertThat(reject.get("helo").asString()).isEqualTo("mx.sender.example");
        assertThat(reject.get("from").asString()).isEqualTo("a@sender.example");
        assertThat(reject.get("to").asString()).isEqualTo("nobody@example.com");
        assertThat(reject.get("reply").asString()).isEqualTo("550 5.1.1 Recipient address rejected: User unknown");
        assertThat(reject.get("dsn").asString()).isEqualTo("5.1.1");
        assertThat(reject.get("reason").asString()).isEqualTo("not_in_valid_list");
        assertThat(reject.get("why").asString()).isEqualTo("address is not in the domain's valid list");
        assertThat(reject.get("message").asString()).startsWith("NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 550 5.1.1 ");
    }

    @Test
    void writesQueuedMessagesAndDeliveriesWithNumbersAsNumbers() {
        JsonNode queued = object(PostfixFormatTest.event(Level.INFO, PostfixFormatTest.DEC_6, new MailEvent.Queued(
                "0QZ8K3M1T4V7B", "192.0.2.7", "mx", "", List.of("alice@example.com", "bob@example.com"), 2310, "", true, false)));
        JsonNode delivery = object(PostfixFormatTest.event(Level.INFO, PostfixFormatTest.DEC_6, new MailEvent.Delivery(
                "0QZ8K3M1T4V7B", "alice@example.com", "mail.example.com[10.0.0.5]:25", "sent",
                Reply.of(250, "2.0.0", "Ok"), Duration.ofMillis(1312), Duration.ofMillis(21), Duration.ofMillis(1291), 2)));

        assertThat(queued.get("queue_id").asString()).isEqualTo("0QZ8K3M1T4V7B");
        assertThat(queued.get("from").asString()).isEmpty();
        assertThat(queued.get("to").toString()).isEqualTo("[\"alice@example.com\",\"bob@example.com\"]");
        assertThat(queued.get("nrcpt").asInt()).isEqualTo(2);
        assertThat(queued.get("size").asLong()).isEqualTo(2310);
        assertThat(queued.get("tls").asBoolean()).isTrue();
        assertThat(queued.has("message_id")).isFalse();
        assertThat(queued.get("message").asString()).isEqualTo("0QZ8K3M1T4V7B: from=<>, size=2310, nrcpt=2 (queue active)");

        assertThat(delivery.get("status").asString()).isEqualTo("sent");
        assertThat(delivery.get("relay").asString()).isEqualTo("mail.example.com[10.0.0.5]:25");
        assertThat(delivery.get("dsn").asString()).isEqualTo("2.0.0");
        assertThat(delivery.get("delay").isNumber()).isTrue();
        assertThat(delivery.get("delay").asDouble()).isEqualTo(1.312);
        assertThat(delivery.get("delay_before_attempt").asDouble()).isEqualTo(0.021);
        assertThat(delivery.get("attempt").asInt()).isEqualTo(2);
    }

    @Test
    void escapesWhatAClientSentSoThatAnObjectNeverSpansTwoLines() {
        String helo = "x\"}\r\n{\"level\":\"error\"\u0000\u001f\\\u2028";
        JsonNode reject = object(PostfixFormatTest.event(Level.INFO, PostfixFormatTest.DEC_6, PostfixFormatTest.unknownUser(helo)));

        assertThat(reject.get("helo").asString()).isEqualTo(helo);
        assertThat(reject.get("level").asString()).isEqualTo("info");
    }

    @Test
    void writesOtherLinesWithTheirLoggerAndException() {
        LoggingEvent failed = new LoggingEvent("x", CONTEXT.getLogger("net.gatehouse.smtp.server.SmtpSession"), Level.ERROR,
                "session_error client={}", new IllegalStateException("broken"), new Object[] {"192.0.2.7"});
        failed.setInstant(PostfixFormatTest.DEC_6);

        JsonNode line = object(failed);

        assertThat(line.get("level").asString()).isEqualTo("error");
        assertThat(line.get("daemon").asString()).isEqualTo("gatehouse");
        assertThat(line.get("logger").asString()).isEqualTo("net.gatehouse.smtp.server.SmtpSession");
        assertThat(line.get("message").asString()).isEqualTo("session_error client=192.0.2.7");
        assertThat(line.get("exception").asString()).startsWith("java.lang.IllegalStateException: broken\n");
        assertThat(line.has("event")).isFalse();
    }
}
