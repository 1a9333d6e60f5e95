package net.gatehouse.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A real HAProxy (the Debian package's {@code /usr/sbin/haproxy}) in front of gateways on
 * loopback, as docs/CLUSTER.md tells administrators to run it: TCP mode, the client's address
 * passed on in a PROXY v2 header ({@code send-proxy-v2}; gateways run with
 * {@code smtp.proxy_protocol: true}), and an SMTP health check that waits for the 220 greeting and
 * says QUIT, its connection also opened with a PROXY header ({@code check-send-proxy}), since a
 * gateway with {@code proxy_protocol} on requires one on every connection.
 *
 * <p>The checks run every 500 ms and two failures take a server out of rotation, so that a killed
 * gateway is out within about a second; {@code option redispatch} sends a connection that a dead
 * server refused to another in the meantime.
 *
 * <p>Runs in the foreground ({@code -db}) as a child process, its configuration and admin socket in
 * a directory of the test's, and is killed at {@link #close()}.
 */
public final class TestHaproxy implements AutoCloseable {

    private final Path directory;
    private final int port;
    private final List<String> servers;
    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();

    private TestHaproxy(Path directory, int port, List<String> servers, Process process) {
        this.directory = directory;
        this.port = port;
        this.servers = servers;
        this.process = process;
        Thread.ofVirtual().start(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    output.add(line);
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        });
    }

    /**
     * Starts HAProxy on a free port of 127.0.0.1 in front of the gateways listening on
     * {@code gatewayPorts} of 127.0.0.1 (servers {@code node1}, {@code node2}, ... in that order),
     * and waits until it accepts connections. The servers may not be up yet: see {@link #awaitUp}.
     */
    public static TestHaproxy start(Path directory, List<Integer> gatewayPorts) throws IOException {
        String haproxy = ExternalCommand.require("haproxy", "haproxy");
        Files.createDirectories(directory);
        int port = LoopbackPorts.free();
        Map<String, String> backends = new LinkedHashMap<>();
        for (int i = 0; i < gatewayPorts.size(); i++) {
            backends.put("node" + (i + 1), "127.0.0.1:" + gatewayPorts.get(i));
        }
        Path socket = directory.resolve("admin.sock");
        Path config = directory.resolve("haproxy.cfg");
        Files.writeString(config, config("127.0.0.1:" + port, backends, socket));
        Process process = new ProcessBuilder(haproxy, "-f", config.toString(), "-db")
                .redirectErrorStream(true).start();
        TestHaproxy proxy = new TestHaproxy(directory, port, List.copyOf(backends.keySet()), process);
        try {
            Awaitility.await("haproxy listening on 127.0.0.1:" + port).atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("haproxy exited:\n" + String.join("\n", proxy.output));
                        }
                        return Files.exists(socket) && proxy.accepts();
                    });
        } catch (RuntimeException e) {
            proxy.close();
            throw e;
        }
        return proxy;
    }

    /**
     * The configuration: the production shape of docs/CLUSTER.md, on loopback, with an admin
     * socket from which the test reads the servers' states.
     *
     * @param bind     the frontend's address
     * @param backends server name to gateway address (host:port)
     * @param socket   the admin socket's path, or null for none
     */
    public static String config(String bind, Map<String, String> backends, Path socket) {
        StringBuilder text = new StringBuilder()
                .append("global\n")
                .append("    log stdout format raw local0 info\n")
                .append("    maxconn 4000\n");
        if (socket != null) {
            text.append("    stats socket ").append(socket).append(" mode 600 level admin\n");
        }
        text.append("""

                defaults
                    mode tcp
                    log global
                    option tcplog
                    option dontlognull
                    timeout connect 5s
                    timeout client 6m
                    timeout server 6m
                    timeout check 3s
                    retries 2
                    option redispatch

                frontend smtp
                """)
                .append("    bind ").append(bind).append('\n')
                .append("""
                    default_backend gateways

                backend gateways
                    balance roundrobin
                    option tcp-check
                    tcp-check expect rstring ^220
                    tcp-check send QUIT\\r\\n
                    tcp-check expect rstring ^221
                    default-server send-proxy-v2 check-send-proxy check inter 500ms fall 2 rise 2
                """);
        backends.forEach((name, address) -> text.append("    server ").append(name).append(' ').append(address).append('\n'));
        return text.toString();
    }

    /** The port clients connect to, on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** The configuration file HAProxy runs with. */
    public String configText() {
        try {
            return Files.readString(directory.resolve("haproxy.cfg"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> output() {
        return List.copyOf(output);
    }

    /**
     * Each server's state as HAProxy's checks see it: {@code UP}, {@code DOWN}, or a transition
     * such as {@code UP 1/2} (from {@code show stat}).
     */
    public Map<String, String> serverStates() {
        Map<String, String> states = new LinkedHashMap<>();
        String[] lines = adminCommand("show stat").split("\n");
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            throw new IllegalStateException("unexpected answer to show stat: " + String.join("\n", lines));
        }
        List<String> columns = List.of(lines[0].substring(2).split(","));
        int proxy = columns.indexOf("pxname");
        int server = columns.indexOf("svname");
        int status = columns.indexOf("status");
        for (int i = 1; i < lines.length; i++) {
            String[] fields = lines[i].split(",", -1);
            if (fields.length > status && fields[proxy].equals("gateways") && servers.contains(fields[server])) {
                states.put(fields[server], fields[status]);
            }
        }
        return states;
    }

    /** Waits until HAProxy's checks have put every named server ({@code node1}, ...) in rotation. */
    public void awaitUp(String... names) {
        await(names, "UP");
    }

    /** Waits until HAProxy's checks have taken every named server out of rotation. */
    public void awaitDown(String... names) {
        await(names, "DOWN");
    }

    private void await(String[] names, String state) {
        Awaitility.await("haproxy servers " + String.join(", ", names) + " " + state)
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Map<String, String> states = serverStates();
                    for (String name : names) {
                        if (!state.equals(states.get(name))) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /** All servers, by name, in order. */
    public List<String> servers() {
        return servers;
    }

    private String adminCommand(String command) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(directory.resolve("admin.sock")));
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            var answer = new java.io.ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(16384);
            while (channel.read(buffer) >= 0) {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            return answer.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("haproxy's admin socket: " + command, e);
        }
    }

    private boolean accepts() {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.toHandle().destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    ExternalCommand.destroyTree(process.toHandle());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ExternalCommand.destroyTree(process.toHandle());
            }
        }
    }

    /** What the test saw of HAProxy, for a failure's message. */
    @Override
    public String toString() {
        List<String> last = new ArrayList<>(output);
        return "haproxy on 127.0.0.1:" + port + ", last lines:\n"
                + String.join("\n", last.subList(Math.max(0, last.size() - 40), last.size()));
    }
}
