package net.gatehouse.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.tls.TlsContexts;

/**
 * A deliberately raw SMTP client for dialogue tests: it sends exactly the bytes a test gives it
 * (pipelined batches, bare LFs, early talk) and reads replies one at a time.
 */
public final class SmtpTestClient implements AutoCloseable {

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    private SmtpTestClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects without reading the greeting. */
    public static SmtpTestClient open(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        return new SmtpTestClient(socket);
    }

    /**
     * Connects from another loopback address ({@code 127.0.0.2}: Linux routes all of 127.0.0.0/8 to
     * lo), so that one test can be a trusted and an untrusted client, and reads the 220 greeting.
     */
    public static SmtpTestClient connectFrom(String localAddress, int port) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(localAddress, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        return greeted(new SmtpTestClient(socket));
    }

    /** A client over a socket the test connected itself (bound to an address of its choice); the greeting not read. */
    public static SmtpTestClient over(Socket socket) throws IOException {
        return new SmtpTestClient(socket);
    }

    /** Connects and reads the 220 greeting. */
    public static SmtpTestClient connect(int port) throws IOException {
        return greeted(open(port));
    }

    private static SmtpTestClient greeted(SmtpTestClient client) throws IOException {
        Reply greeting = client.read();
        if (greeting.code() != 220) {
            throw new IOException("unexpected greeting: " + greeting);
        }
        return client;
    }

    public Reply command(String line) throws IOException {
        sendLine(line);
        return read();
    }

    public void sendLine(String line) throws IOException {
        send(line + "\r\n");
    }

    public void send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    public void send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
    }

    /** Reads one reply, all its lines. */
    public Reply read() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new IOException("connection closed while waiting for a reply" + (lines.isEmpty() ? "" : " after " + lines));
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return Reply.parse(lines);
            }
        }
    }

    /** True when the server has closed the connection (reads end of stream). */
    public boolean isClosedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** EHLO, MAIL, RCPTs, DATA, content, dot; returns the final reply (or the first failure). */
    public Reply sendMail(String from, List<String> to, String content) throws IOException {
        Reply reply = command("MAIL FROM:<" + from + ">");
        if (!reply.isPositive()) {
            return reply;
        }
        int accepted = 0;
        for (String recipient : to) {
            if (command("RCPT TO:<" + recipient + ">").isPositive()) {
                accepted++;
            }
        }
        if (accepted == 0) {
            command("RSET");
            return Reply.NO_VALID_RECIPIENTS;
        }
        reply = command("DATA");
        if (reply.code() != 354) {
            return reply;
        }
        String body = content.endsWith("\r\n") ? content : content + "\r\n";
        // RFC 5321 4.5.2: a line that starts with a dot gets one more.
        send((body.startsWith(".") ? "." : "") + body.replace("\r\n.", "\r\n.."));
        return command(".");
    }

    public void startTls() throws IOException {
        Reply reply = command("STARTTLS");
        if (reply.code() != 220) {
            throw new IOException("STARTTLS refused: " + reply);
        }
        startTlsAfterReply();
    }

    /** The TLS handshake, for a test that sent STARTTLS and read the 220 itself. */
    public void startTlsAfterReply() throws IOException {
        SSLSocket secured = TlsContexts.startTls(socket, TlsContexts.opportunisticClient(), true, "localhost");
        socket = secured;
        in = new BufferedInputStream(secured.getInputStream());
        out = secured.getOutputStream();
    }

    /** The subject of the certificate the server presented, after {@link #startTls()}. */
    public String peerCertificateSubject() throws IOException {
        if (!(socket instanceof SSLSocket secured)) {
            throw new IllegalStateException("no TLS yet: call startTls() first");
        }
        return ((java.security.cert.X509Certificate) secured.getSession().getPeerCertificates()[0])
                .getSubjectX500Principal().getName();
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                int length = line.length();
                return length > 0 && line.charAt(length - 1) == '\r' ? line.substring(0, length - 1) : line.toString();
            }
            line.append((char) b);
        }
        return line.isEmpty() ? null : line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
