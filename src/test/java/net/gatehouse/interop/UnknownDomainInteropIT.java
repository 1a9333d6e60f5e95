package net.gatehouse.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.testing.Dnsmasq;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.Swaks;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SPEC §3's unknown-domain table with dnsmasq as the DNS server and swaks as a trusted client
 * (127.0.0.2) relaying outbound through the packaged gateway: MX, A only, NXDOMAIN, no records,
 * null MX, malformed MX, and a server that fails or never answers.
 */
class UnknownDomainInteropIT {

    @TempDir
    static Path directory;

    /** Bound, never read: dnsmasq forwards silent.test here and waits for an answer in vain. */
    private static DatagramSocket blackHole;
    private static Dnsmasq dns;
    private static PackagedGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        blackHole = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        dns = Dnsmasq.with(
                "--mx-host=mx.test,mx1.mx.test,10", "--host-record=mx1.mx.test,127.0.0.1",
                "--host-record=a-only.test,127.0.0.1",
                "--host-record=host.no-records.test,127.0.0.1",          // no-records.test exists, with nothing of its own
                "--mx-host=null-mx.test,.,0",                            // RFC 7505
                "--mx-host=dot-mx.test,.,10",                            // "." with a preference other than 0
                "--mx-host=ip-mx.test,192.0.2.1,10",                     // an IP address as the exchange
                "--mx-host=bad-host-mx.test,bad_host.example,10",
                "--server=/refused.test/#",                              // no upstream to ask: REFUSED
                "--server=/silent.test/127.0.0.1#" + blackHole.getLocalPort());
        gateway = PackagedGateway.start(TestGateway.in(directory).protect("example.test", "127.0.0.1:9")
                .trust("127.0.0.2/32").dns(dns.hostPort(), Duration.ofMillis(800)));
    }

    @AfterAll
    static void stop() throws Exception {
        try (Dnsmasq d = dns; DatagramSocket b = blackHole) {
            if (gateway != null) {
                gateway.close();
            }
        }
    }

    private static String rcpt(String client, String recipient) {
        Swaks.Transcript transcript = Swaks.to(gateway.port(), "--local-interface", client, "--to", recipient,
                "--quit-after", "RCPT");
        return transcript.replyTo("RCPT TO:<" + recipient + ">");
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
            someone@refused.test,          451 4.4.3
            someone@silent.test,           451 4.4.3
            """)
    void checksTheRecipientDomainInDnsForTrustedClients(String recipient, String expected) {
        assertThat(rcpt("127.0.0.2", recipient)).isEqualTo(expected);
        String domain = recipient.substring(recipient.indexOf('@') + 1);
        assertThat(dns.log()).anyMatch(line -> line.contains("query[MX] " + domain + " from 127.0.0.1"));
    }

    @Test
    void untrustedClientsAreRefusedAsRelayingBeforeAnyLookup() {
        assertThat(rcpt("127.0.0.1", "someone@untrusted-lookup.test")).isEqualTo("554 5.7.1");
        assertThat(dns.log()).noneMatch(line -> line.contains("untrusted-lookup.test"));
    }

    @Test
    void protectedDomainsAreNeverLookedUp() {
        assertThat(rcpt("127.0.0.2", "alice@example.test")).isEqualTo("250 2.1.5");
        assertThat(dns.log()).noneMatch(line -> line.contains("example.test"));
    }
}
