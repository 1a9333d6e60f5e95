import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The SMTP server half of a benchmark: listens on 127.0.0.1, answers every command correctly,
 * pipelining included, and writes its counts to a stats file every 200 ms, atomically, so a script
 * can poll it; it stops by itself after {@code --max-seconds}. Replies are flushed only when the
 * client has nothing more buffered (RFC 2920), after the configured delay: a pipelined batch costs
 * one write, and one delay, as one network round trip would. What RCPT answers and what is done
 * with a message is the subclass's.
 */
abstract class BenchBackend {

    private final String name;
    private final String hostname;
    private final int port;
    private final long delayMillis;
    private final Path statsFile;
    private final long deadline;
    final LongAdder connections = new LongAdder();

    /** {@code name} starts the log lines ({@code NAME_listening}), {@code hostname} the greeting. */
    BenchBackend(String name, String hostname, BenchOptions options) {
        this.name = name;
        this.hostname = hostname;
        this.port = options.integer("port", -1);
        this.delayMillis = options.integer("delay-ms", 0);
        this.statsFile = options.has("stats-file") ? Path.of(options.get("stats-file", null)) : null;
        this.deadline = System.currentTimeMillis() + 1000L * options.integer("max-seconds", 900);
    }

    /** The greeting's text after the host name. */
    abstract String greeting();

    /** The reply to an accepted MAIL's RCPT line; null for {@code 250 2.1.5 Ok}. */
    abstract String refuse(String rcptLine);

    /** Reads a message's content up to the line with the lone dot, and counts it. */
    abstract void receive(LineReader in) throws IOException;

    /** The stats file's line, without its newline. */
    abstract String stats(int boundPort);

    /** What the line that ends the run says, after the reason. */
    abstract String total();

    /** What the line that starts the run says, after the port; empty or starting with a space. */
    String settings() {
        return "";
    }

    final int run() throws IOException, InterruptedException {
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        System.out.println(name + "_listening port=" + listener.getLocalPort() + settings());
        Thread.ofPlatform().daemon().name(name + "-accept").start(() -> accept(listener));
        while (System.currentTimeMillis() < deadline) {
            writeStats(listener.getLocalPort());
            Thread.sleep(200);
        }
        listener.close();
        writeStats(listener.getLocalPort());
        System.out.println(name + "_stopped reason=max-seconds " + total());
        return 0;
    }

    private void accept(ServerSocket listener) {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                connections.increment();
                Thread.ofVirtual().name(name + "-session").start(() -> serve(socket));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    System.err.println(name + "_accept_failed error=\"" + e.getMessage() + "\"");
                }
            }
        }
    }

    private void writeStats(int boundPort) throws IOException {
        if (statsFile == null) {
            return;
        }
        // Written beside and renamed over, so a reader never sees half a line.
        Path temporary = statsFile.resolveSibling(statsFile.getFileName() + ".tmp");
        Files.writeString(temporary, stats(boundPort) + "\n");
        Files.move(temporary, statsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void flush(OutputStream out) throws IOException {
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        out.flush();
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(120_000);   // a stuck client must not keep a thread forever
            LineReader in = new LineReader(socket.getInputStream(), 64 * 1024);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
            LineReader.writeLine(out, "220 " + hostname + " ESMTP " + greeting());
            boolean mail = false;
            int recipients = 0;
            boolean pending = true;   // replies written but not flushed
            while (true) {
                if (pending && !in.hasPendingInput()) {
                    flush(out);
                    pending = false;
                }
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                pending = true;
                String verb = (line.length() >= 4 ? line.substring(0, 4) : line).toUpperCase(Locale.ROOT);
                switch (verb) {
                    case "EHLO" -> {
                        mail = false;
                        recipients = 0;
                        LineReader.writeLine(out, "250-" + hostname);
                        LineReader.writeLine(out, "250-PIPELINING");
                        LineReader.writeLine(out, "250-8BITMIME");
                        LineReader.writeLine(out, "250 SIZE 104857600");
                    }
                    case "HELO" -> {
                        mail = false;
                        recipients = 0;
                        LineReader.writeLine(out, "250 " + hostname);
                    }
                    case "MAIL" -> {
                        if (mail) {
                            LineReader.writeLine(out, "503 5.5.1 Nested MAIL command");
                        } else {
                            mail = true;
                            LineReader.writeLine(out, "250 2.1.0 Ok");
                        }
                    }
                    case "RCPT" -> {
                        String refusal = mail ? refuse(line) : "503 5.5.1 Need MAIL command";
                        if (refusal == null) {
                            recipients++;
                            LineReader.writeLine(out, "250 2.1.5 Ok");
                        } else {
                            LineReader.writeLine(out, refusal);
                        }
                    }
                    case "DATA" -> {
                        if (recipients == 0) {
                            // RFC 2920 3.1: with no valid recipient DATA is refused, and no content follows.
                            LineReader.writeLine(out, mail ? "554 5.5.1 No valid recipients" : "503 5.5.1 Need MAIL command");
                        } else {
                            LineReader.writeLine(out, "354 End data with <CR><LF>.<CR><LF>");
                            out.flush();
                            receive(in);
                            LineReader.writeLine(out, "250 2.0.0 Ok: queued");
                        }
                        mail = false;
                        recipients = 0;
                    }
                    case "RSET" -> {
                        mail = false;
                        recipients = 0;
                        LineReader.writeLine(out, "250 2.0.0 Ok");
                    }
                    case "NOOP" -> LineReader.writeLine(out, "250 2.0.0 Ok");
                    case "QUIT" -> {
                        LineReader.writeLine(out, "221 2.0.0 Bye");
                        out.flush();
                        return;
                    }
                    default -> LineReader.writeLine(out, "502 5.5.2 Command not recognised");
                }
            }
        } catch (IOException e) {
            // The client went away; nothing to count.
        }
    }
}
