package net.gatehouse.smtp.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static net.gatehouse.smtp.protocol.FuzzChecks.check;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Optional;

/**
 * Fuzzes the address parser (issue 11): the fuzzer writes what goes between the angle brackets,
 * and each input is sent as {@code MAIL FROM:<...>}, as {@code MAIL FROM:<...> SMTPUTF8}, as
 * {@code RCPT TO:<...>}, and straight to {@link PathParser#parse}.
 *
 * <p>Invariants: the SMTPUTF8 parameter changes the flag and nothing else (the session, not the
 * parser, refuses a non-ASCII address without it, from {@link MailboxAddress#isInternational});
 * MAIL and RCPT accept the same mailboxes (but for {@code <>} and {@code <postmaster>}); the
 * command parser and {@link PathParser} agree; and every accepted path passes
 * {@link FuzzChecks#checkPath}: printed and parsed again it is the same address.
 */
class PathParserFuzzTest {

    @FuzzTest
    @DictionaryFile(resourcePath = "smtp.dict")
    void addressWithAndWithoutSmtpUtf8(byte[] wire) {
        String address = new String(wire, UTF_8);
        String path = "<" + address + ">";
        Command plain = CommandParser.parse("MAIL FROM:" + path);
        Command utf8 = CommandParser.parse("MAIL FROM:" + path + " SMTPUTF8");
        Command rcpt = CommandParser.parse("RCPT TO:" + path);

        if (plain instanceof Command.Mail mail) {
            check(!mail.smtpUtf8(), "SMTPUTF8 set without the parameter", address);
            check(utf8 instanceof Command.Mail other && other.smtpUtf8() && other.sender().equals(mail.sender()),
                    "MAIL with SMTPUTF8 gives " + utf8 + ", without " + plain, address);
            FuzzChecks.checkPath(mail.sender(), address);
        } else {
            check(utf8 instanceof Command.Invalid && ((Command.Invalid) utf8).reply().equals(((Command.Invalid) plain).reply()),
                    "MAIL with SMTPUTF8 gives " + utf8 + ", without " + plain, address);
        }
        if (rcpt instanceof Command.Rcpt accepted) {
            FuzzChecks.checkPath(accepted.recipient(), address);
        } else {
            FuzzChecks.checkRefusal(((Command.Invalid) rcpt).reply(), address);
        }

        boolean special = address.isEmpty() || address.equalsIgnoreCase("postmaster");
        if (!special) {
            check((plain instanceof Command.Mail) == (rcpt instanceof Command.Rcpt),
                    "MAIL gives " + plain + " but RCPT gives " + rcpt, address);
            if (plain instanceof Command.Mail mail && rcpt instanceof Command.Rcpt accepted) {
                check(mail.sender().equals(accepted.recipient()), "MAIL and RCPT read different paths", address);
            }
        }

        // The command parser finds the path's end itself (a quoted local part may hold '>' and
        // spaces); when that is the whole input, both must read the same path.
        Optional<MailPath> direct = PathParser.parse(path, true, false);
        if (plain instanceof Command.Mail mail) {
            check(direct.equals(Optional.of(mail.sender())), "PathParser gives " + direct + ", MAIL " + mail, address);
        }
        direct.ifPresent(p -> FuzzChecks.checkPath(p, address));
        Optional<MailboxAddress> mailbox = PathParser.parseMailbox(address);
        mailbox.ifPresent(m -> FuzzChecks.checkMailbox(m, address));
    }
}
