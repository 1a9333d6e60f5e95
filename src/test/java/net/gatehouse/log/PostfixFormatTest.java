package net.gatehouse.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.event.KeyValuePair;

/** The lines of {@code log.format: postfix}, character for character as Postfix writes them. */
class PostfixFormatTest {

    static final Instant DEC_6 = Instant.parse("2026-12-06T02:18:13.250Z");
    private static final String PREFIX = "Dec  6 02:18:13 gw postfix/";
    private static final LoggerContext CONTEXT = new LoggerContext();

    private final PostfixFormat format = new PostfixFormat("postfix", "gw.example.net", 4242, ZoneOffset.UTC);

    static LoggingEvent event(Level level, Instant when, MailEvent mail) {
        LoggingEvent event = new LoggingEvent(PostfixFormatTest.class.getName(), CONTEXT.getLogger("net.gatehouse.test"),
                level, mail.event(), null, null);
        event.setInstant(when);
        event.addKeyValuePair(new KeyValuePair(MailEvent.KEY, mail));
        return event;
    }

    private List<String> lines(MailEvent mail) {
        String text = format.format(event(Level.INFO, DEC_6, mail));
        assertThat(text).endsWith("\n");
        return text.lines().toList();
    }

    static MailEvent.Reject unknownUser(String helo) {
        return new MailEvent.Reject(null, "RCPT", "192.0.2.7", helo, true, "a@sender.example", "nobody@example.com",
                Reply.of(550, "5.1.1", "Recipient address rejected: User unknown"), "not_in_valid_list",
                "address is not in the domain's valid list");
    }

    @Test
    void writesARejectedRecipientAsPostfixsSmtpdThenGatehousesReasonOnALineOfItsOwn() {
        assertThat(lines(unknownUser("mx.sender.example"))).containsExactly(
                PREFIX + "smtpd[4242]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 550 5.1.1 <nobody@example.com>:"
                        + " Recipient address rejected: User unknown; from=<a@sender.example> to=<nobody@example.com>"
                        + " proto=ESMTP helo=<mx.sender.example>",
                PREFIX + "gatehouse[4242]: NOQUEUE: reason=not_in_valid_list client=192.0.2.7 to=<nobody@example.com>"
                        + " why=\"address is not in the domain's valid list\"");
    }

    @Test
    void writesAnObservedRefusalAsPostfixsRejectWarningWithTheReplyItWouldHaveGot() {
        MailEvent.Reject observed = new MailEvent.Reject(null, "RCPT", "192.0.2.7", "mx.sender.example", true,
                "a@sender.example", "nobody@example.com", Reply.of(550, "5.1.1", "Recipient address rejected: User unknown"),
                "not_in_valid_list", "address is not in the domain's valid list; observe mode", true);
        assertThat(lines(observed)).containsExactly(
                PREFIX + "smtpd[4242]: NOQUEUE: reject_warning: RCPT from unknown[192.0.2.7]: 550 5.1.1"
                        + " <nobody@example.com>: Recipient address rejected: User unknown; from=<a@sender.example>"
                        + " to=<nobody@example.com> proto=ESMTP helo=<mx.sender.example>",
                PREFIX + "gatehouse[4242]: NOQUEUE: reason=not_in_valid_list verdict=would_reject client=192.0.2.7"
                        + " to=<nobody@example.com> why=\"address is not in the domain's valid list; observe mode\"");
    }

    @Test
    void writesRelayDenialsWithTheNullSenderAndHeloAsSmtp() {
        MailEvent.Reject relay = new MailEvent.Reject(null, "RCPT", "203.0.113.9", "x", false, "", "a@elsewhere.example",
                Reply.RELAY_DENIED, "relay_denied", "domain elsewhere.example is not protected");
        assertThat(lines(relay).getFirst()).isEqualTo(PREFIX + "smtpd[4242]: NOQUEUE: reject: RCPT from"
                + " unknown[203.0.113.9]: 554 5.7.1 <a@elsewhere.example>: Relay access denied; from=<>"
                + " to=<a@elsewhere.example> proto=SMTP helo=<x>");
    }

    @Test
    void writesAMessageRefusedAtItsEndWithItsQueueIdAndWithoutTheRecipientInTheReply() {
        MailEvent.Reject big = new MailEvent.Reject("0QZ8K3M1T4V7B", "END-OF-MESSAGE", "192.0.2.7", "mx", true, "a@b.example",
                "alice@example.com", Reply.MESSAGE_TOO_BIG, "size", "too big");
        assertThat(lines(big).getFirst()).isEqualTo(PREFIX + "smtpd[4242]: 0QZ8K3M1T4V7B: reject: END-OF-MESSAGE from"
                + " unknown[192.0.2.7]: 552 5.3.4 Message size exceeds fixed limit; from=<a@b.example>"
                + " to=<alice@example.com> proto=ESMTP helo=<mx>");
    }

    @Test
    void writesAQueuedMessageAsSmtpdCleanupAndQmgrDo() {
        MailEvent.Queued queued = new MailEvent.Queued("0QZ8K3M1T4V7B", "192.0.2.7", "mx.sender.example", "a@sender.example",
                List.of("alice@example.com", "bob@example.com"), 2310, "<1234@sender.example>", true, false);
        assertThat(lines(queued)).containsExactly(
                PREFIX + "smtpd[4242]: 0QZ8K3M1T4V7B: client=unknown[192.0.2.7]",
                PREFIX + "cleanup[4242]: 0QZ8K3M1T4V7B: message-id=<1234@sender.example>",
                PREFIX + "qmgr[4242]: 0QZ8K3M1T4V7B: from=<a@sender.example>, size=2310, nrcpt=2 (queue active)");
    }

    @Test
    void leavesOutTheCleanupLineWithoutAMessageIdAndNotesNormalisedLineEndings() {
        MailEvent.Queued queued = new MailEvent.Queued("0QZ8K3M1T4V7B", "192.0.2.7", "mx", "", List.of("alice@example.com"),
                10, "", false, true);
        assertThat(lines(queued)).containsExactly(
                PREFIX + "smtpd[4242]: 0QZ8K3M1T4V7B: client=unknown[192.0.2.7]",
                PREFIX + "qmgr[4242]: 0QZ8K3M1T4V7B: from=<>, size=10, nrcpt=1 (queue active)",
                PREFIX + "gatehouse[4242]: 0QZ8K3M1T4V7B: bare_line_endings=normalised client=192.0.2.7");
    }

    @Test
    void writesDeliveriesWithPostfixsDelaysAndStatus() {
        MailEvent.Delivery sent = new MailEvent.Delivery("0QZ8K3M1T4V7B", "alice@example.com",
                "mail.example.com[10.0.0.5]:25", "sent", Reply.of(250, "2.0.0", "Ok: queued as 4XyZ"),
                Duration.ofMillis(312), Duration.ofMillis(21), Duration.ofMillis(291), 1);
        MailEvent.Delivery deferred = new MailEvent.Delivery("0QZ8K3M1T4V7B", "bob@later.example", "none", "deferred",
                Reply.of(451, "4.4.1", "No server for the destination could be reached"), Duration.ofSeconds(3725),
                Duration.ofSeconds(3600), Duration.ofMillis(12_500), 4);
        MailEvent.Delivery noEnhancedCode = new MailEvent.Delivery("0QZ8K3M1T4V7B", "carol@old.example", "old[10.0.0.9]:25",
                "bounced", Reply.plain(550, "no"), Duration.ofMillis(1450), Duration.ZERO, Duration.ofMillis(1450), 1);

        assertThat(lines(sent)).containsExactly(PREFIX + "smtp[4242]: 0QZ8K3M1T4V7B: to=<alice@example.com>,"
                + " relay=mail.example.com[10.0.0.5]:25, delay=0.31, delays=0.02/0/0/0.29, dsn=2.0.0,"
                + " status=sent (250 2.0.0 Ok: queued as 4XyZ)");
        assertThat(lines(deferred)).containsExactly(PREFIX + "smtp[4242]: 0QZ8K3M1T4V7B: to=<bob@later.example>,"
                + " relay=none, delay=3725, delays=3600/0/0/13, dsn=4.4.1,"
                + " status=deferred (451 4.4.1 No server for the destination could be reached)");
        assertThat(lines(noEnhancedCode).getFirst()).contains(", delay=1.5, delays=0/0/0/1.5, dsn=5.0.0, status=bounced (550 no)");
    }

    @Test
    void writesTheQueueAndBounceLinesOfPostfix() {
        assertThat(lines(new MailEvent.Removed("0QZ8K3M1T4V7B"))).containsExactly(PREFIX + "qmgr[4242]: 0QZ8K3M1T4V7B: removed");
        assertThat(lines(new MailEvent.Deleted("0QZ8K3M1T4V7B")))
                .containsExactly(PREFIX + "postsuper[4242]: 0QZ8K3M1T4V7B: removed");
        assertThat(lines(new MailEvent.Dsn("0QZ8K3M1T4V7B", "0QZ8K3M1T4V7C", "a@sender.example", 1, 1800,
                "<0QZ8K3M1T4V7B.dsn.1@gw.example.net>"))).containsExactly(
                PREFIX + "bounce[4242]: 0QZ8K3M1T4V7B: sender non-delivery notification: 0QZ8K3M1T4V7C",
                PREFIX + "cleanup[4242]: 0QZ8K3M1T4V7C: message-id=<0QZ8K3M1T4V7B.dsn.1@gw.example.net>",
                PREFIX + "qmgr[4242]: 0QZ8K3M1T4V7C: from=<>, size=1800, nrcpt=1 (queue active)");
        // RFC 3461 6.2.3: the "relayed" notice, as Postfix names its success notices
        assertThat(lines(new MailEvent.Dsn("0QZ8K3M1T4V7B", "0QZ8K3M1T4V7C", "a@sender.example", 1, 1800, "", "relayed")))
                .containsExactly(PREFIX + "bounce[4242]: 0QZ8K3M1T4V7B: sender delivery status notification: 0QZ8K3M1T4V7C",
                        PREFIX + "qmgr[4242]: 0QZ8K3M1T4V7C: from=<>, size=1800, nrcpt=1 (queue active)");
        assertThat(lines(new MailEvent.ConnectFailed("0QZ8K3M1T4V7B", "mail.example.com[10.0.0.5]:25", "Connection refused")))
                .containsExactly(PREFIX + "smtp[4242]: connect to mail.example.com[10.0.0.5]:25: Connection refused");
    }

    @Test
    void writesConnectTlsAndDisconnectAsPostfix3Does() {
        assertThat(lines(new MailEvent.Connect("192.0.2.7"))).containsExactly(PREFIX + "smtpd[4242]: connect from unknown[192.0.2.7]");
        assertThat(lines(new MailEvent.Tls("192.0.2.7", "TLSv1.3", "TLS_AES_256_GCM_SHA384"))).containsExactly(PREFIX
                + "smtpd[4242]: Anonymous TLS connection established from unknown[192.0.2.7]: TLSv1.3 with cipher"
                + " TLS_AES_256_GCM_SHA384 (256/256 bits)");
        assertThat(lines(new MailEvent.Disconnect("192.0.2.7", "mx", "ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6",
                "quit", "QUIT", "", 1, 1, 1, 0, 84, false)))
                .containsExactly(PREFIX + "smtpd[4242]: disconnect from unknown[192.0.2.7] ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6");
    }

    @ParameterizedTest(name = "{0} after {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            timeout         | END-OF-MESSAGE | timeout after END-OF-MESSAGE from unknown[192.0.2.7]
            client_closed   | RCPT           | lost connection after RCPT from unknown[192.0.2.7]
            lost            | DATA           | lost connection after DATA from unknown[192.0.2.7]
            too_many_errors | UNKNOWN        | too many errors after UNKNOWN from unknown[192.0.2.7]
            """)
    void saysHowASessionEndedBeforeItsDisconnectLineAsPostfixDoes(String end, String after, String line) {
        assertThat(lines(new MailEvent.Disconnect("192.0.2.7", null, "ehlo=1 commands=1", end, after, "", 0, 0, 0, 0, 5, false)))
                .containsExactly(PREFIX + "smtpd[4242]: " + line,
                        PREFIX + "smtpd[4242]: disconnect from unknown[192.0.2.7] ehlo=1 commands=1");
    }

    @Test
    void marksWarningsAsPostfixDoesAndNamesGatehousesOwnEvents() {
        String text = format.format(event(Level.WARN, DEC_6, new MailEvent.HarvestBlock("192.0.2.7", "x y",
                Instant.parse("2026-12-06T02:48:13Z"))));
        assertThat(text).isEqualTo(PREFIX + "gatehouse[4242]: warning: harvest_block client=192.0.2.7 helo=\"x y\""
                + " until=2026-12-06T02:48:13Z\n");
    }

    @Test
    void writesOtherLinesAfterTheGatehousePrefixWithWhoseTheyAre() {
        LoggingEvent own = new LoggingEvent("x", CONTEXT.getLogger("net.gatehouse.Gateway"), Level.INFO,
                "gateway_started hostname={}", null, new Object[] {"gw.example.net"});
        own.setInstant(DEC_6);
        LoggingEvent library = new LoggingEvent("x", CONTEXT.getLogger("com.zaxxer.hikari.pool.HikariPool"), Level.ERROR,
                "pool broke", null, null);
        library.setInstant(DEC_6);

        assertThat(format.format(own)).isEqualTo(PREFIX + "gatehouse[4242]: gateway_started hostname=gw.example.net\n");
        assertThat(format.format(library)).isEqualTo(PREFIX + "gatehouse[4242]: error: com.zaxxer.hikari.pool.HikariPool: pool broke\n");
    }

    @Test
    void writesEachLineOfAStackTraceWithThePrefixSoThatNoLineIsWithoutOne() {
        LoggingEvent failed = new LoggingEvent("x", CONTEXT.getLogger("net.gatehouse.smtp.server.SmtpSession"), Level.ERROR,
                "session_error", new IllegalStateException("broken\nline"), null);
        failed.setInstant(DEC_6);

        List<String> lines = format.format(failed).lines().toList();
        assertThat(lines).hasSizeGreaterThan(2).allMatch(line -> line.startsWith(PREFIX + "gatehouse[4242]: error: "));
        assertThat(lines.get(1)).endsWith("java.lang.IllegalStateException: broken");
    }

    /** HELO names, addresses and replies come from whoever connects: none of them may start a line. */
    @Test
    void neverLetsAClientsTextStartALineOfItsOwn() {
        String forged = "x>\r\nDec  6 02:18:13 gw postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[198.51.100.1]: 550 5.1.1 "
                + "<a@b>: Recipient address rejected: User unknown;\u2028\u0085\u0000\tx";
        String text = format.format(event(Level.INFO, DEC_6, unknownUser(forged)));

        assertThat(text.lines()).hasSize(2).allMatch(line -> line.startsWith(PREFIX));
        assertThat(text).doesNotContain("\r").doesNotContain("\u2028").doesNotContain("\u0085").doesNotContain("\u0000")
                .doesNotContain("\t").contains("helo=<x>??Dec  6 02:18:13 gw postfix/smtpd[1]: NOQUEUE").contains(";??? x>");
    }

    @Test
    void padsTheDayWithASpaceAsSyslogDoesAndWritesTheHostsFirstLabel() {
        PostfixFormat named = new PostfixFormat("postfix-gatehouse", "mx1.example.net", 7, ZoneOffset.ofHours(1));
        String text = named.format(event(Level.INFO, Instant.parse("2026-12-16T23:59:59.999Z"), new MailEvent.Connect("::1")));
        assertThat(text).isEqualTo("Dec 17 00:59:59 mx1 postfix-gatehouse/smtpd[7]: connect from unknown[::1]\n");
    }

    @ParameterizedTest(name = "{0} ms: {1}")
    @CsvSource(textBlock = """
            0,        0
            4,        0
            5,        0.01
            50,       0.05
            394,      0.39
            395,      0.4
            999,      1
            1000,     1
            1449,     1.4
            1450,     1.5
            9960,     10
            43400,    43
            3631000,  3631
            """)
    void writesDelaysWithPostfixsPrecision(long millis, String text) {
        assertThat(PostfixFormat.seconds(Duration.ofMillis(millis))).isEqualTo(text);
    }
}
