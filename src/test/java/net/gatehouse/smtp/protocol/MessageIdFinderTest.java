package net.gatehouse.smtp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageIdFinderTest {

    private static String find(String message, int chunk) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        MessageIdFinder finder = new MessageIdFinder();
        for (int i = 0; i < bytes.length; i += chunk) {
            finder.feed(bytes, i, Math.min(chunk, bytes.length - i));
        }
        return finder.messageId();
    }

    @Test
    void findsTheHeaderInAnyCaseWhereverTheBytesAreSplit() {
        String message = "From: a@b.example\r\nmessage-ID: <1234@b.example>\r\nSubject: x\r\n\r\nbody\r\n";
        for (int chunk = 1; chunk < 20; chunk++) {
            assertThat(find(message, chunk)).isEqualTo("<1234@b.example>");
        }
    }

    @Test
    void unfoldsAFoldedValueAndTakesTheFirstOfTwo() {
        assertThat(find("Message-ID:\r\n\t<folded@b.example>\r\nMessage-ID: <second@b.example>\r\n\r\n", 7))
                .isEqualTo("<folded@b.example>");
    }

    @Test
    void findsNothingInTheBodyOrWithoutTheHeader() {
        assertThat(find("Subject: x\r\n\r\nMessage-ID: <in-body@b.example>\r\n", 5)).isEmpty();
        assertThat(find("Subject: x\r\n\r\n", 5)).isEmpty();
        assertThat(find("X-Message-ID: <not-it@b.example>\r\n\r\n", 5)).isEmpty();
    }

    @Test
    void findsTheHeaderAtTheVeryEndOfAMessageWithoutBody() {
        assertThat(find("Subject: x\r\nMessage-Id: <last@b.example>\r\n", 64)).isEqualTo("<last@b.example>");
    }

    @Test
    void looksNoFurtherThanTheFirst64KiBOfHeaders() {
        String longHeader = "X-Filler: " + "x".repeat(70 * 1024) + "\r\n";
        assertThat(find(longHeader + "Message-ID: <late@b.example>\r\n\r\n", 4096)).isEmpty();
    }
}
