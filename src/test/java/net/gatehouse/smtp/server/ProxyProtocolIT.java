package net.gatehouse.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behind a load balancer: the client is the one its PROXY header names (SPEC §2 proxy_protocol). */
class ProxyProtocolIT {

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start();
    private TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                .trust("10.0.0.0/8").smtp("proxy_protocol: true")
                .policy("reject_unknown_recipient_domains: false").start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        backend.close();
    }

    private static String codes(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }

    @Test
    void judgesTheClientTheHeaderNames() throws Exception {
        try (SmtpTestClient trusted = SmtpTestClient.open(gateway.port())) {
            trusted.send("PROXY TCP4 10.1.2.3 127.0.0.1 40000 25\r\n");
            assertThat(trusted.read().code()).isEqualTo(220);
            trusted.command("EHLO inside.test");
            trusted.command("MAIL FROM:<a@example.test>");
            assertThat(codes(trusted.command("RCPT TO:<friend@elsewhere.test>"))).isEqualTo("250 2.1.5");
        }
        try (SmtpTestClient outsider = SmtpTestClient.open(gateway.port())) {
            outsider.send("PROXY TCP4 192.0.2.9 127.0.0.1 40000 25\r\n");
            assertThat(outsider.read().code()).isEqualTo(220);
            outsider.command("EHLO outside.test");
            outsider.command("MAIL FROM:<a@elsewhere.test>");
            assertThat(codes(outsider.command("RCPT TO:<friend@elsewhere.test>"))).isEqualTo("554 5.7.1");
        }
    }

    @Test
    void closesConnectionsWithoutAHeader() throws Exception {
        try (SmtpTestClient client = SmtpTestClient.open(gateway.port())) {
            client.sendLine("EHLO no-header.test");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }
}
