package net.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.util.List;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.LocalVerdictCache;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.Rollout;
import net.gatehouse.config.Rollout.BackendDown;
import net.gatehouse.config.Rollout.Enforce;
import net.gatehouse.config.Rollout.UnknownRecipientReply;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.protocol.Command;
import net.gatehouse.smtp.protocol.CommandParser;
import net.gatehouse.testing.TestClock;
import net.gatehouse.testing.TestDns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * docs/BEHAVIOUR.md's decision table for the sources that need no back-end (valid list, trusted
 * client, DNS, relay control, postmaster, a directory that cannot answer, the harvest guard's deferral),
 * under each rollout setting: the reply, the verdict word
 * of logs and metrics, and the reason. The callout rows are VerificationRolloutIT's.
 */
class RolloutDecisionTest {

    private static final ListenAddress BACKEND = new ListenAddress("127.0.0.1", 2526);

    private static TestDns dns;
    private static CalloutVerifier callout;
    private static MxResolver resolver;

    @BeforeAll
    static void start() {
        dns = TestDns.start().mailDomain("elsewhere.example", "mx.elsewhere.example", "192.0.2.25");
        resolver = new MxResolver(dns.config());
        TestClock clock = new TestClock();
        callout = new CalloutVerifier(ConfigLoader.DEFAULT_CALLOUT, "gatehouse.test", resolver, () -> TestPolicies.CACHE,
                new LocalVerdictCache(() -> TestPolicies.CACHE, clock), new SimpleMeterRegistry(), clock);
    }

    @AfterAll
    static void stop() {
        callout.close();
        dns.close();
    }

    /** A policy with listed.example (valid list: alice) and the given global rollout; strict.example enforces 550. */
    private static RecipientPolicy decision(Rollout global) {
        Policy policy = Policy.from(new PolicyConfig(List.of("10.0.0.0/8"), true, Verification.VALID_LIST, List.of(
                new DomainConfig("listed.example", List.of(BACKEND), Verification.INHERIT, List.of("alice@listed.example")),
                new DomainConfig("strict.example", List.of(BACKEND), Verification.INHERIT, List.of("alice@strict.example"),
                        List.of(), new Rollout(Enforce.TRUE, UnknownRecipientReply.REJECT, BackendDown.INHERIT)),
                // no directory to answer from: what a directory without a snapshot answers
                new DomainConfig("corp.example", List.of(BACKEND), Verification.DIRECTORY, List.of()),
                new DomainConfig("probed.example", List.of(BACKEND), Verification.CALLOUT, List.of())),
                "", TestPolicies.CACHE, TestPolicies.HARVEST, List.of(), PolicyConfig.KEYS, global));
        // 192.0.2.66 is in the harvest tarpit: its uncached callout recipients are not probed
        return new RecipientPolicy(() -> policy, resolver, callout, ProtectedDomain::validRecipients,
                net.gatehouse.directory.Directories.NONE, client -> client.getHostAddress().equals("192.0.2.66"));
    }

    @ParameterizedTest(name = "{0}: {1} from {2} → {3} {4} ({5})")
    @CsvSource(delimiter = '|', textBlock = """
            enforce | alice@listed.example      | 192.0.2.1 | 250 2.1.5  | accept       | valid_list
            enforce | nobody@listed.example     | 192.0.2.1 | 550 5.1.1  | reject       | not_in_valid_list
            450     | nobody@listed.example     | 192.0.2.1 | 450 4.1.1  | tempfail     | not_in_valid_list
            observe | nobody@listed.example     | 192.0.2.1 | 250 2.1.5  | would_reject | not_in_valid_list
            observe | alice@listed.example      | 192.0.2.1 | 250 2.1.5  | accept       | valid_list
            observe | nobody@strict.example     | 192.0.2.1 | 550 5.1.1  | reject       | not_in_valid_list
            450     | nobody@strict.example     | 192.0.2.1 | 550 5.1.1  | reject       | not_in_valid_list
            observe | someone@elsewhere.example | 192.0.2.1 | 554 5.7.1  | reject       | relay_denied
            observe | nobody%x@listed.example   | 192.0.2.1 | 554 5.7.1  | reject       | relay_denied
            observe | postmaster@listed.example | 192.0.2.1 | 250 2.1.5  | accept       | postmaster
            observe | nobody@listed.example     | 10.1.2.3  | 250 2.1.5  | accept       | trusted
            observe | someone@nowhere.example   | 10.1.2.3  | 550 5.1.2  | reject       | unknown_domain
            450     | someone@nowhere.example   | 10.1.2.3  | 550 5.1.2  | reject       | unknown_domain
            observe | someone@elsewhere.example | 10.1.2.3  | 250 2.1.5  | accept       | trusted_relay
            enforce | alice@corp.example        | 192.0.2.1 | 451 4.4.3  | tempfail     | directory_tempfail
            450     | alice@corp.example        | 192.0.2.1 | 451 4.4.3  | tempfail     | directory_tempfail
            observe | alice@corp.example        | 192.0.2.1 | 250 2.1.5  | would_reject | directory_tempfail
            enforce | someone@probed.example    | 192.0.2.66 | 451 4.4.3 | tempfail     | harvest_deferred
            450     | someone@probed.example    | 192.0.2.66 | 451 4.4.3 | tempfail     | harvest_deferred
            observe | someone@probed.example    | 192.0.2.66 | 451 4.4.3 | tempfail     | harvest_deferred
            """)
    void decidesEachRowOfTheDecisionTable(String mode, String recipient, String client, String reply, String word,
                                         String reason) throws Exception {
        Rollout global = switch (mode) {
            case "enforce" -> Rollout.DEFAULTS;
            case "450" -> new Rollout(Enforce.TRUE, UnknownRecipientReply.DEFER, BackendDown.DEFER);
            case "observe" -> new Rollout(Enforce.FALSE, UnknownRecipientReply.REJECT, BackendDown.DEFER);
            default -> throw new IllegalArgumentException(mode);
        };
        Command.Rcpt rcpt = (Command.Rcpt) CommandParser.parse("RCPT TO:<" + recipient + ">");

        Verdict verdict = decision(global).decide(InetAddress.getByName(client), rcpt.recipient());

        assertThat(verdict.reply().code() + " " + verdict.reply().enhanced()).isEqualTo(reply);
        assertThat(verdict.word()).isEqualTo(word);
        assertThat(verdict.reason().word()).isEqualTo(reason);
        assertThat(verdict.unknownRecipient()).as("counted by the harvest guard")
                .isEqualTo(!word.equals("would_reject") && verdict.reason().unknownRecipient());
    }
}
