package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestDns;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SPEC §3's unknown-domain table, row by row, over SMTP against an in-test authoritative DNS
 * server: a trusted client relaying outbound to domains DNS says cannot receive mail.
 */
class UnknownDomainIT {

    @TempDir
    Path directory;

    private final TestDns dns = TestDns.start();
    private final TestBackend backend = TestBackend.start();
    private TestGateway gateway;

    @BeforeEach
    void zone() {
        dns.mailDomain("mx.test", "mx1.mx.test", "192.0.2.25");
        dns.a("a-only.test", "192.0.2.26");
        dns.a("host.no-records.test", "192.0.2.27"); // no-records.test exists, with nothing of its own
        dns.nullMx("null-mx.test");
        dns.mx("dot-mx.test", 10, ".");
        dns.mx("ip-mx.test", 10, "192.0.2.1.").a("192.0.2.1.", "192.0.2.1");
        dns.mx("bad-host-mx.test", 10, "bad_host.example");
        dns.servfail("servfail.test");
        dns.silent("silent.test");
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
        dns.close();
    }

    private Reply rcpt(String recipient) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<alice@example.test>");
            return client.command("RCPT TO:<" + recipient + ">");
        }
    }

    private static String codes(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(textBlock = """
            someone@mx.test,               250 2.1.5
            someone@a-only.test,           250 2.1.5
            someone@nxdomain.test,         550 5.1.2
            someone@no-records.test,       550 5.1.2
            someone@null-mx.test,          556 5.1.10
            someone@dot-mx.test,           550 5.1.2
            someone@ip-mx.test,            550 5.1.2
            someone@bad-host-mx.test,      550 5.1.2
            someone@servfail.test,         451 4.4.3
            someone@silent.test,           451 4.4.3
            """)
    void checksTheRecipientDomainForTrustedClients(String recipient, String expected) throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).trust("127.0.0.0/8")
                .dns(dns, Duration.ofMillis(800)).start();
        assertThat(codes(rcpt(recipient))).isEqualTo(expected);
    }

    @Test
    void acceptsEveryDomainWhenTheSettingIsOff() throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).trust("127.0.0.0/8")
                .policy("reject_unknown_recipient_domains: false").dns(dns, Duration.ofMillis(800)).start();
        assertThat(codes(rcpt("someone@nxdomain.test"))).isEqualTo("250 2.1.5");
        assertThat(codes(rcpt("someone@null-mx.test"))).isEqualTo("250 2.1.5");
    }

    @Test
    void untrustedClientsAreRefusedAsRelayingWhateverDnsSays() throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                .dns(dns, Duration.ofMillis(800)).start();
        assertThat(codes(rcpt("someone@mx.test"))).isEqualTo("554 5.7.1");
        assertThat(codes(rcpt("someone@nxdomain.test"))).isEqualTo("554 5.7.1");
    }

    @Test
    void protectedDomainsAreNotLookedUp() throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort()).trust("127.0.0.0/8")
                .dns(dns, Duration.ofMillis(800)).start();
        assertThat(codes(rcpt("alice@example.test"))).isEqualTo("250 2.1.5");
        assertThat(dns.queryCount("example.test")).isZero();
    }
}
