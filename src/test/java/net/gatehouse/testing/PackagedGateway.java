package net.gatehouse.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged gateway ({@code target/gatehouse.jar}) run as an administrator runs it,
 * {@code gatehouse run --config FILE}, with the configuration a {@link TestGateway} writes: what
 * the interop tests put real mail software in front of and behind.
 */
public final class PackagedGateway implements AutoCloseable {

    private static final Pattern CONSOLE = Pattern.compile("console_listening address=127\\.0\\.0\\.1:(\\d+)");

    private final GatewayProcess process;
    private final Path config;
    private final int port;

    private PackagedGateway(GatewayProcess process, Path config, int port) {
        this.process = process;
        this.config = config;
        this.port = port;
    }

    /** Writes {@code configuration}'s file and runs the jar with it until {@link #close()}. */
    public static PackagedGateway start(TestGateway configuration) throws Exception {
        Path config = configuration.writeConfig();
        GatewayProcess process = GatewayProcess.start("run", "--config", config.toString());
        try {
            return new PackagedGateway(process, config, process.awaitPort());
        } catch (Exception | Error e) {
            process.close();
            throw e;
        }
    }

    /** The SMTP port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** {@code [127.0.0.1]:PORT}, as a Postfix relayhost. */
    public String relayhost() {
        return "[127.0.0.1]:" + port;
    }

    public Path config() {
        return config;
    }

    /** Everything the gateway logged so far. */
    public List<String> log() {
        return process.output();
    }

    /** The log lines matching {@code regex} (found anywhere in the line). */
    public List<String> logLines(String regex) {
        return LogLines.matching(log().stream(), regex);
    }

    /** Waits until a log line matches {@code regex} and returns it. */
    public String awaitLog(String regex, Duration timeout) throws InterruptedException {
        return LogLines.await(() -> log().stream(), regex, timeout, () -> "the gateway:\n" + String.join("\n", log()));
    }

    /** {@code gatehouse check --config FILE ARGS...}, in its own process, run to its end. */
    public ExternalCommand.Result check(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("check", "--config", config.toString()));
        command.addAll(List.of(args));
        try (GatewayProcess check = GatewayProcess.start(command.toArray(String[]::new))) {
            int exit = check.awaitExit();
            return new ExternalCommand.Result(command, exit, String.join("\n", check.output()));
        }
    }

    /** {@code GET /metrics} on the console address (the configuration needs a {@code console}). */
    public String metrics() throws IOException, InterruptedException {
        Optional<Integer> console = log().stream().map(CONSOLE::matcher).filter(Matcher::find)
                .map(m -> Integer.parseInt(m.group(1))).findFirst();
        if (console.isEmpty()) {
            throw new AssertionError("the gateway serves no /metrics: configure console: { listen: \"127.0.0.1:0\" }");
        }
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + console.get() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build();
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
