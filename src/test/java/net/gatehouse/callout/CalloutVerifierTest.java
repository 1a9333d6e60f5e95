package net.gatehouse.callout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.callout.CalloutResult.TemporaryFailure;
import net.gatehouse.callout.CalloutResult.Unverifiable;
import net.gatehouse.config.CalloutConfig;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestClock;
import net.gatehouse.testing.TestDns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CalloutVerifierTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration BUDGET = Duration.ofSeconds(5);
    private static final Duration CATCH_ALL_RECHECK = Duration.ofHours(6);
    private static final Duration DNS_TIMEOUT = Duration.ofSeconds(2);
    private static final CalloutConfig CONFIG = config("", BUDGET);
    private static final VerificationCacheConfig CACHE = new VerificationCacheConfig(Duration.ofDays(7),
            Duration.ofHours(1), Duration.ofMinutes(30), Duration.ofMinutes(5), Duration.ofSeconds(30), 10_000);
    private static final String DOMAIN = "example.test";
    private static final MailboxAddress ALICE = MailboxAddress.of("alice", DOMAIN);
    private static final MailboxAddress BOB = MailboxAddress.of("bob", DOMAIN);
    private static final Pattern CATCH_ALL_PROBE =
            Pattern.compile("RCPT TO:<gatehouse-catchall-check-[0-9a-f]{16}@example\\.test>");

    private final TestClock clock = new TestClock();
    private final TestDns dns = TestDns.start();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<TestBackend> backends = new ArrayList<>();
    private final TestBackend backend = backend().onlyAccept("alice@example.test");
    private CalloutVerifier verifier;
    private LocalVerdictCache cache;

    @AfterEach
    void stop() {
        if (verifier != null) {
            verifier.close();
        }
        backends.forEach(TestBackend::close);
        dns.close();
    }

    // --- the back-end's answer

    @Test
    void acceptsAnExistingMailbox() {
        CalloutResult result = verifier(CONFIG).verify(domain(backend), ALICE);

        assertThat(result).isInstanceOf(Accepted.class);
        assertThat(result.how()).startsWith("probe to backend 1 of 1 (" + backend.hostPort() + ")");
    }

    @Test
    void rejectsAnUnknownMailboxWithTheBackendsReply() {
        CalloutResult result = verifier(CONFIG).verify(domain(backend), BOB);

        assertThat(result).isInstanceOfSatisfying(Rejected.class, rejected -> {
            assertThat(rejected.backendReply().code()).isEqualTo(550);
            assertThat(rejected.backendReply().enhanced()).isEqualTo("5.1.1");
        });
    }

    @Test
    void tempFailsWhenTheBackendAnswers4xx() {
        backend.tempFailRecipient("alice@example.test");

        CalloutResult result = verifier(CONFIG).verify(domain(backend), ALICE);

        assertThat(result).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).contains(backend.hostPort()).contains("450 4.2.0"));
    }

    @Test
    void tempFailsTheFirstProbeOfAGreylistingBackendAndAcceptsAfterTheHold() {
        backend.greylist();
        verifier(CONFIG);

        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOf(TemporaryFailure.class);
        clock.advance(CACHE.tempfailHold());
        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOf(Accepted.class);
    }

    @Test
    void aGreylistingAnswerIsNeverCachedAsUnknownAndTheAddressIsProbedAgainAfterTheHold() {
        backend.greylist().replyToRecipient("bob@example.test", "451 4.7.1 Greylisted, see later");
        verifier(CONFIG);

        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).contains("450 4.2.0"));
        assertThat(verifier.verify(domain(backend), BOB)).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).contains("451 4.7.1"));
        assertThat(cache.get("alice@example.test")).isEmpty();
        assertThat(cache.get("bob@example.test")).isEmpty();

        clock.advance(CACHE.tempfailHold().minusSeconds(1));
        assertThat(verifier.verify(domain(backend), ALICE).how()).startsWith("held down after a temporary failure");
        assertThat(rcptsFor("alice@example.test")).isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOf(Accepted.class);
        assertThat(rcptsFor("alice@example.test")).isEqualTo(2);
        assertThat(cache.get("alice@example.test")).hasValueSatisfying(
                entry -> assertThat(entry.verdict()).isInstanceOf(Accepted.class));
    }

    // --- back-ends that push back: tarpits and 421s

    @Test
    void aTarpittingBackendGetsATemporaryFailureWithinTheBudgetAndItsConnectionIsClosed() {
        backend.onlyAccept("alice@example.test", "dave@example.test");
        verifier(config("", Duration.ofSeconds(2)));
        verifier.verify(domain(backend), ALICE);
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        double open = poolConnections();
        backend.tarpit(Duration.ofSeconds(60));   // Exchange Edge: every refusal comes late

        long started = System.nanoTime();
        CalloutResult result = verifier.verify(domain(backend), BOB);

        assertThat(result).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).containsAnyOf("over budget", "timeout waiting for"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WAIT);
        // The probe gives up at its deadline, not at the back-end's 60 s, and the connection that waited is closed.
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        assertThat(poolConnections()).isEqualTo(open - 1);
        assertThat(cache.get("bob@example.test")).isEmpty();
        assertThat(verifier.verify(domain(backend), MailboxAddress.of("dave", DOMAIN))).isInstanceOf(Accepted.class);
    }

    @Test
    void otherAddressesAreNotQueuedBehindATarpittedProbe() throws Exception {
        backend.onlyAccept("alice@example.test", "dave@example.test");
        verifier(config("", Duration.ofSeconds(4)));
        verifier.verify(domain(backend), ALICE);
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        backend.tarpit(Duration.ofSeconds(60));

        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<CalloutResult> tarpitted = threads.submit(() -> verifier.verify(domain(backend), BOB));
            await().atMost(WAIT).until(() -> rcptsFor("bob@example.test") == 1);

            CalloutResult other = verifier.verify(domain(backend), MailboxAddress.of("dave", DOMAIN));

            assertThat(other).isInstanceOf(Accepted.class);
            assertThat(tarpitted.isDone()).isFalse();   // answered while bob's probe still waited for its reply
            assertThat(tarpitted.get()).isInstanceOf(TemporaryFailure.class);
        }
    }

    @Test
    void aTarpitShorterThanTheBudgetGivesTheBackendsAnswer() {
        backend.tarpit(Duration.ofMillis(500));
        verifier(CONFIG);

        assertThat(verifier.verify(domain(backend), BOB)).isInstanceOf(Rejected.class);
    }

    @Test
    void a421AfterMailIsATemporaryFailureAndTheNextProbeWorksOnANewConnection() {
        backend.closeWith421At("MAIL");
        verifier(CONFIG);

        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).contains("421 4.3.2"));
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        assertThat(poolConnections()).isZero();
        assertThat(cache.get("alice@example.test")).isEmpty();

        backend.acceptAll().onlyAccept("alice@example.test");
        int connections = backend.connections();
        clock.advance(CACHE.tempfailHold());
        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOf(Accepted.class);
        assertThat(backend.connections()).isGreaterThan(connections);
    }

    @Test
    void a421AtTheSecondRcptOfAReusedConnectionIsRetriedOnceOnANewOne() {
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        // Every idle connection has carried one RCPT by now: the next probe's is a second one.
        backend.closeWith421Once("RCPT", 2);
        int connections = backend.connections();

        CalloutResult result = verifier.verify(domain(backend), BOB);

        assertThat(result).isInstanceOf(Rejected.class);   // the back-end's own answer, from a new session
        assertThat(backend.connections()).as("%s", backend.commands()).isEqualTo(connections + 1);
        assertThat(backend.commands()).filteredOn(command -> command.equalsIgnoreCase("RCPT TO:<bob@example.test>"))
                .hasSize(2);
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        assertThat(verifier.verify(domain(backend), MailboxAddress.of("carol", DOMAIN))).isInstanceOf(Rejected.class);
    }

    // --- a caller that may not probe (a client in the harvest tarpit)

    @Test
    void aCallerThatMayNotProbeGetsOnlyWhatIsKnown() {
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);
        verifier.verify(domain(backend), BOB);
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        long rcpts = backend.commands().stream().filter(command -> command.startsWith("RCPT")).count();

        assertThat(verifier.verify(domain(backend), ALICE, () -> false)).hasValueSatisfying(
                result -> assertThat(result).isInstanceOf(Accepted.class));
        assertThat(verifier.verify(domain(backend), BOB, () -> false)).hasValueSatisfying(
                result -> assertThat(result).isInstanceOf(Rejected.class));
        assertThat(verifier.verify(domain(backend), MailboxAddress.of("carol", DOMAIN), () -> false)).isEmpty();
        clock.advance(CACHE.positiveRefresh().multipliedBy(2));   // stale: not refreshed for this caller
        assertThat(verifier.verify(domain(backend), ALICE, () -> false)).hasValueSatisfying(
                result -> assertThat(result.how()).isEqualTo("cache hit (age 2 h)"));

        await().atMost(WAIT).until(() -> !verifier.isBusy());
        assertThat(backend.commands().stream().filter(command -> command.startsWith("RCPT")).count()).isEqualTo(rcpts);
        assertThat(cacheCount("not_probed")).isEqualTo(1);
    }

    @Test
    void tempFailsWhenTheBackendIsDown() {
        TestBackend down = backend();
        down.stop();

        CalloutResult result = verifier(CONFIG).verify(domain(down), ALICE);

        assertThat(result).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).contains("no back-end answered").contains(down.hostPort()));
    }

    @Test
    void tempFailsWithinTheBudgetWhenTheBackendIsSlow() {
        backend.delay(Duration.ofSeconds(30));
        verifier(config("", Duration.ofMillis(500)));

        long started = System.nanoTime();
        CalloutResult result = verifier.verify(domain(backend), ALICE);

        // The caller's budget and the probe's read deadline end together: either may speak first.
        assertThat(result).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).containsAnyOf("over budget", "timeout waiting for greeting"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WAIT);
    }

    // --- back-ends named by host name

    @Test
    void findsABackendNamedByHostNameThroughTheConfiguredDns() {
        dns.a("mail.example.test", "127.0.0.1");   // unknown to the system resolver

        CalloutResult result = verifier(CONFIG).verify(domain("mail.example.test", backend), ALICE);

        assertThat(result).isInstanceOf(Accepted.class);
        assertThat(result.how()).startsWith("probe to backend 1 of 1 (mail.example.test:" + backend.port() + ")");
        assertThat(dns.queryCount("mail.example.test")).isPositive();
    }

    @Test
    void usesABackendsIpAddressWithoutAQuery() {
        assertThat(verifier(CONFIG).verify(domain(backend), ALICE)).isInstanceOf(Accepted.class);

        assertThat(dns.queries()).isZero();
    }

    @Test
    void tempFailsWithinTheBudgetWhenTheDnsAnswersTheBackendsNameSlowly() {
        dns.a("mail.example.test", "127.0.0.1").slow("mail.example.test", Duration.ofSeconds(30));
        verifier(config("", Duration.ofMillis(500)));   // a budget well inside the DNS timeout

        long started = System.nanoTime();
        CalloutResult result = verifier.verify(domain("mail.example.test", backend), ALICE);

        // The caller's budget and the lookup's deadline end together: either may speak first.
        assertThat(result).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).contains("over budget"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(DNS_TIMEOUT);
        assertThat(backend.connections()).isZero();
    }

    @Test
    void tempFailsNamingTheBackendWhenItsNameCannotBeResolved() {
        dns.servfail("down.example.test");

        CalloutResult result = verifier(CONFIG).verify(domain("down.example.test", backend), ALICE);

        assertThat(result).isInstanceOfSatisfying(TemporaryFailure.class, failure -> assertThat(failure.reason())
                .contains("no back-end answered").contains("cannot resolve back-end down.example.test:" + backend.port()));
    }

    @Test
    void triesTheNextBackendWhenOnesNameHasNoAddress() {
        CalloutResult result = verifier(CONFIG).verify(
                new ProtectedDomain(DOMAIN, List.of(new ListenAddress("nowhere.example.test", 25),
                        new ListenAddress("127.0.0.1", backend.port())), Verification.CALLOUT, ValidRecipients.EMPTY),
                ALICE);

        assertThat(result).isInstanceOf(Accepted.class);
        assertThat(result.how()).startsWith("probe to backend 2 of 2");
    }

    @Test
    void failsOverToTheNextBackendWhenOneIsDown() {
        TestBackend down = backend();
        down.stop();

        CalloutResult result = verifier(CONFIG).verify(domain(down, backend), ALICE);

        assertThat(result).isInstanceOf(Accepted.class);
        assertThat(result.how()).startsWith("probe to backend 2 of 2");
    }

    @Test
    void probesWithTheConfiguredSenderWhenTheBackendRefusesTheNullSender() {
        backend.refuseNullSender();

        CalloutResult result = verifier(config("probe@gatehouse.test", BUDGET)).verify(domain(backend), ALICE);

        assertThat(result).isInstanceOf(Accepted.class);
        assertThat(backend.commands()).contains("MAIL FROM:<probe@gatehouse.test>").doesNotContain("MAIL FROM:<>");
    }

    @Test
    void aRefusedProbeSenderIsATemporaryFailureNeverARejection() {
        backend.refuseNullSender();

        CalloutResult result = verifier(CONFIG).verify(domain(backend), ALICE);

        assertThat(result).isInstanceOf(TemporaryFailure.class);
        assertThat(((TemporaryFailure) result).reason()).contains("MAIL FROM");
    }

    @Test
    void tempFailsWhenTheConnectionDropsAtRcptAndWorksAgainAfterwards() {
        backend.dropConnectionAt("RCPT");
        verifier(CONFIG);

        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).contains("connection closed"));

        backend.acceptAll().onlyAccept("alice@example.test");
        clock.advance(CACHE.tempfailHold());
        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOf(Accepted.class);
    }

    @Test
    void neverSendsData() {
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);
        verifier.verify(domain(backend), BOB);
        await().atMost(WAIT).until(() -> !verifier.isBusy());

        assertThat(backend.commands()).isNotEmpty().noneMatch(command -> command.equalsIgnoreCase("DATA"));
    }

    // --- cache, hold-down, single flight

    @Test
    void answersFromTheCacheWithoutProbingAgain() {
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);

        CalloutResult again = verifier.verify(domain(backend), MailboxAddress.of("Alice", "Example.TEST"));

        assertThat(again).isInstanceOf(Accepted.class);
        assertThat(again.how()).isEqualTo("cache hit (age 0 ms)");
        assertThat(rcptsFor("alice@example.test")).isEqualTo(1);
        assertThat(cacheCount("hit")).isEqualTo(1);
        assertThat(cacheCount("miss")).isEqualTo(1);
    }

    @Test
    void holdsFurtherProbesOffAfterATemporaryFailure() {
        backend.tempFailRecipient("alice@example.test");
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);

        clock.advance(Duration.ofSeconds(12));
        CalloutResult held = verifier.verify(domain(backend), ALICE);

        assertThat(held).isInstanceOfSatisfying(TemporaryFailure.class,
                failure -> assertThat(failure.reason()).contains("450 4.2.0"));
        assertThat(held.how()).isEqualTo("held down after a temporary failure 12 s ago");
        assertThat(rcptsFor("alice@example.test")).isEqualTo(1);
        assertThat(cacheCount("held_down")).isEqualTo(1);

        clock.advance(CACHE.tempfailHold());
        verifier.verify(domain(backend), ALICE);
        assertThat(rcptsFor("alice@example.test")).isEqualTo(2);
    }

    @Test
    void answersAStaleEntryAtOnceAndRefreshesItInTheBackground() {
        verifier(CONFIG);
        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOf(Accepted.class);
        backend.onlyAccept("carol@example.test");   // alice's mailbox is deleted

        clock.advance(CACHE.positiveRefresh().multipliedBy(2));
        CalloutResult stale = verifier.verify(domain(backend), ALICE);

        assertThat(stale).isInstanceOf(Accepted.class);
        assertThat(stale.how()).isEqualTo("cache hit (age 2 h), refreshing it in the background");
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        CalloutResult refreshed = verifier.verify(domain(backend), ALICE);
        assertThat(refreshed).isInstanceOf(Rejected.class);
        assertThat(refreshed.how()).isEqualTo("cache hit (age 0 ms)");
        assertThat(rcptsFor("alice@example.test")).isEqualTo(2);
    }

    @Test
    void aTemporaryFailureDuringARefreshKeepsTheGoodAnswer() {
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);
        backend.tempFailRecipient("alice@example.test");

        clock.advance(CACHE.positiveRefresh().multipliedBy(2));
        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOf(Accepted.class);
        await().atMost(WAIT).until(() -> !verifier.isBusy());

        CalloutResult kept = verifier.verify(domain(backend), ALICE);
        assertThat(kept).isInstanceOf(Accepted.class);
        // held down: not refreshed again yet; the back-end is down, and verify without an outage policy accepts the known address
        assertThat(kept.how()).isEqualTo("cache hit (age 2 h), back-end down since 0 ms ago: accepted as known "
                + "(when_backend_down: accept_known)");
        assertThat(rcptsFor("alice@example.test")).isEqualTo(2);
    }

    @Test
    void concurrentCallsForOneAddressShareOneProbe() throws Exception {
        backend.delay(Duration.ofMillis(200));
        verifier(CONFIG);
        CountDownLatch start = new CountDownLatch(1);
        List<Callable<CalloutResult>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(() -> {
                start.await();
                return verifier.verify(domain(backend), ALICE);
            });
        }

        List<CalloutResult> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<CalloutResult>> futures = calls.stream().map(threads::submit).toList();
            start.countDown();
            for (Future<CalloutResult> future : futures) {
                results.add(future.get());
            }
        }

        assertThat(results).allMatch(Accepted.class::isInstance);
        assertThat(results).filteredOn(result -> result.how().startsWith("shared a probe in flight")).isNotEmpty();
        assertThat(rcptsFor("alice@example.test")).isEqualTo(1);
    }

    @Test
    void reusesTheConnectionForSuccessiveProbes() {
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);
        await().atMost(WAIT).until(() -> !verifier.isBusy());
        int connections = backend.connections();

        for (String user : List.of("bob", "carol", "dave", "erin")) {
            verifier.verify(domain(backend), MailboxAddress.of(user, DOMAIN));
        }

        assertThat(backend.connections()).isEqualTo(connections);
        assertThat(backend.commands()).filteredOn(command -> command.startsWith("EHLO")).hasSize(connections);
        assertThat(meters.get("gatehouse.callout.pool.connections").gauge().value()).isEqualTo(connections);
    }

    // --- catch-all back-ends

    @Test
    void flagsABackendThatAcceptsAnyAddressAndStopsVerifyingAgainstIt() {
        backend.acceptAll();
        verifier(CONFIG);

        assertThat(verifier.verify(domain(backend), ALICE)).isInstanceOf(Accepted.class);   // not delayed by the check
        await().atMost(WAIT).until(() -> verifier.isCatchAll(DOMAIN));

        CalloutResult result = verifier.verify(domain(backend), BOB);
        assertThat(result).isInstanceOfSatisfying(Unverifiable.class,
                unverifiable -> assertThat(unverifiable.reason()).contains("accepts addresses that cannot exist"));
        assertThat(verifier.catchAllDomains()).containsExactly(DOMAIN);
        assertThat(meters.get("gatehouse.callout.catchall.domains").gauge().value()).isEqualTo(1);
        assertThat(backend.commands()).filteredOn(command -> CATCH_ALL_PROBE.matcher(command).matches()).hasSize(1);
        assertThat(rcptsFor("bob@example.test")).isZero();
    }

    @Test
    void clearsTheCatchAllFlagWhenARecheckSeesARejection() {
        backend.acceptAll();
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);
        await().atMost(WAIT).until(() -> verifier.isCatchAll(DOMAIN));

        backend.onlyAccept("alice@example.test");
        clock.advance(CATCH_ALL_RECHECK);
        verifier.verify(domain(backend), ALICE);
        await().atMost(WAIT).until(() -> !verifier.isCatchAll(DOMAIN));

        assertThat(verifier.catchAllDomains()).isEmpty();
        assertThat(verifier.verify(domain(backend), BOB)).isInstanceOf(Rejected.class);
        assertThat(backend.commands()).filteredOn(command -> CATCH_ALL_PROBE.matcher(command).matches())
                .hasSize(2).doesNotHaveDuplicates();
    }

    // --- metrics

    @Test
    void timesProbesByResult() {
        verifier(CONFIG);
        verifier.verify(domain(backend), ALICE);
        verifier.verify(domain(backend), BOB);

        assertThat(meters.get("gatehouse.callout.latency").tag("result", "accepted").timer().count()).isEqualTo(1);
        assertThat(meters.get("gatehouse.callout.latency").tag("result", "rejected").timer().count()).isEqualTo(1);
    }

    // --- fixtures

    private CalloutVerifier verifier(CalloutConfig config) {
        cache = new LocalVerdictCache(() -> CACHE, clock);
        verifier = new CalloutVerifier(config, "gatehouse.test", new MxResolver(dns.config(DNS_TIMEOUT)), () -> CACHE,
                cache, meters, clock);
        return verifier;
    }

    private static CalloutConfig config(String probeSender, Duration budget) {
        return new CalloutConfig(probeSender, budget, Duration.ofSeconds(1), 2, 100, Duration.ofSeconds(30), CATCH_ALL_RECHECK);
    }

    private TestBackend backend() {
        TestBackend started = TestBackend.start();
        backends.add(started);
        return started;
    }

    private static ProtectedDomain domain(TestBackend... servers) {
        List<ListenAddress> addresses = Arrays.stream(servers).map(s -> new ListenAddress("127.0.0.1", s.port())).toList();
        return new ProtectedDomain(DOMAIN, addresses, Verification.CALLOUT, ValidRecipients.EMPTY);
    }

    private static ProtectedDomain domain(String host, TestBackend server) {
        return new ProtectedDomain(DOMAIN, List.of(new ListenAddress(host, server.port())), Verification.CALLOUT,
                ValidRecipients.EMPTY);
    }

    private long rcptsFor(String address) {
        return backend.commands().stream().filter(command -> command.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }

    private double poolConnections() {
        return meters.get("gatehouse.callout.pool.connections").gauge().value();
    }

    private double cacheCount(String result) {
        return meters.get("gatehouse.callout.cache").tag("result", result).counter().count();
    }
}
