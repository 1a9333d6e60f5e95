package net.gatehouse.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged gateway ({@code target/gatehouse.jar}) as a separate operating-system process, for
 * what only a real process shows: SIGKILL, SIGTERM, exit codes.
 */
public final class GatewayProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("smtp_listening address=127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final CompletableFuture<Void> outputEnded = new CompletableFuture<>();

    private GatewayProcess(Process process) {
        this.process = process;
        Thread.ofVirtual().start(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    output.add(line);
                    Matcher matcher = LISTENING.matcher(line);
                    if (matcher.find()) {
                        port.complete(Integer.parseInt(matcher.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
            port.completeExceptionally(new IllegalStateException("gateway exited before listening:\n" + String.join("\n", output)));
            outputEnded.complete(null);
        });
    }

    /** Runs {@code gatehouse ARGS...} from the packaged jar, output merged and captured. */
    public static GatewayProcess start(String... args) throws IOException {
        String jar = System.getProperty("gatehouse.jar", "target/gatehouse.jar");
        if (!Files.exists(Path.of(jar))) {
            throw new IllegalStateException(jar + " is missing: integration tests run after 'mvn package'");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new java.util.ArrayList<>(List.of(java, "-jar", jar));
        command.addAll(List.of(args));
        return new GatewayProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /**
     * Runs {@code command}, which runs the gateway some other way than from the jar: the installed
     * Debian package's program, as its systemd unit would. Output merged and captured.
     */
    public static GatewayProcess exec(List<String> command) throws IOException {
        return new GatewayProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /** The operating system's process ID: the JVM's, when the command execs it. */
    public long pid() {
        return process.pid();
    }

    /** The SMTP port once the gateway is listening. */
    public int awaitPort() throws Exception {
        return port.get(60, TimeUnit.SECONDS);
    }

    /**
     * The SMTP port once the gateway is listening, waiting up to {@code timeout}: for several
     * gateways started at once on a machine whose CPUs other work shares.
     */
    public int awaitPort(Duration timeout) throws Exception {
        return port.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for the process to exit and for all of its output to be read. */
    public int awaitExit() throws Exception {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("gateway did not exit:\n" + String.join("\n", output));
        }
        outputEnded.get(10, TimeUnit.SECONDS);
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no flush, nothing. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * SIGTERM: the gateway drains and exits. Through the process handle, because
     * {@link Process#destroy()} also closes our end of its output, losing the last lines.
     */
    public void terminate() {
        process.toHandle().destroy();
    }

    public List<String> output() {
        return List.copyOf(output);
    }

    /** Waits until a line of the output matches {@code regex} and returns it. */
    public String awaitOutput(String regex, Duration timeout) throws InterruptedException {
        return LogLines.await(output::stream, regex, timeout, () -> "the gateway:\n" + String.join("\n", output));
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
