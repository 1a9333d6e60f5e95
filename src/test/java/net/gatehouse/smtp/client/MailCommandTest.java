package net.gatehouse.smtp.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MailCommandTest {

    private static final MessageContent ASCII =
            new MessageContent.InMemory("Subject: hi\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII));
    private static final MessageContent EIGHT_BIT =
            new MessageContent.InMemory("Subject: h\u00e9\r\n\r\nh\u00e9\r\n".getBytes(StandardCharsets.UTF_8));
    private static final EhloKeywords EVERYTHING =
            new EhloKeywords(Map.of("SIZE", "", "8BITMIME", "", "SMTPUTF8", ""));

    @Test
    void declaresNothingToAServerThatOffersNothing() throws IOException {
        assertThat(MailCommand.of("a@example.test", List.of("b@example.test"), EIGHT_BIT, EhloKeywords.NONE))
                .isEqualTo("MAIL FROM:<a@example.test>");
    }

    @Test
    void declaresOnlyWhatThisTransactionNeeds() throws IOException {
        assertThat(MailCommand.of("", List.of("b@example.test"), ASCII, EVERYTHING))
                .isEqualTo("MAIL FROM:<> SIZE=" + ASCII.size());
    }

    @Test
    void declaresEightBitContentAndNonAsciiAddresses() throws IOException {
        assertThat(MailCommand.of("a@example.test", List.of("\u00fc@example.test"), EIGHT_BIT, EVERYTHING))
                .isEqualTo("MAIL FROM:<a@example.test> SIZE=" + EIGHT_BIT.size() + " BODY=8BITMIME SMTPUTF8");
    }
}
