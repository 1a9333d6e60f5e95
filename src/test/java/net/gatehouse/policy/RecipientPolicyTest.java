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
import net.gatehouse.smtp.protocol.Command;
import net.gatehouse.smtp.protocol.CommandParser;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.smtp.protocol.MailPath;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestClock;
import net.gatehouse.testing.TestDns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import net.gatehouse.route.ProtectedDomain;

/**
 * SPEC §3's RCPT table for relay control and routing, row by row, decided as the gateway decides:
 * DNS from a test server, callouts to a test back-end on loopback.
 */
class RecipientPolicyTest {

    private static final ListenAddress BACKEND = new ListenAddress("127.0.0.1", 2526);
    private static final String UNTRUSTED = "192.0.2.1";

    private static TestDns dns;
    private static TestBackend calloutBackend;
    private static CalloutVerifier callout;
    private static Policy policy;
    private static RecipientPolicy recipientPolicy;

    @BeforeAll
    static void start() {
        dns = TestDns.start().mailDomain("elsewhere.example", "mx.elsewhere.example", "192.0.2.25");
        calloutBackend = TestBackend.start().onlyAccept("alice@callout.example");
        policy = Policy.from(new PolicyConfig(
                List.of("10.0.0.0/8", "2001:db8:1::/48", "127.0.0.0/8"), true, Verification.NONE, List.of(
                        new DomainConfig("example.com", List.of(BACKEND), Verification.INHERIT, List.of()),
                        new DomainConfig("xn--exmple-cua.com", List.of(BACKEND), Verification.INHERIT, List.of()),
                        new DomainConfig("listed.example", List.of(BACKEND), Verification.VALID_LIST,
                                List.of("alice@listed.example", "Bob@LISTED.example")),
                        new DomainConfig("wildcard.example", List.of(BACKEND), Verification.VALID_LIST,
                                List.of("@wildcard.example")),
                        new DomainConfig("callout.example", List.of(new ListenAddress("127.0.0.1", calloutBackend.port())),
                                Verification.CALLOUT, List.of())),
                "", TestPolicies.CACHE, TestPolicies.HARVEST));
        MxResolver resolver = new MxResolver(dns.config());
        TestClock clock = new TestClock();
        callout = new CalloutVerifier(ConfigLoader.DEFAULT_CALLOUT, "gatehouse.test", resolver, () -> TestPolicies.CACHE,
                new LocalVerdictCache(() -> TestPolicies.CACHE, clock), new SimpleMeterRegistry(), clock);
        recipientPolicy = new RecipientPolicy(() -> policy, resolver, callout, ProtectedDomain::validRecipients);
    }

    @AfterAll
    static void stop() {
        callout.close();
        calloutBackend.close();
        dns.close();
    }

    private static Verdict decide(String client, String recipient) throws Exception {
        Command.Rcpt rcpt = (Command.Rcpt) CommandParser.parse("RCPT TO:<" + recipient + ">");
        return recipientPolicy.decide(InetAddress.getByName(client), rcpt.recipient());
    }

    private static String reply(Verdict verdict) {
        return verdict.reply().code() + " " + verdict.reply().enhanced();
    }

    @ParameterizedTest(name = "{0} from {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            postmaster                         | 192.0.2.1   | 250 2.1.5
            POSTMASTER@example.com             | 192.0.2.1   | 250 2.1.5
            postmaster@elsewhere.example       | 192.0.2.1   | 554 5.7.1
            someone@elsewhere.example          | 10.1.2.3    | 250 2.1.5
            someone@elsewhere.example          | 2001:db8:1::5 | 250 2.1.5
            alice@example.com                  | 10.1.2.3    | 250 2.1.5
            nobody@listed.example              | 10.1.2.3    | 250 2.1.5
            someone@elsewhere.example          | 192.0.2.1   | 554 5.7.1
            someone@elsewhere.example          | 2001:db8:2::5 | 554 5.7.1
            alice@example.com                  | 192.0.2.1   | 250 2.1.5
            ALICE@Example.COM                  | 192.0.2.1   | 250 2.1.5
            alice@exämple.com                  | 192.0.2.1   | 250 2.1.5
            alice@listed.example               | 192.0.2.1   | 250 2.1.5
            ALICE@listed.example               | 192.0.2.1   | 250 2.1.5
            bob@listed.example                 | 192.0.2.1   | 250 2.1.5
            carol@listed.example               | 192.0.2.1   | 550 5.1.1
            anyone@wildcard.example            | 192.0.2.1   | 250 2.1.5
            alice@callout.example              | 192.0.2.1   | 250 2.1.5
            bob@callout.example                | 192.0.2.1   | 550 5.1.1
            someone@nowhere.example            | 10.1.2.3    | 550 5.1.2
            """)
    void decidesEachRowOfTheTable(String recipient, String client, String expected) throws Exception {
        assertThat(reply(decide(client, recipient))).isEqualTo(expected);
    }

    /** Classic tricks to make a gateway relay; every one is refused for an untrusted client. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            user%elsewhere.example@example.com
            "user@elsewhere.example"@example.com
            user@elsewhere.example@example.com
            @example.com:user@elsewhere.example
            @example.com:user@example.com
            elsewhere.example!user@example.com
            "elsewhere.example!user"@example.com
            user@example.com.
            user@elsewhere.example.
            user@[127.0.0.1]
            user@[192.0.2.1]
            user@[IPv6:::1]
            user@EXAMPLE.COM.ELSEWHERE.EXAMPLE
            user@example.com.elsewhere.example
            user@еxample.com
            user@sub.example.com
            """)
    void neverRelaysForUntrustedClients(String recipient) throws Exception {
        String path = recipient.startsWith("@") ? recipient : recipient;
        Command command = CommandParser.parse("RCPT TO:<" + path + ">");
        assertThat(command).as("parsed as a recipient, not a syntax error").isInstanceOf(Command.Rcpt.class);
        MailPath mailPath = ((Command.Rcpt) command).recipient();
        Verdict verdict = recipientPolicy.decide(InetAddress.getByName(UNTRUSTED), mailPath);
        assertThat(reply(verdict)).isEqualTo("554 5.7.1");
        assertThat(verdict.reason()).isEqualTo(Reason.RELAY_DENIED);
    }

    @Test
    void barePostmasterIsDeliveredToTheFirstProtectedDomain() throws Exception {
        assertThat(decide(UNTRUSTED, "postmaster").recipient()).isEqualTo("postmaster@example.com");
    }

    @Test
    void explainsTheDecisionStepByStep() throws Exception {
        Verdict verdict = decide(UNTRUSTED, "someone@elsewhere.example");
        assertThat(verdict.chain()).hasSize(2);
        assertThat(verdict.chain().get(0)).contains("192.0.2.1").contains("not trusted");
        assertThat(verdict.chain().get(1)).contains("not protected");
    }

    @Test
    void ipv4MappedClientsAreMatchedAgainstIpv4Networks() throws Exception {
        assertThat(reply(decide("::ffff:10.1.2.3", "someone@elsewhere.example"))).isEqualTo("250 2.1.5");
    }

    @Test
    void withoutAPolicyEverythingIsARelayAttempt() throws Exception {
        Command.Rcpt rcpt = (Command.Rcpt) CommandParser.parse("RCPT TO:<alice@example.com>");
        Verdict verdict = recipientPolicy.decide(Policy.EMPTY, InetAddress.getByName("127.0.0.1"), rcpt.recipient());
        assertThat(reply(verdict)).isEqualTo("554 5.7.1");
    }

    @Test
    void everyReasonHasItsOwnWordAndAnEnhancedStatusCode() {
        assertThat(java.util.Arrays.stream(Reason.values()).map(Reason::word)).doesNotHaveDuplicates()
                .allMatch(word -> word.matches("[a-z_]+"));
        assertThat(Reason.values()).allSatisfy(reason -> assertThat(reason.reply().enhanced()).isNotEmpty());
        assertThat(java.util.Arrays.stream(Reason.values()).filter(Reason::unknownRecipient))
                .containsExactlyInAnyOrder(Reason.NOT_IN_VALID_LIST, Reason.MAILBOX_UNKNOWN, Reason.NOT_IN_DIRECTORY,
                        Reason.HARVEST_DEFERRED);
    }
}
