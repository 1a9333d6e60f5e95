package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.gatehouse.log.LogEntry;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.store.LogQuery;

import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §9 over SMTP against real back-ends: observe mode ({@code enforce: false}), the roll-out
 * reply ({@code unknown_recipient_reply: 450}) and the outage policy ({@code when_backend_down}),
 * each as the decision table of docs/BEHAVIOUR.md says.
 */
class VerificationRolloutIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

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

    private TestGateway validList(String... settings) {
        TestGateway built = TestGateway.in(directory)
                .domain("{ name: example.test, backend: [\"" + backend.hostPort() + "\"], valid_recipients: [alice@example.test] }")
                .policy("recipient_verification: valid_list");
        for (String setting : settings) {
            built.policy(setting);
        }
        return built;
    }

    private String rcpt(String recipient) throws Exception {
        return gateway.rcpt(recipient);
    }

    private List<LogEntry> logged(String verdict) {
        assertThat(gateway.gateway().messageLog().flush(WAIT)).isTrue();
        return gateway.gateway().messageLog().search(LogQuery.newest(100).verdict(verdict));
    }

    // --- observe mode

    @Test
    void observeModeAcceptsAnUnknownRecipientAndLogsAndCountsItAsWouldReject() throws Exception {
        gateway = validList("enforce: false").start();

        assertThat(rcpt("nobody@example.test")).isEqualTo("250 2.1.5");
        assertThat(rcpt("alice@example.test")).isEqualTo("250 2.1.5");

        List<LogEntry> wouldReject = logged("would_reject");
        assertThat(wouldReject).singleElement().satisfies(logged -> {
            assertThat(logged.recipient()).isEqualTo("<nobody@example.test>");
            assertThat(logged.reason()).isEqualTo("not_in_valid_list");
            assertThat(logged.reply()).startsWith("250 2.1.5");
        });
        assertThat(logged("reject")).isEmpty();   // exactly: a search for reject does not find would_reject
        assertThat(gateway.gateway().metrics().scrape())
                .contains("gatehouse_rcpt_verdicts_total{reason=\"not_in_valid_list\",verdict=\"would_reject\"} 1.0")
                .contains("gatehouse_rcpt_verdicts_total{reason=\"valid_list\",verdict=\"accept\"} 1.0");
    }

    @Test
    void observeModeQueuesTheMessageForTheUnknownRecipient() throws Exception {
        backend.acceptAll();   // the valid list is out of date: the back-end knows nobody@
        gateway = validList("enforce: false").start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<sender@elsewhere.test>");
            assertThat(client.command("RCPT TO:<nobody@example.test>").code()).isEqualTo(250);
            assertThat(client.command("DATA").code()).isEqualTo(354);
            client.send("Subject: hello\r\n\r\nbody\r\n.\r\n");
            assertThat(client.read().toString()).startsWith("250 2.0.0 Ok: queued as ");
        }
        assertThat(backend.takeTransaction(WAIT).recipients()).containsExactly("nobody@example.test");
    }

    @Test
    void observeModeNeverRelaxesRelayControl() throws Exception {
        gateway = validList("enforce: false").start();
        assertThat(rcpt("someone@elsewhere.test")).isEqualTo("554 5.7.1");
        assertThat(rcpt("nobody%elsewhere.test@example.test")).isEqualTo("554 5.7.1");
    }

    @Test
    void observeModeAcceptsWhatVerificationCannotAnswerNow() throws Exception {
        backend.stop();
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout").policy("enforce: false").callout("timeout: 1500ms").start();

        assertThat(rcpt("carol@example.test")).isEqualTo("250 2.1.5");
        assertThat(logged("would_reject")).singleElement()
                .satisfies(logged -> assertThat(logged.reason()).isEqualTo("callout_tempfail"));
    }

    @Test
    void observeModeDoesNotFeedTheHarvestGuard() throws Exception {
        gateway = validList("enforce: false", "harvest: { tarpit_after: 1, tarpit_delay: 0s, block_after: 2 }").start();
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<sender@elsewhere.test>");
            for (int i = 0; i < 5; i++) {
                assertThat(client.command("RCPT TO:<nobody" + i + "@example.test>").code()).isEqualTo(250);
            }
        }
    }

    @Test
    void aDomainMayEnforceWhileTheGlobalSettingObserves() throws Exception {
        gateway = TestGateway.in(directory)
                .domain("{ name: example.test, backend: [\"" + backend.hostPort() + "\"], valid_recipients: [alice@example.test], enforce: true }")
                .domain("{ name: other.test, backend: [\"" + backend.hostPort() + "\"], valid_recipients: [alice@other.test] }")
                .policy("recipient_verification: valid_list").policy("enforce: false").start();

        assertThat(rcpt("nobody@example.test")).isEqualTo("550 5.1.1");
        assertThat(rcpt("nobody@other.test")).isEqualTo("250 2.1.5");
    }

    // --- unknown_recipient_reply

    @Test
    void unknownRecipientReply450RefusesUnknownRecipientsForNow() throws Exception {
        gateway = validList("unknown_recipient_reply: 450").start();

        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<sender@elsewhere.test>");
            Reply reply = client.command("RCPT TO:<nobody@example.test>");
            assertThat(reply.code()).isEqualTo(450);
            assertThat(reply.enhanced()).isEqualTo("4.1.1");
            assertThat(reply.toString()).contains("User unknown");
        }
        assertThat(rcpt("alice@example.test")).isEqualTo("250 2.1.5");
        assertThat(logged("tempfail")).singleElement()
                .satisfies(logged -> assertThat(logged.reason()).isEqualTo("not_in_valid_list"));
    }

    @Test
    void unknownRecipientReply450AppliesToCalloutRefusalsAndADomainMayKeep550() throws Exception {
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                .domain("{ name: strict.test, backend: [\"" + backend.hostPort() + "\"], unknown_recipient_reply: 550 }")
                .policy("recipient_verification: callout").policy("unknown_recipient_reply: 450")
                .callout("timeout: 3s").start();

        assertThat(rcpt("carol@example.test")).isEqualTo("450 4.1.1");
        assertThat(rcpt("carol@strict.test")).isEqualTo("550 5.1.1");
    }

    // --- when_backend_down

    /**
     * A load of RCPTs (several sessions at once, known addresses and new ones) while the back-end
     * goes down in the middle of it. Under accept_known, an address verified before is accepted
     * throughout, its message queued; an address never verified gets 451 4.4.3 once the back-end
     * is gone; nothing gets a 5xx.
     */
    @Test
    void acceptKnownKeepsAcceptingVerifiedAddressesWhenTheBackendGoesDownDuringALoad() throws Exception {
        List<String> known = new ArrayList<>();
        List<String> fresh = new ArrayList<>();
        List<String> everyone = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            known.add("known" + i + "@example.test");
            fresh.add("new" + i + "@example.test");
        }
        everyone.addAll(known);
        everyone.addAll(fresh);
        backend.onlyAccept(everyone);
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout").policy("when_backend_down: accept_known")
                .policy("cache: { positive_refresh: 1s, positive_ttl: 1h, tempfail_hold: 1s }")
                .callout("timeout: 2s").start();
        for (String address : known) {
            assertThat(rcpt(address)).isEqualTo("250 2.1.5");
        }
        Thread.sleep(1_100);   // every known address is now past its refresh age: refreshed at its next use

        Map<String, List<String>> replies = new ConcurrentHashMap<>();
        ExecutorService load = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> sessions = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                int session = s;
                sessions.add(load.submit(() -> {
                    for (int round = 0; round < 3; round++) {
                        try (SmtpTestClient client = gateway.client()) {
                            client.command("MAIL FROM:<sender@elsewhere.test>");
                            int accepted = 0;
                            for (int i = session; i < everyone.size(); i += 4) {
                                String address = everyone.get(i);
                                Reply reply = client.command("RCPT TO:<" + address + ">");
                                String codes = reply.code() + " " + reply.enhanced();
                                replies.computeIfAbsent(address, a -> java.util.Collections.synchronizedList(
                                        new ArrayList<>())).add(codes);
                                if (reply.code() == 250) {
                                    accepted++;
                                }
                            }
                            if (accepted > 0) {
                                assertThat(client.command("DATA").code()).isEqualTo(354);
                                client.send("Subject: load\r\n\r\nbody\r\n.\r\n");
                                assertThat(client.read().code()).isEqualTo(250);
                            }
                        }
                    }
                    return null;
                }));
                if (s == 1) {
                    // the back-end goes down while the first sessions are under way
                    Thread.sleep(50);
                    backend.stop();
                }
            }
            for (Future<?> session : sessions) {
                session.get();
            }
        } finally {
            load.shutdownNow();
        }

        for (String address : known) {
            assertThat(replies.get(address)).as(address).isNotEmpty().allMatch("250 2.1.5"::equals);
        }
        for (String address : fresh) {
            List<String> answers = replies.get(address);   // in order: one session asks for each address
            assertThat(answers).as(address).isNotEmpty()
                    .allMatch(codes -> codes.equals("250 2.1.5") || codes.equals("451 4.4.3"));
            if (answers.contains("451 4.4.3")) {
                // not verified before the outage: never accepted during it
                assertThat(answers.subList(answers.indexOf("451 4.4.3"), answers.size())).as(address)
                        .containsOnly("451 4.4.3");
            }
        }
        assertThat(fresh.stream().flatMap(a -> replies.get(a).stream())).contains("451 4.4.3");
        assertThat(gateway.gateway().callout().isBackendDown("example.test")).isTrue();

        // the messages accepted during the outage are queued and delivered once the back-end is back
        backend.restart();
        assertThat(backend.takeTransaction(Duration.ofSeconds(30)).recipients()).isNotEmpty();
    }

    @Test
    void deferRefusesAStaleKnownAddressForNowOnceTheBackendIsKnownToBeDown() throws Exception {
        backend.onlyAccept("alice@example.test", "carol@example.test");
        gateway = TestGateway.in(directory).protect("example.test", backend.hostPort())
                .policy("recipient_verification: callout")
                .policy("cache: { positive_refresh: 1s, positive_ttl: 1h, tempfail_hold: 1s }")
                .callout("timeout: 2s").start();
        assertThat(rcpt("alice@example.test")).isEqualTo("250 2.1.5");   // fresh: answered from the cache below
        assertThat(rcpt("carol@example.test")).isEqualTo("250 2.1.5");
        backend.stop();

        assertThat(rcpt("alice@example.test")).isEqualTo("250 2.1.5");   // fresh entry: no probe, no outage seen
        assertThat(rcpt("dave@example.test")).isEqualTo("451 4.4.3");    // never verified; the probe finds the outage
        Thread.sleep(1_100);
        assertThat(rcpt("carol@example.test")).isEqualTo("451 4.4.3");   // past its refresh age, back-end down: defer

        backend.restart();
        Thread.sleep(1_100);   // dave's and carol's hold-downs over
        // the first answer from the back-end ends the outage; carol's refresh confirms her
        assertThat(rcpt("dave@example.test")).isEqualTo("550 5.1.1");
        assertThat(rcpt("carol@example.test")).isEqualTo("250 2.1.5");
    }
}
