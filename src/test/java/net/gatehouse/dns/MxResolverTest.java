package net.gatehouse.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import net.gatehouse.dns.MxResult.Found;
import net.gatehouse.dns.MxResult.Malformed;
import net.gatehouse.dns.MxResult.NoSuchDomain;
import net.gatehouse.dns.MxResult.NullMx;
import net.gatehouse.dns.MxResult.TemporaryFailure;
import net.gatehouse.testing.TestDns;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MxResolverTest {

    private TestDns dns;
    private MxResolver resolver;

    @BeforeEach
    void startDns() {
        dns = TestDns.start();
        resolver = new MxResolver(dns.config());
    }

    @AfterEach
    void stopDns() {
        dns.close();
    }

    @Test
    void exchangersComeMostPreferredFirst() {
        dns.mx("example.test", 20, "mx2.example.test").a("mx2.example.test", "192.0.2.2")
                .mx("example.test", 10, "mx1.example.test").a("mx1.example.test", "192.0.2.1")
                .mx("example.test", 30, "mx3.example.test").a("mx3.example.test", "192.0.2.3");

        assertThat(resolver.resolve("example.test")).isEqualTo(new Found(List.of(
                new Exchanger("mx1.example.test", 10, List.of(ip("192.0.2.1"))),
                new Exchanger("mx2.example.test", 20, List.of(ip("192.0.2.2"))),
                new Exchanger("mx3.example.test", 30, List.of(ip("192.0.2.3"))))));
    }

    @Test
    void exchangerAddressesListIpv4BeforeIpv6() {
        dns.mx("example.test", 10, "mx.example.test")
                .aaaa("mx.example.test", "2001:db8::25").a("mx.example.test", "192.0.2.25");

        assertThat(resolver.resolve("example.test")).isEqualTo(new Found(List.of(
                new Exchanger("mx.example.test", 10, List.of(ip("192.0.2.25"), ip("2001:db8::25"))))));
    }

    @Test
    void domainWithOnlyAnAddressIsItsOwnExchanger() {
        dns.a("example.test", "192.0.2.1");

        assertThat(resolver.resolve("example.test"))
                .isEqualTo(new Found(List.of(new Exchanger("example.test", 0, List.of(ip("192.0.2.1"))))));
    }

    @Test
    void domainWithOnlyAnIpv6AddressIsItsOwnExchanger() {
        dns.aaaa("example.test", "2001:db8::1");

        assertThat(resolver.resolve("example.test"))
                .isEqualTo(new Found(List.of(new Exchanger("example.test", 0, List.of(ip("2001:db8::1"))))));
    }

    @Test
    void unknownDomainDoesNotExist() {
        assertThat(resolver.resolve("nowhere.test")).isEqualTo(new NoSuchDomain());
    }

    @Test
    void domainWithNeitherMxNorAddressDoesNotExistForMail() {
        dns.a("host.example.test", "192.0.2.1"); // example.test exists, but has no records of its own

        assertThat(resolver.resolve("example.test")).isEqualTo(new NoSuchDomain());
    }

    @Test
    void nullMxMeansTheDomainAcceptsNoMail() {
        dns.nullMx("nomail.test").a("nomail.test", "192.0.2.1");

        assertThat(resolver.resolve("nomail.test")).isEqualTo(new NullMx());
    }

    static Stream<Arguments> unusableMxSets() {
        return Stream.of(
                unusable("MX 10 . (a null MX has preference 0)", "with preference 10",
                        dns -> dns.mx("example.test", 10, ".")),
                unusable("null MX beside another MX", "beside other MX records",
                        dns -> dns.nullMx("example.test").mailDomain("example.test", "mx.example.test", "192.0.2.1")),
                unusable("exchange is an IPv4 address written as a name", "no exchange is a host name",
                        dns -> dns.mailDomain("example.test", "192.0.2.1", "192.0.2.1")),
                unusable("exchange label with an underscore", "no exchange is a host name",
                        dns -> dns.mailDomain("example.test", "mail_in.example.test", "192.0.2.1")),
                unusable("exchange label starting with a hyphen", "no exchange is a host name",
                        dns -> dns.mailDomain("example.test", "-mx.example.test", "192.0.2.1")),
                unusable("exchange label ending with a hyphen", "no exchange is a host name",
                        dns -> dns.mailDomain("example.test", "mx-.example.test", "192.0.2.1")),
                unusable("no exchanger exists", "no exchanger has an address",
                        dns -> dns.mx("example.test", 10, "gone1.example.test")
                                .mx("example.test", 20, "gone2.example.test")));
    }

    private static Arguments unusable(String zone, String reason, Consumer<TestDns> setUp) {
        return Arguments.of(Named.of(zone, setUp), reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusableMxSets")
    void unusableMxSetIsMalformed(Consumer<TestDns> zone, String reason) {
        zone.accept(dns);

        assertThat(resolver.resolve("example.test"))
                .isInstanceOfSatisfying(Malformed.class, malformed -> assertThat(malformed.reason()).contains(reason));
    }

    @Test
    void validExchangersAreUsedWhenOthersAreMalformedOrMissing() {
        dns.mailDomain("example.test", "bad_name.example.test", "192.0.2.1")
                .mx("example.test", 15, "gone.example.test")
                .mx("example.test", 20, "mx.example.test").a("mx.example.test", "192.0.2.2");

        assertThat(resolver.resolve("example.test"))
                .isEqualTo(new Found(List.of(new Exchanger("mx.example.test", 20, List.of(ip("192.0.2.2"))))));
    }

    @Test
    void serverFailureIsTemporary() {
        dns.servfail("example.test");

        assertThat(resolver.resolve("example.test")).isInstanceOf(TemporaryFailure.class);
    }

    @Test
    void refusalIsTemporary() {
        dns.refused("example.test");

        assertThat(resolver.resolve("example.test")).isInstanceOf(TemporaryFailure.class);
    }

    @Test
    void exchangerThatCannotBeResolvedNowIsTemporary() {
        dns.mx("example.test", 10, "mx.example.test").servfail("mx.example.test");

        assertThat(resolver.resolve("example.test")).isInstanceOf(TemporaryFailure.class);
    }

    @Test
    void silentServerIsATemporaryFailureNotAHang() {
        dns.silent("example.test");
        MxResolver impatient = new MxResolver(dns.config(Duration.ofMillis(500)));

        MxResult result = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> impatient.resolve("example.test"));

        assertThat(result).isInstanceOf(TemporaryFailure.class);
    }

    @Test
    void silenceWhileResolvingExchangersIsATemporaryFailureNotAHang() {
        dns.mx("example.test", 10, "mx.example.test").silent("mx.example.test");
        MxResolver impatient = new MxResolver(dns.config(Duration.ofMillis(500)));

        MxResult result = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> impatient.resolve("example.test"));

        assertThat(result).isInstanceOf(TemporaryFailure.class);
    }

    @Test
    void trailingDotAndCaseDoNotChangeTheAnswer() {
        dns.mailDomain("example.test", "MX.Example.test", "192.0.2.1");

        assertThat(resolver.resolve("Example.TEST."))
                .isEqualTo(resolver.resolve("example.test"))
                .isEqualTo(new Found(List.of(new Exchanger("mx.example.test", 10, List.of(ip("192.0.2.1"))))));
    }

    @Test
    void largeMxSetIsFetchedOverTcpAndOnlyTheMostPreferredAreResolved() {
        // 30 long exchange names do not fit in one UDP answer: the server truncates, the resolver retries over TCP
        String label = "x".repeat(60);
        IntStream.iterate(30, i -> i >= 1, i -> i - 1).forEach(i -> dns
                .mx("example.test", i, label + i + ".example.test").a(label + i + ".example.test", "192.0.2." + i));

        MxResult result = resolver.resolve("example.test");

        assertThat(result).isInstanceOfSatisfying(Found.class, found -> assertThat(found.exchangers())
                .extracting(Exchanger::host)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, MxResolver.MAX_EXCHANGERS)
                        .mapToObj(i -> label + i + ".example.test").toList()));
        assertThat(dns.queryCount(label + 30 + ".example.test")).isZero();
    }

    @Test
    void addressesOfAnIpLiteralNeedNoQuery() throws Exception {
        assertThat(resolver.addresses("192.0.2.7")).containsExactly(ip("192.0.2.7"));
        assertThat(resolver.addresses("2001:db8::7")).containsExactly(ip("2001:db8::7"));
        assertThat(dns.queries()).isZero();
    }

    @Test
    void addressesOfLocalhostAreTheLoopbackAddressesWithoutAQuery() throws Exception {
        assertThat(resolver.addresses("localhost")).containsExactly(ip("127.0.0.1"), ip("::1"));
        assertThat(resolver.addresses("LocalHost.")).containsExactly(ip("127.0.0.1"), ip("::1"));
        assertThat(resolver.addresses("mail.localhost")).containsExactly(ip("127.0.0.1"), ip("::1"));
        assertThat(dns.queries()).isZero();
    }

    @Test
    void addressesOfANameListIpv4First() throws Exception {
        dns.aaaa("backend.test", "2001:db8::7").a("backend.test", "192.0.2.7");

        assertThat(resolver.addresses("backend.test")).containsExactly(ip("192.0.2.7"), ip("2001:db8::7"));
    }

    @Test
    void addressesOfAnUnknownNameAreNone() throws Exception {
        assertThat(resolver.addresses("nowhere.test")).isEmpty();
    }

    @Test
    void addressesOfANameTheServerAnswersSlowlyAreATemporaryFailureWithinTheTimeout() {
        dns.a("backend.test", "192.0.2.7").slow("backend.test", Duration.ofSeconds(30));
        MxResolver impatient = new MxResolver(dns.config(Duration.ofMillis(500)));

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> impatient.addresses("backend.test"))
                .isInstanceOf(DnsTemporaryException.class)
                .hasMessageContaining("backend.test"));
    }

    @Test
    void addressesThrowWhenDnsFails() {
        dns.servfail("backend.test");

        assertThatThrownBy(() -> resolver.addresses("backend.test"))
                .isInstanceOf(DnsTemporaryException.class)
                .hasMessageContaining("backend.test");
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    @Test
    void keepsAnswersForTheirTimeToLive() {
        dns.mailDomain("cached.test", "mx.cached.test", "192.0.2.10");
        MxResolver resolver = new MxResolver(dns.config());
        MxResult first = resolver.resolve("cached.test");
        int queries = dns.queries();
        assertThat(resolver.resolve("cached.test")).isEqualTo(first);
        assertThat(dns.queries()).isEqualTo(queries);
    }

    @Test
    void keepsNegativeAnswersAsRfc2308Says() {
        MxResolver resolver = new MxResolver(dns.config());
        assertThat(resolver.resolve("nothing-here.test")).isInstanceOf(MxResult.NoSuchDomain.class);
        int queries = dns.queries();
        assertThat(resolver.resolve("nothing-here.test")).isInstanceOf(MxResult.NoSuchDomain.class);
        assertThat(dns.queries()).isEqualTo(queries);
    }

    @Test
    void asksAgainOnceTheTimeToLiveHasPassed() {
        dns.ttl(Duration.ofSeconds(1)).mailDomain("short.test", "mx.short.test", "192.0.2.11");
        MxResolver resolver = new MxResolver(dns.config());
        resolver.resolve("short.test");
        int queries = dns.queries();
        // dnsjava's cache ages its entries by the system clock and takes no other from outside its
        // package: the expiry is awaited, asking as a caller would, rather than slept through.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
            resolver.resolve("short.test");
            return dns.queries() > queries;
        });
    }

    @Test
    void doesNotKeepTemporaryFailures() {
        dns.servfail("flaky.test");
        MxResolver resolver = new MxResolver(dns.config(Duration.ofMillis(500)));
        assertThat(resolver.resolve("flaky.test")).isInstanceOf(MxResult.TemporaryFailure.class);
        int queries = dns.queries();
        resolver.resolve("flaky.test");
        assertThat(dns.queries()).isGreaterThan(queries);
    }
}
