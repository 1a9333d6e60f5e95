package net.gatehouse.smtp.client;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * The MAIL command that opens a transaction, with the parameters that say what the server is about
 * to receive, each only when the server offers its extension: {@code SIZE} (RFC 1870), so that it
 * can refuse a message too large before the content is sent; {@code BODY=8BITMIME} (RFC 6152) for
 * content with octets above 127; {@code SMTPUTF8} (RFC 6531) for addresses that are not ASCII.
 */
final class MailCommand {

    private MailCommand() {
    }

    /** {@code MAIL FROM:<reversePath>} with the parameters that {@code server} offers and this transaction needs. */
    static String of(String reversePath, List<String> recipients, MessageContent content, EhloKeywords server)
            throws IOException {
        StringBuilder mail = new StringBuilder("MAIL FROM:<").append(reversePath).append('>');
        if (server.supports("SIZE")) {
            mail.append(" SIZE=").append(content.size());   // RFC 1870
        }
        if (server.supports("8BITMIME") && hasEightBitOctets(content)) {
            mail.append(" BODY=8BITMIME");   // RFC 6152
        }
        if (server.supports("SMTPUTF8")
                && !(SmtpClient.isAscii(reversePath) && recipients.stream().allMatch(SmtpClient::isAscii))) {
            mail.append(" SMTPUTF8");   // RFC 6531 3.4
        }
        return mail.toString();
    }

    /** RFC 6152: BODY=8BITMIME is declared only for content that needs it. */
    private static boolean hasEightBitOctets(MessageContent content) throws IOException {
        var scanner = new OutputStream() {
            boolean found;

            @Override
            public void write(int b) {
                found |= (b & 0x80) != 0;
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                for (int i = offset; i < offset + length && !found; i++) {
                    found = bytes[i] < 0;
                }
            }
        };
        content.writeTo(scanner);
        return scanner.found;
    }
}
