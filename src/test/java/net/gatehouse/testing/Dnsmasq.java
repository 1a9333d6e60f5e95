package net.gatehouse.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real dnsmasq for the interop tests, on 127.0.0.1 (UDP and TCP) at a free port, answering
 * only from the records it is given: every name under {@code .test} that it holds nothing for is
 * NXDOMAIN (or NODATA when a name below it exists), and it forwards nowhere except where a test
 * says so.
 *
 * <pre>{@code
 * try (Dnsmasq dns = Dnsmasq.with("--mx-host=mx.test,mx1.mx.test,10", "--host-record=mx1.mx.test,127.0.0.1")) {
 *     gateway.dns(dns.hostPort(), Duration.ofMillis(800));
 * }
 * }</pre>
 */
public final class Dnsmasq implements AutoCloseable {

    private final Process process;
    private final int port;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> started = new CompletableFuture<>();

    private Dnsmasq(Process process, int port) {
        this.process = process;
        this.port = port;
        Thread.ofVirtual().start(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    output.add(line);
                    if (line.contains("started, version")) {
                        started.complete(null);
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
            started.completeExceptionally(new AssertionError("dnsmasq exited before serving:\n" + String.join("\n", output)));
        });
    }

    /**
     * Starts dnsmasq with these records and options, e.g. {@code --mx-host=DOMAIN,HOST,PREF},
     * {@code --host-record=NAME,IP}, {@code --server=/DOMAIN/IP#PORT} (forward one domain).
     */
    public static Dnsmasq with(String... records) {
        String dnsmasq = ExternalCommand.require("dnsmasq", "dnsmasq");
        int port = LoopbackPorts.freeForTcpAndUdp();
        List<String> command = new ArrayList<>(List.of(dnsmasq, "--no-daemon", "--port=" + port,
                "--listen-address=127.0.0.1", "--bind-interfaces", "--conf-file=/dev/null", "--no-resolv",
                "--no-hosts", "--no-poll", "--pid-file", "--log-facility=-", "--log-queries", "--local=/test/"));
        command.addAll(List.of(records));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        Dnsmasq server = new Dnsmasq(process, port);
        try {
            server.started.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            server.close();
            throw new AssertionError("dnsmasq did not start: " + String.join(" ", command) + "\n"
                    + String.join("\n", server.output), e);
        }
        return server;
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}, as a Gatehouse {@code dns.servers} entry. */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    /** What dnsmasq logged: the queries it received and how it answered them. */
    public List<String> log() {
        return List.copyOf(output);
    }

    @Override
    public void close() {
        ExternalCommand.destroyTree(process.toHandle());
    }
}
