package net.gatehouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.ExternalCommand;
import net.gatehouse.testing.GatewayProcess;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged gateway, as a black box, when the world around it fails: killed under load, out
 * of disk, in front of back-ends that stall, greylist, hang up or refuse the null sender, and
 * behind a DNS server that never answers. Whatever fails, nothing acknowledged with 250 is lost,
 * and a failure of ours is never answered with a 5xx.
 */
class FaultBatteryIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern TAG = Pattern.compile("X-Tag: (\\S+)");

    @TempDir
    Path directory;

    @Test
    void sigkillUnderConcurrentLoadLosesNoAcknowledgedMessage() throws Exception {
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        try (TestBackend backend = TestBackend.start()) {
            Path config = TestGateway.in(directory).protect("example.test", backend.hostPort())
                    .smtp("max_connections_per_ip: 100").writeConfig();
            for (int round = 1; round <= 5; round++) {
                try (GatewayProcess gateway = GatewayProcess.start("run", "--config", config.toString())) {
                    int port = gateway.awaitPort();
                    AtomicBoolean killed = new AtomicBoolean();
                    try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
                        for (int session = 0; session < 6; session++) {
                            String prefix = "r" + round + "s" + session + "m";
                            senders.submit(() -> sendUntilRefused(port, prefix, acknowledged, killed));
                        }
                        Thread.sleep(1500); // the load runs this long before the SIGKILL: the fault under test
                        killed.set(true);
                        gateway.kill(); // SIGKILL, with sessions in DATA and deliveries under way
                    }
                }
            }
            assertThat(acknowledged).hasSizeGreaterThan(20); // the load did run

            try (GatewayProcess recovering = GatewayProcess.start("run", "--config", config.toString())) {
                recovering.awaitPort();
                await().atMost(WAIT).until(() -> delivered(backend).keySet().containsAll(acknowledged));
            }
            Map<String, Long> delivered = delivered(backend);
            long twice = delivered.values().stream().filter(n -> n > 1).count();
            System.out.printf("sigkill battery: %d acknowledged, %d delivered, %d delivered more than once%n",
                    acknowledged.size(), delivered.size(), twice);
            assertThat(delivered.keySet()).containsAll(acknowledged);
        }
    }

    @Test
    void aFullDiskIsATemporaryRefusalAndRecoversWithoutARestart() throws Exception {
        ExternalCommand.requireRoot("mounting a small tmpfs for the spool");
        Path data = Files.createDirectories(directory.resolve("data"));
        ExternalCommand.run(Duration.ofSeconds(10), "mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", data.toString())
                .orFail();
        try (TestBackend backend = TestBackend.start()) {
            backend.stop(); // nothing leaves the spool until the back-end returns
            String body = ("z".repeat(76) + "\r\n").repeat(6 * 1024) + "end of message\r\n"; // ~480 KiB
            List<String> acknowledged = new ArrayList<>();
            Reply refusal = null;
            try (PackagedGateway gateway = PackagedGateway.start(TestGateway.in(directory)
                    .protect("example.test", backend.hostPort()).smtp("min_free_space: 2MiB"))) {
                for (int i = 0; i < 40 && refusal == null; i++) {
                    Reply reply = send(gateway.port(), "m" + i, body);
                    if (reply.code() == 250) {
                        acknowledged.add("m" + i);
                    } else {
                        refusal = reply;
                    }
                }
                assertThat(refusal).as("the disk filled up").isNotNull();
                assertThat(refusal.code() + " " + refusal.enhanced()).isEqualTo("452 4.3.1");
                assertThat(acknowledged).isNotEmpty();

                backend.restart(); // the queue drains and frees the disk: no restart of the gateway
                await().atMost(WAIT).until(() -> delivered(backend).keySet().containsAll(acknowledged));
                await().atMost(WAIT).until(() -> send(gateway.port(), "after", body).code() == 250);
                await().atMost(WAIT).until(() -> delivered(backend).containsKey("after"));
                assertThat(gateway.logLines("NOQUEUE|status=bounced|non-delivery notification|dsn_suppressed")).as("no bounce").isEmpty();
            } finally {
                ExternalCommand.run(Duration.ofSeconds(10), "umount", "-l", data.toString());
            }
            assertThat(backend.transactions()).allSatisfy(t -> assertThat(t.text()).contains("end of message"));
        }
    }

    @Test
    void backendFaultsAreTemporaryRefusalsNeverRejections() throws Exception {
        try (TestBackend stalling = TestBackend.start().delay(Duration.ofSeconds(5));
             TestBackend greylisting = TestBackend.start().greylist();
             TestBackend hangingUp = TestBackend.start().replyToRecipient("alice@hangup.test",
                     "421 4.3.2 Service shutting down");
             TestBackend nullSenderRefusing = TestBackend.start().refuseNullSender();
             PackagedGateway gateway = PackagedGateway.start(TestGateway.in(directory)
                     .protect("stall.test", stalling.hostPort())
                     .protect("grey.test", greylisting.hostPort())
                     .protect("hangup.test", hangingUp.hostPort())
                     .protect("picky.test", nullSenderRefusing.hostPort())
                     .policy("recipient_verification: callout")
                     .callout("timeout: 1500ms"))) {
            Function<String, String> rcpt = address -> {
                try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
                    client.command("EHLO client.test");
                    client.command("MAIL FROM:<someone@sender.test>");
                    Reply reply = client.command("RCPT TO:<" + address + ">");
                    return reply.code() + " " + reply.enhanced();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            };

            assertThat(rcpt.apply("alice@stall.test")).as("a back-end slower than the budget").isEqualTo("451 4.4.3");
            assertThat(rcpt.apply("alice@grey.test")).as("a greylisting back-end").isEqualTo("451 4.4.3");
            assertThat(rcpt.apply("alice@hangup.test")).as("421 in the middle of a probe").isEqualTo("451 4.4.3");
            assertThat(rcpt.apply("alice@picky.test")).as("the null sender refused").isEqualTo("451 4.4.3");
        }
    }

    @Test
    void aDnsServerThatNeverAnswersIsATemporaryRefusal() throws Exception {
        try (DatagramSocket deaf = new DatagramSocket(0, InetAddress.getLoopbackAddress()); // bound, never read
             TestBackend backend = TestBackend.start();
             PackagedGateway gateway = PackagedGateway.start(TestGateway.in(directory)
                     .protect("example.test", backend.hostPort())
                     .trust("127.0.0.0/8")
                     .policy("reject_unknown_recipient_domains: true")
                     .dns("127.0.0.1:" + deaf.getLocalPort(), Duration.ofSeconds(1)));
             SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            client.command("EHLO client.test");
            client.command("MAIL FROM:<someone@example.test>");

            Reply outbound = client.command("RCPT TO:<bob@elsewhere.test>");

            assertThat(outbound.code() + " " + outbound.enhanced()).isEqualTo("451 4.4.3");
            assertThat(client.command("RCPT TO:<alice@example.test>").code()).as("protected: no lookup").isEqualTo(250);
        }
    }

    /** Sends tagged one-recipient messages one after another until the gateway goes away. */
    private static Void sendUntilRefused(int port, String prefix, Set<String> acknowledged, AtomicBoolean killed) {
        for (int i = 0; !killed.get(); i++) {
            String tag = prefix + i;
            try {
                if (send(port, tag, "hello\r\n").code() == 250) {
                    acknowledged.add(tag);
                }
            } catch (IOException e) {
                return null; // the gateway was killed: a message without its 250 may be lost
            }
        }
        return null;
    }

    private static Reply send(int port, String tag, String body) throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(port)) {
            client.command("EHLO client.test");
            return client.sendMail("sender@elsewhere.test", List.of("alice@example.test"),
                    "X-Tag: " + tag + "\r\nSubject: fault battery\r\n\r\n" + body);
        }
    }

    /** How many times each tag reached the back-end. */
    private static Map<String, Long> delivered(TestBackend backend) {
        return backend.transactions().stream().map(t -> TAG.matcher(t.text())).filter(Matcher::find)
                .collect(Collectors.groupingBy(m -> m.group(1), Collectors.counting()));
    }
}
