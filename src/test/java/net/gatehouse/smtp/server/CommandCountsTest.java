package net.gatehouse.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import net.gatehouse.smtp.protocol.CommandParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandCountsTest {

    @Test
    void countsAsPostfixsDisconnectLineInItsOrderWithFailuresAfterASlash() {
        CommandCounts counts = new CommandCounts();
        counts.count(CommandCounts.Verb.EHLO, true);
        counts.count(CommandCounts.Verb.MAIL, true);
        counts.count(CommandCounts.Verb.RCPT, true);
        counts.count(CommandCounts.Verb.RCPT, false);
        counts.count(CommandCounts.Verb.DATA, true);
        counts.count(CommandCounts.Verb.QUIT, true);
        counts.count(CommandCounts.Verb.STARTTLS, true);

        assertThat(counts).hasToString("ehlo=1 starttls=1 mail=1 rcpt=1/2 data=1 quit=1 commands=6/7");
    }

    @Test
    void saysCommandsZeroForASessionWithoutCommands() {
        assertThat(new CommandCounts()).hasToString("commands=0");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            EHLO client.example         | EHLO
            helo client.example         | HELO
            EHLO                        | EHLO
            MAIL FROM:<a@b.example>     | MAIL
            MAIL FROM:<broken           | MAIL
            RCPT TO:<>                  | RCPT
            STARTTLS                    | STARTTLS
            AUTH PLAIN AAAA             | UNKNOWN
            GET / HTTP/1.1              | UNKNOWN
            ''                          | UNKNOWN
            """)
    void namesTheVerbOfEachLineAndCountsBadArgumentsAgainstIt(String line, CommandCounts.Verb verb) {
        assertThat(CommandCounts.Verb.of(CommandParser.parse(line), line)).isEqualTo(verb);
    }
}
