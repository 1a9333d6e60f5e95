package net.gatehouse.smtp.client;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Gives every write to a socket a deadline. {@code java.net} has none, so a server that stops
 * reading would block the writer forever once the socket buffers are full. A virtual thread closes
 * the socket when one write has been blocked for longer than the timeout, which fails the write
 * (RFC 5321 4.5.3.2.5 times each TCP send of the data; Postfix's {@code smtp_data_xfer_timeout}).
 */
final class DeadlineOutputStream extends FilterOutputStream {

    private static final long IDLE = Long.MIN_VALUE;

    private final Socket socket;
    private final InetSocketAddress remote;
    private final Duration timeout;
    private final Thread watchdog;
    private volatile long writeStarted = IDLE;
    private volatile boolean expired;

    /** @param socket the plain socket under any TLS layer: closing it never waits for a lock */
    DeadlineOutputStream(OutputStream out, Socket socket, InetSocketAddress remote, Duration timeout) {
        super(out);
        this.socket = socket;
        this.remote = remote;
        this.timeout = timeout;
        this.watchdog = Thread.ofVirtual().name("smtp-write-deadline " + SmtpClientException.peer(remote)).start(this::watch);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        writeStarted = System.nanoTime();
        try {
            out.write(bytes, offset, length);
        } catch (IOException e) {
            if (expired) {
                var timedOut = new SocketTimeoutException("write to " + SmtpClientException.peer(remote)
                        + " blocked for longer than " + timeout.toMillis() + " ms; connection closed");
                timedOut.initCause(e);
                throw timedOut;
            }
            throw e;
        } finally {
            writeStarted = IDLE;
        }
    }

    /** Ends the watchdog; the socket stays with its owner. */
    void stopWatching() {
        watchdog.interrupt();
    }

    private void watch() {
        long timeoutNanos = timeout.toNanos();
        try {
            while (true) {
                long started = writeStarted;
                long elapsed = System.nanoTime() - started;
                if (started != IDLE && elapsed >= timeoutNanos) {
                    expired = true;
                    socket.close();
                    return;
                }
                // Idle: a write that starts during this sleep is checked when it ends, and then waited out exactly.
                Thread.sleep(Duration.ofNanos(started == IDLE ? timeoutNanos : timeoutNanos - elapsed));
            }
        } catch (InterruptedException | IOException e) {
            // Stopped by the owner, or the socket is already gone: nothing left to guard.
        }
    }
}
