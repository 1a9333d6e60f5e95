package net.gatehouse.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's fault battery: thousands of connections that read the greeting and then say nothing
 * (a botnet holding a gateway's slots) cost a session each, but do not keep an ordinary sender
 * from being served.
 *
 * <p>The gateway runs as its own process (the packaged jar), so that each side holds 2,000
 * sockets, not one JVM both ends: the JVM raises its soft open-file limit to the hard one, and
 * even the kernel's default hard limit (4096) leaves room for that.
 */
class IdleConnectionsIT {

    private static final int IDLE = 2_000;

    @TempDir
    Path directory;

    private TestBackend backend;
    private PackagedGateway gateway;
    private final List<SmtpTestClient> idle = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start();
        gateway = PackagedGateway.start(TestGateway.in(directory)
                .protect("example.test", backend.hostPort())
                .policy("recipient_verification: none")
                // every connection here comes from 127.0.0.1
                .smtp("max_connections: " + (IDLE + 100))
                .smtp("max_connections_per_ip: " + (IDLE + 100)));
    }

    @AfterEach
    void stop() throws Exception {
        for (SmtpTestClient client : idle) {
            client.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    @Test
    void aSenderIsServedWhileTwoThousandConnectionsSitIdle() throws Exception {
        assertThat(openFileLimit()).as("this JVM's soft limit on open files (Max open files in /proc/self/limits)")
                .isGreaterThan(IDLE + 500);
        for (int i = 0; i < IDLE; i++) {
            SmtpTestClient client = SmtpTestClient.connect(gateway.port()); // reads the 220 greeting
            idle.add(client);
            if (i % 2 == 0) {
                assertThat(client.command("EHLO idle-" + i + ".test").code()).isEqualTo(250);
            }
        }

        try (SmtpTestClient sender = SmtpTestClient.connect(gateway.port())) {
            assertThat(sender.command("EHLO sender.test").code()).isEqualTo(250);
            assertThat(sender.sendMail("a@sender.test", List.of("alice@example.test"),
                    "Subject: among the idle\r\n\r\nstill served\r\n").code()).isEqualTo(250);
            assertThat(sender.command("QUIT").code()).isEqualTo(221);
        }
        assertThat(backend.takeTransaction(Duration.ofSeconds(30)).text()).contains("still served");

        // the idle ones were held, not dropped: the first and the last still answer
        assertThat(idle.getFirst().command("NOOP").code()).isEqualTo(250);
        assertThat(idle.getLast().command("NOOP").code()).isEqualTo(250);
    }

    /** The soft "Max open files" of this process; the gateway's JVM raises its own the same way. */
    private static long openFileLimit() throws IOException {
        Pattern maxOpenFiles = Pattern.compile("^Max open files\\s+(\\S+)");
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            Matcher matcher = maxOpenFiles.matcher(line);
            if (matcher.find()) {
                return matcher.group(1).equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(matcher.group(1));
            }
        }
        return Long.MAX_VALUE; // not Linux: let the sockets tell
    }
}
