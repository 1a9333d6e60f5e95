package net.gatehouse.smtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The DSN parameters of RFC 3461 on MAIL and RCPT, and the xtext they are written in. */
class DsnParametersTest {

    @Test
    void readsRetAndEnvidOnMail() {
        Command.Mail mail = (Command.Mail) CommandParser.parse("MAIL FROM:<a@example.com> SIZE=10 ret=hdrs ENVID=QQ+2Bx.1");
        assertThat(mail.dsn().ret()).contains(MailDsn.Ret.HDRS);
        assertThat(mail.dsn().envelopeId()).contains("QQ+2Bx.1");
        assertThat(mail.dsn().decodedEnvelopeId()).contains("QQ+x.1");
        assertThat(mail.dsn().parameters()).isEqualTo(" RET=HDRS ENVID=QQ+2Bx.1");
        assertThat(((Command.Mail) CommandParser.parse("MAIL FROM:<a@example.com> RET=FULL")).dsn().ret())
                .contains(MailDsn.Ret.FULL);
    }

    @Test
    void readsNotifyAndOrcptOnRcpt() {
        Command.Rcpt rcpt = (Command.Rcpt) CommandParser.parse(
                "RCPT TO:<b@example.com> notify=delay,Success ORCPT=rfc822;Bob+2BSmith@example.com");
        assertThat(rcpt.dsn().notifications()).containsExactlyInAnyOrder(RcptDsn.Notify.SUCCESS, RcptDsn.Notify.DELAY);
        assertThat(rcpt.dsn().wantsSuccess()).isTrue();
        assertThat(rcpt.dsn().wantsFailure()).isFalse();
        assertThat(rcpt.dsn().wantsDelay()).isTrue();
        assertThat(rcpt.dsn().originalRecipient()).contains("rfc822;Bob+2BSmith@example.com");
        assertThat(rcpt.dsn().originalRecipientForReport()).contains("rfc822;Bob+Smith@example.com");
        // relayed as it came, NOTIFY's values in a fixed order
        assertThat(rcpt.dsn().parameters()).isEqualTo(" NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Bob+2BSmith@example.com");
        assertThat(rcpt.recipient().toString()).isEqualTo("<b@example.com>");
    }

    @Test
    void readsNotifyNeverAsNoReportOfAnyKind() {
        RcptDsn never = ((Command.Rcpt) CommandParser.parse("RCPT TO:<b@example.com> NOTIFY=NEVER")).dsn();
        assertThat(never.never()).isTrue();
        assertThat(never.wantsFailure()).isFalse();
        assertThat(never.wantsSuccess()).isFalse();
        assertThat(never.wantsDelay()).isFalse();
    }

    @Test
    void withoutNotifyFailuresAndDelaysAreReportedAsAlways() {
        RcptDsn none = ((Command.Rcpt) CommandParser.parse("RCPT TO:<b@example.com>")).dsn();
        assertThat(none).isEqualTo(RcptDsn.NONE);
        assertThat(none.wantsFailure()).isTrue();
        assertThat(none.wantsDelay()).isTrue();
        assertThat(none.wantsSuccess()).isFalse();
        assertThat(((Command.Mail) CommandParser.parse("MAIL FROM:<>")).dsn()).isEqualTo(MailDsn.NONE);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            MAIL FROM:<a@example.com> RET=                              | 501 5.5.4
            MAIL FROM:<a@example.com> RET                               | 501 5.5.4
            MAIL FROM:<a@example.com> RET=BODY                          | 501 5.5.4
            MAIL FROM:<a@example.com> RET=FULL RET=HDRS                 | 501 5.5.4
            MAIL FROM:<a@example.com> RET=HDRS RET=HDRS                 | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID=                            | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID                             | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID=a=b                         | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID=a+2                         | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID=a+ZZ                        | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID=a+0D+0Ab                    | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID=a+C3+A4                     | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID=jörg                        | 501 5.5.4
            MAIL FROM:<a@example.com> ENVID=x ENVID=y                   | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=                             | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY                              | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=ALWAYS                       | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=NEVER,FAILURE                | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=SUCCESS,NEVER                | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=SUCCESS,SUCCESS              | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=SUCCESS,                     | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=,FAILURE                     | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=\u017FUCCESS                 | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=FAILURE NOTIFY=DELAY         | 501 5.5.4
            RCPT TO:<b@example.com> ORCPT=                              | 501 5.5.4
            RCPT TO:<b@example.com> ORCPT=b@example.com                 | 501 5.5.4
            RCPT TO:<b@example.com> ORCPT=rfc822;                       | 501 5.5.4
            RCPT TO:<b@example.com> ORCPT=;b@example.com                | 501 5.5.4
            RCPT TO:<b@example.com> ORCPT=rfc(822);b@example.com        | 501 5.5.4
            RCPT TO:<b@example.com> ORCPT=rfc822;b=c@example.com        | 501 5.5.4
            RCPT TO:<b@example.com> ORCPT=rfc822;b+4@example.com        | 501 5.5.4
            RCPT TO:<b@example.com> ORCPT=rfc822;a ORCPT=rfc822;b       | 501 5.5.4
            RCPT TO:<b@example.com> NOTIFY=NEVER XTRA=1                 | 555 5.5.4
            """)
    void refusesMalformedDsnParameters(String line, String expected) {
        Command command = CommandParser.parse(line);
        assertThat(command).isInstanceOf(Command.Invalid.class);
        Reply reply = ((Command.Invalid) command).reply();
        assertThat(reply.code() + " " + reply.enhanced()).isEqualTo(expected);
    }

    @Test
    void limitsEnvidTo100AndOrcptTo500Characters() {
        assertThat(CommandParser.parse("MAIL FROM:<a@example.com> ENVID=" + "x".repeat(100))).isInstanceOf(Command.Mail.class);
        assertThat(CommandParser.parse("MAIL FROM:<a@example.com> ENVID=" + "x".repeat(101))).isInstanceOf(Command.Invalid.class);
        String orcpt = "rfc822;" + "x".repeat(500 - 7);
        assertThat(CommandParser.parse("RCPT TO:<b@example.com> ORCPT=" + orcpt)).isInstanceOf(Command.Rcpt.class);
        assertThat(CommandParser.parse("RCPT TO:<b@example.com> ORCPT=" + orcpt + "x")).isInstanceOf(Command.Invalid.class);
    }

    @Test
    void takesTheUtf8AddressTypeOfRfc6533AsItCame() {
        Command.Rcpt rcpt = (Command.Rcpt) CommandParser.parse("RCPT TO:<b@example.com> ORCPT=utf-8;jörg@bücher.example");
        assertThat(rcpt.dsn().originalRecipient()).contains("utf-8;jörg@bücher.example");
        assertThat(rcpt.dsn().originalRecipientForReport()).contains("utf-8;jörg@bücher.example");
        // on the wire, RFC 6533's utf-8-addr-xtext: ASCII, whether or not the next hop has SMTPUTF8
        assertThat(rcpt.dsn().parametersForRelay()).isEqualTo(" ORCPT=utf-8;j\\x{F6}rg@b\\x{FC}cher.example");
        assertThat(CommandParser.parse("RCPT TO:<b@example.com>" + rcpt.dsn().parametersForRelay()))
                .isInstanceOf(Command.Rcpt.class);
    }

    /** A control character hidden in an ORCPT's xtext must not reach a report's header decoded. */
    @Test
    void leavesAnOrcptAsXtextInAReportWhenItsDecodedFormIsNotPrintable() {
        RcptDsn smuggling = new RcptDsn(Set.of(), Optional.of("rfc822;a+0D+0ABcc:+20x@evil.test"));
        assertThat(smuggling.originalRecipientForReport()).contains("rfc822;a+0D+0ABcc:+20x@evil.test");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "plain", "a+2Bb", "+3D+2B", "x+20y", "!#$%&'*-/?^_`{|}~"})
    void acceptsXtext(String value) {
        assertThat(Xtext.isValid(value)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "a=b", "a+", "a+2", "a+G0", "é", "a\tb", "\u007f"})
    void refusesWhatIsNotXtext(String value) {
        assertThat(Xtext.isValid(value)).isFalse();
    }

    @Test
    void decodesAndEncodesXtext() {
        assertThat(Xtext.decode("a+2Bb+3Dc+20d+2b")).isEqualTo("a+b=c d+");
        assertThat(Xtext.encode("a+b=c d\r\n\u00e9")).isEqualTo("a+2Bb+3Dc+20d+0D+0A+E9");
        assertThat(Xtext.decode(Xtext.encode("any+thing = at all"))).isEqualTo("any+thing = at all");
        assertThatThrownBy(() -> Xtext.encode("\u20ac")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesToBuildParametersThatCouldNotHaveBeenReceived() {
        assertThatThrownBy(() -> new RcptDsn(Set.of(RcptDsn.Notify.NEVER, RcptDsn.Notify.FAILURE), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RcptDsn(Set.of(), Optional.of("rfc822;a b"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MailDsn(Optional.empty(), Optional.of("a\nb"))).isInstanceOf(IllegalArgumentException.class);
    }
}
