package net.gatehouse.smtp.server;

import java.io.IOException;
import java.io.OutputStream;
import net.gatehouse.smtp.protocol.MessageIdFinder;

/**
 * The spool's stream, made to swallow a write failure (disk full) so that the rest of the DATA
 * is still read and the client gets a clean 452 instead of a broken connection. It notes the
 * Message-ID on the way, for the log.
 */
final class SpoolSink extends OutputStream {
    private final OutputStream out;
    private final MessageIdFinder messageId = new MessageIdFinder();
    private IOException failure;

    SpoolSink(OutputStream out) {
        this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        messageId.feed(bytes, offset, length);
        if (failure != null) {
            return;
        }
        try {
            out.write(bytes, offset, length);
        } catch (IOException e) {
            failure = e;
        }
    }

    IOException failure() {
        return failure;
    }

    String messageId() {
        return messageId.messageId();
    }
}
