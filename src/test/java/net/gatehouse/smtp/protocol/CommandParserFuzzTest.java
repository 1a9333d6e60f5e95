package net.gatehouse.smtp.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static net.gatehouse.smtp.protocol.FuzzChecks.check;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.regex.Pattern;

/**
 * Fuzzes {@link CommandParser#parse} with whole command lines (issue 11). Under JUnit it replays
 * the seeds in {@code CommandParserFuzzTestInputs/}; {@code bench/fuzz.sh} fuzzes it.
 *
 * <p>Invariants: the parser never throws; a line it refuses carries a 4xx or 5xx reply with an
 * enhanced code, sent as one line; a verb and a MAIL parameter are recognised only in ASCII
 * (RFC 5321 4.1.1 and 4.1.2: case-insensitive ASCII, nothing that merely upper-cases to it),
 * and so are RCPT's DSN parameters (RFC 3461); a command printed with its parameters parses the same;
 * a path it accepts, printed and parsed again, is the same path; and no accepted mailbox holds a
 * control character or U+FFFD (bytes that were not UTF-8), since it goes on to the back-end, the
 * spool file and the log.
 */
class CommandParserFuzzTest {

    private static final Pattern ASCII_VERB = Pattern.compile("[A-Za-z]+");
    /** CASE_INSENSITIVE without UNICODE_CASE: ASCII case only. */
    private static final Pattern MAIL_PARAMETER = Pattern.compile(
            "SIZE=[0-9]{1,20}|BODY=(7BIT|8BITMIME)|SMTPUTF8|RET=(FULL|HDRS)|ENVID=([!-*,-<>-~]|\\+[0-9A-F]{2})+",
            Pattern.CASE_INSENSITIVE);
    /** RFC 3461 4.1, 4.2; an ORCPT of the utf-8 type (RFC 6533) may hold non-ASCII characters. */
    private static final Pattern RCPT_PARAMETER = Pattern.compile(
            "NOTIFY=(NEVER|(SUCCESS|FAILURE|DELAY)(,(SUCCESS|FAILURE|DELAY)){0,2})|ORCPT=[!#-'*+/-9=?A-Z^-~-]+;\\S+",
            Pattern.CASE_INSENSITIVE);

    /** A line as the session hands it over: the client's bytes up to CRLF, decoded as UTF-8 with replacement. */
    @FuzzTest
    @DictionaryFile(resourcePath = "smtp.dict")
    void everyLineIsACommandOrARefusal(byte[] wire) {
        String line = new String(wire, UTF_8);
        Command command = CommandParser.parse(line);
        check(command != null, "null command", line);
        switch (command) {
            case Command.Invalid invalid -> FuzzChecks.checkRefusal(invalid.reply(), line);
            case Command.Mail mail -> {
                checkVerb(line);
                checkParameters(line, MAIL_PARAMETER);
                FuzzChecks.checkPath(mail.sender(), line);
                Command again = CommandParser.parse(print(mail));
                check(again instanceof Command.Mail m && FuzzChecks.samePath(m.sender(), mail.sender())
                        && m.size().equals(mail.size()) && m.eightBit() == mail.eightBit()
                        && m.smtpUtf8() == mail.smtpUtf8() && m.dsn().equals(mail.dsn()),
                        "MAIL printed as \"" + print(mail) + "\" parses as " + again, line);
            }
            case Command.Rcpt rcpt -> {
                checkVerb(line);
                FuzzChecks.checkPath(rcpt.recipient(), line);
                checkParameters(line, RCPT_PARAMETER);
                check(!rcpt.recipient().isNull(), "RCPT with the null path", line);
                String printed = "RCPT TO:" + rcpt.recipient() + rcpt.dsn().parameters();
                Command again = CommandParser.parse(printed);
                check(again instanceof Command.Rcpt r && FuzzChecks.samePath(r.recipient(), rcpt.recipient())
                                && r.dsn().equals(rcpt.dsn()),
                        "RCPT printed as \"" + printed + "\" parses as " + again, line);
            }
            case Command.Hello hello -> {
                checkVerb(line);
                check(!hello.domain().isEmpty() && hello.domain().indexOf(' ') < 0,
                        "HELO/EHLO domain \"" + hello.domain() + "\"", line);
            }
            default -> checkVerb(line);
        }
    }

    private static void checkVerb(String line) {
        int space = line.indexOf(' ');
        String verb = space < 0 ? line : line.substring(0, space);
        check(ASCII_VERB.matcher(verb).matches(), "command recognised from the verb \"" + verb + "\"", line);
    }

    /**
     * The words after the path, each of which the parser took for a parameter. The path ends at
     * the first '>' outside a quoted local part (an ENVID or ORCPT may hold another '>').
     */
    private static void checkParameters(String line, Pattern parameter) {
        for (String word : line.substring(endOfPath(line) + 1).strip().split(" +")) {
            check(word.isEmpty() || parameter.matcher(word).matches(), "parameter \"" + word + "\" accepted", line);
        }
    }

    private static int endOfPath(String line) {
        boolean inQuotes = false;
        for (int i = line.indexOf('<') + 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && inQuotes) {
                i++;
            } else if (c == '"') {
                inQuotes = !inQuotes;
            } else if (c == '>' && !inQuotes) {
                return i;
            }
        }
        return line.length() - 1;
    }

    private static String print(Command.Mail mail) {
        StringBuilder line = new StringBuilder("MAIL FROM:").append(mail.sender());
        mail.size().ifPresent(size -> line.append(" SIZE=").append(size));
        if (mail.eightBit()) {
            line.append(" BODY=8BITMIME");
        }
        if (mail.smtpUtf8()) {
            line.append(" SMTPUTF8");
        }
        return line.append(mail.dsn().parameters()).toString();
    }
}
