package net.gatehouse.smtp.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import net.gatehouse.smtp.protocol.Reply;
import org.junit.jupiter.api.Test;

class EhloKeywordsTest {

    private static EhloKeywords ehlo(String... keywordLines) {
        List<String> lines = new ArrayList<>();
        lines.add("250" + (keywordLines.length == 0 ? " " : "-") + "mx.example.test greets you");
        for (int i = 0; i < keywordLines.length; i++) {
            lines.add("250" + (i == keywordLines.length - 1 ? " " : "-") + keywordLines[i]);
        }
        return EhloKeywords.of(Reply.parse(lines));
    }

    @Test
    void matchesKeywordsWithoutRegardToCase() {
        EhloKeywords keywords = ehlo("pipelining", "8BITMIME", "StartTLS");

        assertThat(keywords.supports("PIPELINING")).isTrue();
        assertThat(keywords.supports("8bitmime")).isTrue();
        assertThat(keywords.supports("STARTTLS")).isTrue();
        assertThat(keywords.supports("SMTPUTF8")).isFalse();
    }

    @Test
    void takesTheGreetingLineForNoKeyword() {
        assertThat(ehlo().keywords()).isEmpty();
    }

    @Test
    void readsTheFixedSizeLimit() {
        assertThat(ehlo("SIZE 10485760").maxSize()).isEqualTo(OptionalLong.of(10_485_760));
    }

    @Test
    void hasNoSizeLimitWhenTheServerDeclaresNoneOrZeroOrNonsense() {
        assertThat(ehlo("SIZE").maxSize()).isEmpty();
        assertThat(ehlo("SIZE 0").maxSize()).isEmpty(); // RFC 1870: 0 means no limit
        assertThat(ehlo("SIZE lots").maxSize()).isEmpty();
        assertThat(ehlo("PIPELINING").maxSize()).isEmpty();
        assertThat(EhloKeywords.NONE.maxSize()).isEmpty();
    }
}
