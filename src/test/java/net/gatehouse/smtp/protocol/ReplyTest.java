package net.gatehouse.smtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyTest {

    @Test
    void writesEnhancedCodeOnEveryLine() {
        Reply reply = new Reply(250, "2.0.0", List.of("one", "two"));
        assertThat(reply.wire()).isEqualTo("250-2.0.0 one\r\n250 2.0.0 two\r\n");
    }

    @Test
    void greetingAndEhloRepliesCarryNoEnhancedCode() {
        assertThat(Reply.plain(220, "gw ESMTP").wire()).isEqualTo("220 gw ESMTP\r\n");
    }

    @Test
    void parsesMultiLineRepliesWithAndWithoutEnhancedCodes() {
        Reply ehlo = Reply.parse(List.of("250-mx.example", "250-PIPELINING", "250 SIZE 1000"));
        assertThat(ehlo.lines()).containsExactly("mx.example", "PIPELINING", "SIZE 1000");
        assertThat(ehlo.enhanced()).isEmpty();
        Reply rejected = Reply.parse(List.of("550 5.1.1 <bob@example.com>: User unknown"));
        assertThat(rejected.enhanced()).isEqualTo("5.1.1");
        assertThat(rejected.text()).isEqualTo("<bob@example.com>: User unknown");
    }

    @Test
    void refusesMalformedReplies() {
        assertThatThrownBy(() -> Reply.parse(List.of("25"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Reply.parse(List.of("250-a", "251 b"))).isInstanceOf(IllegalArgumentException.class);
    }
}
