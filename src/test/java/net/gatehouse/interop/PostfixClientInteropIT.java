package net.gatehouse.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import net.gatehouse.testing.Dnsmasq;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.PostfixInstance;
import net.gatehouse.testing.Swaks;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Postfix as the sending client of the packaged gateway, as an organisation's own mail server:
 * Gatehouse is its relayhost, with STARTTLS and pipelining as Postfix uses them, and Postfix turns
 * the gateway's 5xx into a bounce to its sender. A second transport of the same Postfix sends from
 * 127.0.0.2, a trusted network: Gatehouse relays that mail outbound, to the MX dnsmasq names.
 *
 * <pre>
 *   swaks → client Postfix ─ relayhost, from 127.0.0.1 (untrusted) ─→ Gatehouse ─ back-end ─→ back-end Postfix (example.test)
 *                           └ transport "trusted", from 127.0.0.2 ─→ Gatehouse ─ MX world.test (dnsmasq) ─→ back-end Postfix (world.test)
 * </pre>
 */
class PostfixClientInteropIT {

    @TempDir
    static Path directory;
    private static PostfixInstance backend;
    private static Dnsmasq dns;
    private static PackagedGateway gateway;
    private static PostfixInstance client;

    @BeforeAll
    static void start() throws Exception {
        backend = PostfixInstance.named("backend.test").mailboxes("example.test", "alice", "bob")
                .mailboxes("world.test", "carol").start();
        dns = Dnsmasq.with("--mx-host=world.test,mx.world.test,10", "--host-record=mx.world.test,127.0.0.1");
        gateway = PackagedGateway.start(TestGateway.in(directory).tls().protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout").callout("timeout: 3s").trust("127.0.0.2/32")
                .dns(dns.hostPort(), Duration.ofSeconds(2)).remotePort(backend.port()));
        client = PostfixInstance.named("client.test").mailboxes("client.test", "sender")
                .relayhost(gateway.relayhost())
                .main("smtp_tls_security_level = may")
                .main("smtp_tls_loglevel = 1")
                .main("smtp_bind_address = 127.0.0.1")
                // the SMTP client's verbose log for this peer, where Postfix says it pipelines
                .main("debug_peer_list = 127.0.0.1")
                .main("transport_maps = inline:{ world.test=trusted:" + gateway.relayhost() + " }")
                .master("trusted   unix  -       -       n       -       -       smtp")
                .master("  -o smtp_bind_address=127.0.0.2")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        try (PostfixInstance c = client; PostfixInstance b = backend; Dnsmasq d = dns) {
            if (gateway != null) {
                gateway.close();
            }
        }
    }

    private static void submit(String to, String subject) {
        Swaks.Transcript submitted = Swaks.to(client.port(), "--from", "sender@client.test", "--to", to,
                "--header", "Subject: " + subject);
        assertThat(submitted.exitCode()).as(submitted.toString()).isZero();
    }

    @Test
    void postfixRelaysThroughGatehouseOverStartTlsWithPipelining() throws Exception {
        submit("alice@example.test", "from Postfix through Gatehouse");

        String sent = client.awaitLog("to=<alice@example\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1]:" + gateway.port()
                + ".*status=sent \\(250 2\\.0\\.0 Ok: queued as ", Duration.ofSeconds(20));
        assertThat(sent).isNotEmpty();
        assertThat(client.logLines("(Anonymous|Untrusted) TLS connection established to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1]:"
                + gateway.port() + ": TLSv1\\.[23]")).isNotEmpty();
        assertThat(client.logLines("Using ESMTP PIPELINING")).isNotEmpty();

        String delivered = new String(backend.awaitMessages("alice@example.test", 1, Duration.ofSeconds(20)).getLast(),
                StandardCharsets.UTF_8);
        assertThat(delivered).contains("Subject: from Postfix through Gatehouse")
                .containsPattern("Received: from client\\.test \\(\\[127\\.0\\.0\\.1]\\)\n\tby gw\\.test \\(Gatehouse\\) with ESMTPS");
    }

    @Test
    void postfixBouncesWhatGatehouseRefusesAtRcpt() throws Exception {
        submit("nobody@example.test", "to nobody");

        String bounced = client.awaitLog("to=<nobody@example\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1]:" + gateway.port()
                + ".*status=bounced \\(host 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1] said: 550 5\\.1\\.1 ", Duration.ofSeconds(20));
        assertThat(bounced).contains("(in reply to RCPT TO command)").doesNotContain("virtual mailbox table");
        client.awaitLog("sender non-delivery notification", Duration.ofSeconds(10));

        // Postfix's DSN (RFC 3464) reaches its sender, with the gateway's status code
        String dsn = new String(client.awaitMessages("sender@client.test", 1, Duration.ofSeconds(20)).getLast(),
                StandardCharsets.UTF_8);
        assertThat(dsn).contains("report-type=delivery-status").contains("Final-Recipient: rfc822; nobody@example.test")
                .contains("Status: 5.1.1").contains("Diagnostic-Code: smtp; 550 5.1.1");
        assertThat(backend.messages("nobody@example.test")).isEmpty();
    }

    @Test
    void gatehouseRelaysOutboundForTheTrustedPostfixToTheMxDnsmasqNames() throws Exception {
        submit("carol@world.test", "outbound through Gatehouse");

        client.awaitLog("to=<carol@world\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1]:" + gateway.port() + ".*status=sent",
                Duration.ofSeconds(20));
        String delivered = new String(backend.awaitMessages("carol@world.test", 1, Duration.ofSeconds(20)).getLast(),
                StandardCharsets.UTF_8);
        assertThat(delivered).contains("Subject: outbound through Gatehouse")
                .containsPattern("Received: from client\\.test \\(\\[127\\.0\\.0\\.2]\\)\n\tby gw\\.test \\(Gatehouse\\)");
        gateway.awaitLog("postfix/smtp\\[\\d+]: \\w+: to=<carol@world\\.test>, .*status=sent ", Duration.ofSeconds(10));
        assertThat(dns.log()).anyMatch(line -> line.contains("query[MX] world.test"));
        // the back-end, as world.test's MX, was reached by the gateway itself
        assertThat(backend.logLines("to=<carol@world\\.test>, relay=virtual.*status=sent")).hasSize(1);
        assertThat(backend.logLines("helo=<gw\\.test>|client=localhost\\[127\\.0\\.0\\.1]")).isNotEmpty();
    }
}
