package net.gatehouse.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A private, real Postfix for the interop tests: its own configuration, queue, data and Maildir
 * directories in a temporary directory, its SMTP server on one 127.0.0.1 port, no DNS, a log file
 * instead of syslog. Configured from {@code interop/postfix/*.template}; changed while running
 * with {@link #postconf} and {@link #reload}.
 *
 * <pre>{@code
 * try (PostfixInstance backend = PostfixInstance.named("backend.test")
 *         .mailboxes("example.test", "alice", "bob").start()) {
 *     ... backend.hostPort() ...
 *     backend.awaitMessages("alice@example.test", 1, Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Needs root (the master process starts as root and its daemons run as {@code postfix}) and
 * the Debian package {@code postfix}; without either the test fails saying so.
 */
public final class PostfixInstance implements AutoCloseable {

    private static final Path TEMPLATES = Path.of("interop", "postfix");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private final String postfix;
    private final String postconf;
    private final String postqueue;
    private final Path directory;
    private final Path configDirectory;
    private final int port;
    private boolean running;

    private PostfixInstance(Builder builder) throws IOException {
        ExternalCommand.requireRoot("the interop tests start private Postfix instances and");
        postfix = ExternalCommand.require("postfix", "postfix");
        postconf = ExternalCommand.require("postconf", "postfix");
        postqueue = ExternalCommand.require("postqueue", "postfix");
        port = LoopbackPorts.free();
        // Not a JUnit @TempDir: Postfix's daemons run as the postfix user and must reach the queue.
        directory = Files.createTempDirectory("gatehouse-postfix-");
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        configDirectory = Files.createDirectories(directory.resolve("etc"));
        Files.createDirectories(directory.resolve("queue"));
        Path mail = Files.createDirectories(directory.resolve("mail"));
        UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
        PosixFileAttributeView owner = Files.getFileAttributeView(mail, PosixFileAttributeView.class);
        owner.setOwner(users.lookupPrincipalByName("postfix"));
        owner.setGroup(users.lookupPrincipalByGroupName("postfix"));

        Map<String, String> values = new LinkedHashMap<>();
        values.put("dir", directory.toString());
        values.put("hostname", builder.hostname);
        values.put("port", String.valueOf(port));
        values.put("relayhost", builder.relayhost);
        values.put("domains", String.join(", ", builder.mailboxes.keySet()));
        values.put("mailboxes", builder.mailboxes.entrySet().stream()
                .flatMap(domain -> domain.getValue().stream().map(user -> user + "@" + domain.getKey() + "="
                        + domain.getKey() + "/" + user + "/"))
                .collect(Collectors.joining(", ")));
        values.put("uid", Files.getAttribute(mail, "unix:uid").toString());
        values.put("gid", Files.getAttribute(mail, "unix:gid").toString());
        String main = fill("main.cf.template", values) + String.join("\n", builder.main) + "\n";
        String master = fill("master.cf.template", values) + String.join("\n", builder.master) + "\n";
        Files.writeString(configDirectory.resolve("main.cf"), main);
        Files.writeString(configDirectory.resolve("master.cf"), master);
    }

    /** Starts describing an instance whose {@code myhostname} is {@code hostname}. */
    public static Builder named(String hostname) {
        return new Builder(hostname);
    }

    /** What the instance is made of before it starts. */
    public static final class Builder {

        private final String hostname;
        private final Map<String, List<String>> mailboxes = new LinkedHashMap<>();
        private final List<String> main = new ArrayList<>();
        private final List<String> master = new ArrayList<>();
        private String relayhost = "";

        private Builder(String hostname) {
            this.hostname = hostname;
        }

        /** Maildir mailboxes {@code user@domain}; every other address of the domain is refused at RCPT with 550 5.1.1. */
        public Builder mailboxes(String domain, String... users) {
            mailboxes.computeIfAbsent(domain, d -> new ArrayList<>()).addAll(List.of(users));
            return this;
        }

        /** Where mail for every other domain goes, e.g. {@code [127.0.0.1]:2525}. */
        public Builder relayhost(String relayhost) {
            this.relayhost = relayhost;
            return this;
        }

        /** A line added to main.cf, e.g. {@code smtp_tls_security_level = may}. */
        public Builder main(String line) {
            main.add(line);
            return this;
        }

        /** A line added to master.cf, e.g. a second smtp transport with {@code -o} options. */
        public Builder master(String line) {
            master.add(line);
            return this;
        }

        public PostfixInstance start() throws IOException {
            if (mailboxes.isEmpty()) {
                throw new IllegalStateException("a Postfix instance needs at least one mailbox");
            }
            PostfixInstance instance = new PostfixInstance(this);
            try {
                instance.start();
            } catch (RuntimeException | Error e) {
                instance.close();
                throw e;
            }
            return instance;
        }
    }

    private static String fill(String template, Map<String, String> values) throws IOException {
        Path file = TEMPLATES.resolve(template);
        if (!Files.exists(file)) {
            throw new IllegalStateException(file.toAbsolutePath() + " is missing: run the tests from the project directory");
        }
        String text = Files.readString(file);
        for (Map.Entry<String, String> value : values.entrySet()) {
            text = text.replace("${" + value.getKey() + "}", value.getValue());
        }
        return text;
    }

    /** {@code postfix start}: returns once the master process listens. */
    public void start() {
        run(postfix, "-c", configDirectory.toString(), "start").orFail();
        running = true;
    }

    /** {@code postfix stop}: the port is closed when this returns. */
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        Optional<Long> master = masterPid();
        run(postfix, "-c", configDirectory.toString(), "stop");
        master.ifPresent(pid -> {
            Instant deadline = Instant.now().plusSeconds(10);
            while (isRunning(pid) && Instant.now().isBefore(deadline)) {
                pause(Duration.ofMillis(50));
            }
            if (isRunning(pid)) {
                ProcessHandle.of(pid).ifPresent(ExternalCommand::destroyTree);
            }
        });
    }

    /** Alive and not a zombie: a daemon's parent is init, which in a container may never reap it. */
    private static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code postconf -e SETTING}, e.g. {@code smtpd_reject_unlisted_recipient = no}; see {@link #reload}. */
    public void postconf(String setting) {
        run(postconf, "-c", configDirectory.toString(), "-e", setting).orFail();
    }

    /** {@code postfix reload}: the daemons pick up the changed main.cf. */
    public void reload() {
        run(postfix, "-c", configDirectory.toString(), "reload").orFail();
    }

    /** {@code postqueue -f}: deliver what is deferred now. */
    public void flush() {
        run(postqueue, "-c", configDirectory.toString(), "-f").orFail();
    }

    /** {@code postqueue -p}: what is waiting. */
    public String queue() {
        return run(postqueue, "-c", configDirectory.toString(), "-p").output();
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}, as a Gatehouse back-end. */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    /** Everything Postfix logged so far. */
    public String log() {
        try {
            Path log = directory.resolve("maillog");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The log lines matching {@code regex} (found anywhere in the line). */
    public List<String> logLines(String regex) {
        return LogLines.matching(log().lines(), regex);
    }

    /** Waits until a log line matches {@code regex} and returns it. */
    public String awaitLog(String regex, Duration timeout) throws InterruptedException {
        return LogLines.await(() -> log().lines(), regex, timeout,
                () -> "Postfix " + directory + ":\n" + log() + "\nqueue:\n" + queue());
    }

    /** The messages delivered to {@code address}'s Maildir, oldest first, as stored (LF line endings). */
    public List<byte[]> messages(String address) {
        int at = address.lastIndexOf('@');
        Path newMail = directory.resolve("mail").resolve(address.substring(at + 1)).resolve(address.substring(0, at))
                .resolve("new");
        if (!Files.isDirectory(newMail)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(newMail)) {
            // Maildir names start with the delivery time in seconds, then a unique part
            return files.sorted(Comparator.comparing(PostfixInstance::modified).thenComparing(Path::toString))
                    .map(PostfixInstance::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until {@code address} has {@code count} messages and returns them. */
    public List<byte[]> awaitMessages(String address, int count, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            List<byte[]> messages = messages(address);
            if (messages.size() >= count) {
                return messages;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(address + " has " + messages.size() + " messages, not " + count + ", after "
                        + timeout + "; Postfix log:\n" + log() + "\nqueue:\n" + queue());
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            delete(directory);
        }
    }

    private Optional<Long> masterPid() {
        try {
            Path pid = directory.resolve("queue/pid/master.pid");
            return Files.exists(pid) ? Optional.of(Long.parseLong(Files.readString(pid).trim())) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static ExternalCommand.Result run(String... command) {
        return ExternalCommand.run(COMMAND_TIMEOUT, command);
    }

    private static java.nio.file.attribute.FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind; nothing else to do
        }
    }
}
