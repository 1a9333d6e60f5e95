package net.gatehouse.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The back-end mail server of {@code gatehouse demo}: a small SMTP server on loopback that knows a
 * few mailboxes, refuses every other address at RCPT with 550 5.1.1 (as a well-configured back-end
 * should, see the Plesk article in the seeds), and files each message it accepts under
 * {@code mailboxes/<local part>/} so the newcomer can see it arrive, with a {@code Return-Path:}
 * line first as a delivery agent writes it (RFC 5321 4.4), so that a bounce ({@code <>}) is easy to
 * tell from a message. Not a product component.
 */
public final class DemoMailServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoMailServer.class);

    private final Set<String> mailboxes;
    private final Path mailboxDirectory;
    private final ServerSocket listener;
    private final AtomicLong delivered = new AtomicLong();

    /**
     * @param mailboxes addresses that exist, lower case
     */
    public DemoMailServer(InetSocketAddress address, Set<String> mailboxes, Path mailboxDirectory) throws IOException {
        this.mailboxes = Set.copyOf(mailboxes);
        this.mailboxDirectory = mailboxDirectory;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(address);
        Thread.ofPlatform().daemon().name("demo-backend").start(this::accept);
    }

    public int port() {
        return listener.getLocalPort();
    }

    public long delivered() {
        return delivered.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    log.warn("demo_backend_accept_failed error=\"{}\"", e.getMessage());
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8);
            reply(out, "220 backend.demo ESMTP demo back-end");
            List<String> recipients = new ArrayList<>();
            String sender = "";
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase(Locale.ROOT);
                if (upper.startsWith("EHLO")) {
                    reply(out, "250-backend.demo\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES");
                } else if (upper.startsWith("HELO")) {
                    reply(out, "250 backend.demo");
                } else if (upper.startsWith("MAIL FROM:")) {
                    recipients.clear();
                    sender = between(line, '<', '>');
                    reply(out, "250 2.1.0 Ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    String address = between(line, '<', '>').toLowerCase(Locale.ROOT);
                    if (mailboxes.contains(address)) {
                        recipients.add(address);
                        reply(out, "250 2.1.5 Ok");
                    } else {
                        // One line per refusal: the newcomer sees the back-end answer the gateway's callouts.
                        log.info("demo_backend refused to=<{}> from=<{}> reply=\"550 5.1.1\"", address, sender);
                        reply(out, "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown");
                    }
                } else if (upper.equals("DATA")) {
                    if (recipients.isEmpty()) {
                        reply(out, "554 5.5.1 No valid recipients");
                        continue;
                    }
                    reply(out, "354 End data with <CR><LF>.<CR><LF>");
                    StringBuilder message = new StringBuilder("Return-Path: <" + sender + ">\r\n");
                    while ((line = in.readLine()) != null && !line.equals(".")) {
                        message.append(line.startsWith(".") ? line.substring(1) : line).append("\r\n");
                    }
                    for (String recipient : recipients) {
                        file(recipient, message.toString());
                    }
                    reply(out, "250 2.0.0 Ok: delivered to " + recipients.size() + " mailbox(es)");
                    recipients.clear();
                } else if (upper.equals("RSET")) {
                    recipients.clear();
                    reply(out, "250 2.0.0 Ok");
                } else if (upper.equals("QUIT")) {
                    reply(out, "221 2.0.0 Bye");
                    return;
                } else if (upper.startsWith("NOOP")) {
                    reply(out, "250 2.0.0 Ok");
                } else {
                    reply(out, "502 5.5.1 Not implemented");
                }
            }
        } catch (IOException e) {
            log.debug("demo_backend_connection_lost error=\"{}\"", e.getMessage());
        }
    }

    private void file(String recipient, String message) throws IOException {
        Path box = Files.createDirectories(mailboxDirectory.resolve(recipient.substring(0, recipient.indexOf('@'))));
        Path file = box.resolve(System.currentTimeMillis() + "-" + delivered.incrementAndGet() + ".eml");
        try (OutputStream stream = Files.newOutputStream(file)) {
            stream.write(message.getBytes(StandardCharsets.UTF_8));
        }
        log.info("demo_backend delivered to={} file={}", recipient, file);
    }

    private static void reply(Writer out, String text) throws IOException {
        out.write(text + "\r\n");
        out.flush();
    }

    private static String between(String text, char open, char close) {
        int start = text.indexOf(open);
        int end = text.lastIndexOf(close);
        return start >= 0 && end > start ? text.substring(start + 1, end) : "";
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
