package net.gatehouse.smtp.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import net.gatehouse.smtp.client.SmtpClient.Stage;
import net.gatehouse.smtp.protocol.Reply;

/**
 * The server's answer made the session unusable: a refused greeting, EHLO/HELO or RSET, or a reply
 * that breaks the protocol (malformed, too long). Refusals inside a mail transaction are not
 * exceptions: they are the replies of a {@link TransactionResult}.
 */
public final class SmtpClientException extends IOException {

    private final Stage stage;
    private final InetSocketAddress remote;
    private final transient Reply reply;

    private SmtpClientException(Stage stage, InetSocketAddress remote, Reply reply, String message) {
        super(message);
        this.stage = stage;
        this.remote = remote;
        this.reply = reply;
    }

    static SmtpClientException refused(Stage stage, InetSocketAddress remote, Reply reply) {
        return new SmtpClientException(stage, remote, reply,
                "unexpected " + stage.awaited() + " from " + peer(remote) + ": " + reply);
    }

    static SmtpClientException protocolError(Stage stage, InetSocketAddress remote, String detail) {
        return new SmtpClientException(stage, remote, null,
                "malformed " + stage.awaited() + " from " + peer(remote) + ": " + detail);
    }

    /** The server as logs show it: "mx.example.com[192.0.2.1]:25", or "192.0.2.1:25" when known by address only. */
    static String peer(InetSocketAddress remote) {
        InetAddress ip = remote.getAddress();
        String host = remote.getHostString();
        return ip == null || host.equals(ip.getHostAddress())
                ? host + ":" + remote.getPort()
                : host + "[" + ip.getHostAddress() + "]:" + remote.getPort();
    }

    public Stage stage() {
        return stage;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** The server's reply, when there was a well-formed one. */
    public Optional<Reply> reply() {
        return Optional.ofNullable(reply);
    }
}
