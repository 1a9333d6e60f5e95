package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestDns;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §3's RCPT table for protected domains, row by row, over SMTP against a real back-end: the
 * callout rows, valid lists, and who is never verified.
 */
class RecipientVerificationIT {

    @TempDir
    Path directory;

    private final TestBackend backend = TestBackend.start().onlyAccept("alice@example.test", "bob@example.test");
    private TestGateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    private TestGateway callout() throws Exception {
        return TestGateway.in(directory).protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout")
                .callout("timeout: 1500ms");
    }

    private Reply rcpt(String recipient) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<sender@elsewhere.test>");
            return client.command("RCPT TO:<" + recipient + ">");
        }
    }

    private static String codes(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }

    private long probesFor(String address) {
        return backend.commands().stream().filter(c -> c.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }

    @Test
    void acceptsAnAddressTheBackendAccepts() throws Exception {
        gateway = callout().start();
        assertThat(codes(rcpt("alice@example.test"))).isEqualTo("250 2.1.5");
        assertThat(backend.commands()).doesNotContain("DATA");
    }

    @Test
    void rejectsAnAddressTheBackendRejectsWithoutRevealingItsReply() throws Exception {
        backend.replyToRecipient("carol@example.test", "550 5.1.1 carol unknown at mail1.secret.internal");
        gateway = callout().start();
        Reply reply = rcpt("carol@example.test");
        assertThat(codes(reply)).isEqualTo("550 5.1.1");
        assertThat(reply.toString()).doesNotContain("secret").doesNotContain(String.valueOf(backend.port()));
    }

    @Test
    void tempFailsWhenTheBackendAnswers4xx() throws Exception {
        backend.tempFailRecipient("dave@example.test");
        gateway = callout().start();
        assertThat(codes(rcpt("dave@example.test"))).isEqualTo("451 4.4.3");
    }

    @Test
    void tempFailsWhenTheBackendIsDown() throws Exception {
        backend.stop();
        gateway = callout().start();
        assertThat(codes(rcpt("alice@example.test"))).isEqualTo("451 4.4.3");
    }

    @Test
    void tempFailsWhenTheBackendIsSlowerThanTheBudget() throws Exception {
        backend.delay(Duration.ofSeconds(3));
        gateway = callout().start();
        assertThat(codes(rcpt("alice@example.test"))).isEqualTo("451 4.4.3");
    }

    @Test
    void findsABackendNamedByHostNameThroughTheConfiguredDns() throws Exception {
        try (TestDns dns = TestDns.start()) {
            // a name the system resolver does not know: only the configured server does
            dns.a("mail.example.test", "127.0.0.1");
            gateway = TestGateway.in(directory)
                    .domain("{ name: example.test, backend: [\"mail.example.test:" + backend.port() + "\"] }")
                    .policy("recipient_verification: callout").callout("timeout: 1500ms")
                    .dns(dns).start();

            assertThat(codes(rcpt("alice@example.test"))).isEqualTo("250 2.1.5");
            assertThat(codes(rcpt("nobody@example.test"))).isEqualTo("550 5.1.1");
            assertThat(dns.queryCount("mail.example.test")).isPositive();
        }
    }

    @Test
    void tempFailsWithinTheBudgetWhenTheDnsAnswersTheBackendsNameSlowly() throws Exception {
        try (TestDns dns = TestDns.start()) {
            // answered after 30 s, far past the 1.5 s budget and the 5 s DNS timeout
            dns.a("mail.example.test", "127.0.0.1").slow("mail.example.test", Duration.ofSeconds(30));
            gateway = TestGateway.in(directory)
                    .domain("{ name: example.test, backend: [\"mail.example.test:" + backend.port() + "\"] }")
                    .policy("recipient_verification: callout").callout("timeout: 1500ms")
                    .dns(dns, Duration.ofSeconds(5)).start();

            long started = System.nanoTime();
            Reply reply = rcpt("alice@example.test");

            assertThat(codes(reply)).isEqualTo("451 4.4.3");
            // a guard against waiting for the DNS, not a measure of speed: the budget is 1.5 s
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(dns.queryCount("mail.example.test")).isPositive();
            assertThat(backend.commands()).isEmpty();
        }
    }

    @Test
    void answersFromTheCacheTheSecondTime() throws Exception {
        gateway = callout().start();
        assertThat(codes(rcpt("alice@example.test"))).isEqualTo("250 2.1.5");
        assertThat(codes(rcpt("Alice@Example.TEST"))).isEqualTo("250 2.1.5");
        assertThat(probesFor("alice@example.test")).isEqualTo(1);
    }

    @Test
    void concurrentRecipientsForOneNewAddressShareOneProbe() throws Exception {
        backend.delay(Duration.ofMillis(300));
        gateway = callout().callout("timeout: 10s").start();
        List<Callable<String>> sessions = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sessions.add(() -> codes(rcpt("bob@example.test")));
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<String> result : pool.invokeAll(sessions)) {
                assertThat(result.get()).isEqualTo("250 2.1.5");
            }
        }
        assertThat(probesFor("bob@example.test")).isEqualTo(1);
    }

    @Test
    void trustedClientsAndPostmasterAreNeverVerified() throws Exception {
        gateway = callout().trust("127.0.0.0/8").start();
        assertThat(codes(rcpt("nobody@example.test"))).isEqualTo("250 2.1.5");
        gateway.close();
        gateway = callout().start();
        assertThat(codes(rcpt("postmaster@example.test"))).isEqualTo("250 2.1.5");
        assertThat(codes(rcpt("postmaster"))).isEqualTo("250 2.1.5");
        assertThat(probesFor("nobody@example.test") + probesFor("postmaster@example.test")).isZero();
    }

    @Test
    void aDomainsOwnModeOverridesTheGlobalSetting() throws Exception {
        gateway = TestGateway.in(directory)
                .domain("{ name: example.test, backend: [\"" + backend.hostPort() + "\"], verification: none }")
                .domain("{ name: listed.test, backend: [\"" + backend.hostPort() + "\"], verification: valid_list,"
                        + " valid_recipients: [\"alice@listed.test\"] }")
                .policy("recipient_verification: callout").start();
        assertThat(codes(rcpt("nobody@example.test"))).isEqualTo("250 2.1.5");
        assertThat(codes(rcpt("alice@listed.test"))).isEqualTo("250 2.1.5");
        assertThat(codes(rcpt("nobody@listed.test"))).isEqualTo("550 5.1.1");
        assertThat(backend.commands()).noneMatch(c -> c.startsWith("RCPT"));
    }

    @Test
    void acceptsButFlagsABackendThatAcceptsEverything() throws Exception {
        backend.acceptAll();
        gateway = callout().start();
        assertThat(codes(rcpt("anyone@example.test"))).isEqualTo("250 2.1.5");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.gateway().catchAllDomains().contains("example.test"));
        assertThat(codes(rcpt("someone-else@example.test"))).isEqualTo("250 2.1.5");
        assertThat(backend.commands()).anyMatch(c -> c.matches("RCPT TO:<gatehouse-catchall-check-[0-9a-f]{16}@example.test>"));
    }

    @Test
    void deliversWhatWasVerified() throws Exception {
        gateway = callout().start();
        try (SmtpTestClient client = gateway.client()) {
            Reply reply = client.sendMail("sender@elsewhere.test", List.of("alice@example.test", "nobody@example.test"),
                    "Subject: verified\r\n\r\nhello\r\n");
            assertThat(reply.code()).isEqualTo(250);
        }
        assertThat(backend.takeTransaction(Duration.ofSeconds(10)).recipients()).containsExactly("alice@example.test");
    }
}
