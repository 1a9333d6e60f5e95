package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, points 4 and 8, over SMTP against a real gateway and a real back-end: back-ends that
 * push back (greylisting, tarpitting, {@code 421} in the middle of a probe session) cost the client
 * a {@code 451 4.4.3} and never a 5xx; and a harvest does not reach the back-end once the harvest
 * guard tarpits the client.
 */
class BackendPushbackIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

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

    /** Callout verification, a short hold-down so that the test sees the retry, and a harvest guard out of the way. */
    private TestGateway callout() {
        return TestGateway.in(directory).protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout")
                .policy("cache: { tempfail_hold: 1s }")
                .callout("timeout: 2s");
    }

    private String rcpt(String recipient) throws IOException {
        return gateway.rcpt(recipient);
    }

    private long probesFor(String address) {
        return backend.commands().stream().filter(c -> c.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }

    private long probesStartingWith(String prefix) {
        return backend.commands().stream().filter(c -> c.toLowerCase(Locale.ROOT).startsWith("rcpt to:<" + prefix)).count();
    }

    private static String codes(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }

    // --- back-ends that push back

    @Test
    void aGreylistingBackendDefersTheClientAndTheAddressIsProbedAgainAfterTheHoldDown() throws Exception {
        backend.greylist();
        gateway = callout().start();

        assertThat(rcpt("alice@example.test")).isEqualTo("451 4.4.3");
        assertThat(rcpt("alice@example.test")).isEqualTo("451 4.4.3");   // held down: not probed again yet
        assertThat(probesFor("alice@example.test")).isEqualTo(1);

        await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> rcpt("alice@example.test").equals("250 2.1.5"));
        assertThat(probesFor("alice@example.test")).isEqualTo(2);
        assertThat(rcpt("alice@example.test")).isEqualTo("250 2.1.5");   // now from the cache
        assertThat(probesFor("alice@example.test")).isEqualTo(2);
    }

    @Test
    void aTarpittingBackendSlowerThanTheBudgetCostsTheClientA451NeverA5xx() throws Exception {
        backend.tarpit(Duration.ofSeconds(60));
        gateway = callout().start();

        assertThat(rcpt("carol@example.test")).isEqualTo("451 4.4.3");
        assertThat(rcpt("alice@example.test")).isEqualTo("250 2.1.5");   // the probe connection is not held for carol
    }

    @Test
    void aTarpittingBackendWithinTheBudgetGivesItsAnswer() throws Exception {
        backend.tarpit(Duration.ofMillis(300));
        gateway = callout().start();

        assertThat(rcpt("carol@example.test")).isEqualTo("550 5.1.1");
    }

    @Test
    void aBackendThatSays421InTheMiddleOfAProbeDefersTheAddressAndTheNextProbeWorks() throws Exception {
        backend.closeWith421At("MAIL");
        gateway = callout().start();

        assertThat(rcpt("alice@example.test")).isEqualTo("451 4.4.3");

        backend.acceptAll().onlyAccept("alice@example.test");
        int connections = backend.connections();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> rcpt("alice@example.test").equals("250 2.1.5"));
        assertThat(backend.connections()).isGreaterThan(connections);
    }

    // --- the harvest guard spares the back-end

    @Test
    void aHarvestReachesTheBackendOnlyUntilTheClientIsTarpitted() throws Exception {
        int tarpitAfter = 5;
        gateway = callout()
                .policy("harvest: { window: 10m, tarpit_after: " + tarpitAfter + ", tarpit_delay: 10ms, block_after: 100,"
                        + " block_for: 10m }")
                .start();
        // Another client's mail leaves a known address and a known unknown one in the cache.
        try (SmtpTestClient other = SmtpTestClient.connectFrom("127.0.0.2", gateway.port())) {
            other.command("EHLO other.test");
            other.command("MAIL FROM:<someone@elsewhere.test>");
            assertThat(codes(other.command("RCPT TO:<alice@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(codes(other.command("RCPT TO:<zed@example.test>"))).isEqualTo("550 5.1.1");
        }

        int harvested = 30;
        try (SmtpTestClient harvester = gateway.client()) {
            harvester.command("MAIL FROM:<harvester@elsewhere.test>");
            for (int i = 0; i < harvested; i++) {
                String reply = codes(harvester.command("RCPT TO:<harvest-" + i + "@example.test>"));
                // The first tarpit_after + 1 are probed (the last of them puts the client in the tarpit), the rest deferred.
                assertThat(reply).as("RCPT %d", i).isEqualTo(i <= tarpitAfter ? "550 5.1.1" : "451 4.4.3");
            }
            // What the cache knows is still answered, both ways; an address it does not know is not probed.
            assertThat(codes(harvester.command("RCPT TO:<alice@example.test>"))).isEqualTo("250 2.1.5");
            assertThat(codes(harvester.command("RCPT TO:<zed@example.test>"))).isEqualTo("550 5.1.1");
            assertThat(codes(harvester.command("RCPT TO:<bob@example.test>"))).isEqualTo("451 4.4.3");
        }

        assertThat(probesStartingWith("harvest-")).isEqualTo(tarpitAfter + 1);
        assertThat(probesFor("alice@example.test")).isEqualTo(1);
        assertThat(probesFor("zed@example.test")).isEqualTo(1);
        assertThat(probesFor("bob@example.test")).isZero();

        // A client the guard does not tarpit is verified as usual.
        try (SmtpTestClient other = SmtpTestClient.connectFrom("127.0.0.2", gateway.port())) {
            other.command("EHLO other.test");
            other.command("MAIL FROM:<someone@elsewhere.test>");
            assertThat(codes(other.command("RCPT TO:<bob@example.test>"))).isEqualTo("250 2.1.5");
        }
        assertThat(probesFor("bob@example.test")).isEqualTo(1);
    }

    /** The deferrals count toward the block like unknown recipients: the harvest still ends in one. */
    @Test
    void harvestDeferralsCountTowardTheBlock() throws Exception {
        gateway = callout()
                .policy("harvest: { window: 10m, tarpit_after: 2, tarpit_delay: 10ms, block_after: 6, block_for: 10m }")
                .start();

        try (SmtpTestClient harvester = gateway.client()) {
            harvester.command("MAIL FROM:<harvester@elsewhere.test>");
            assertThat(codes(harvester.command("RCPT TO:<h1@example.test>"))).isEqualTo("550 5.1.1");
            assertThat(codes(harvester.command("RCPT TO:<h2@example.test>"))).isEqualTo("550 5.1.1");
            assertThat(codes(harvester.command("RCPT TO:<h3@example.test>"))).isEqualTo("550 5.1.1");   // tarpitted
            assertThat(codes(harvester.command("RCPT TO:<h4@example.test>"))).isEqualTo("451 4.4.3");
            assertThat(codes(harvester.command("RCPT TO:<h5@example.test>"))).isEqualTo("451 4.4.3");
            assertThat(codes(harvester.command("RCPT TO:<h6@example.test>"))).isEqualTo("421 4.7.0");
            assertThat(harvester.isClosedByServer()).isTrue();
        }
        assertThat(probesStartingWith("h")).isEqualTo(3);
    }
}
