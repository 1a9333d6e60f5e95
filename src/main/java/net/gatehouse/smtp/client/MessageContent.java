package net.gatehouse.smtp.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * The message as {@link SmtpClient#send} transmits it: header and body, unstuffed, with CRLF line
 * endings (the client adds the dot-stuffing and the terminating dot, RFC 5321 4.5.2).
 *
 * <p>The content may be written more than once per transaction (the client scans it for 8-bit
 * octets before declaring {@code BODY=8BITMIME}), so {@link #writeTo} must give the same bytes each time.
 */
public sealed interface MessageContent {

    /** Length in octets, as declared in the {@code SIZE} parameter (RFC 1870). */
    long size();

    void writeTo(OutputStream out) throws IOException;

    /** A message held in memory: tests, delivery status notifications. The array is copied. */
    record InMemory(byte[] bytes) implements MessageContent {

        public InMemory {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            out.write(bytes);
        }
    }

    /** {@code length} octets of {@code file} from {@code offset}: a message in a spool file. */
    record FileRegion(Path file, long offset, long length) implements MessageContent {

        private static final int CHUNK = 64 * 1024;

        public FileRegion {
            Objects.requireNonNull(file, "file");
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("negative offset or length for " + file + ": " + offset + ", " + length);
            }
        }

        @Override
        public long size() {
            return length;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CHUNK, length));
                long end = offset + length;
                for (long position = offset; position < end; ) {
                    buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
                    int read = channel.read(buffer, position);
                    if (read < 0) {
                        throw new EOFException(file + " ends at octet " + position + ", before the message's end at " + end);
                    }
                    out.write(buffer.array(), 0, read);
                    position += read;
                }
            }
        }
    }
}
