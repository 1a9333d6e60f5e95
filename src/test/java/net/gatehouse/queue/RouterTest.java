package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.queue.Router.Route;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.testing.TestDns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RouterTest {

    private static final Duration DNS_TIMEOUT = Duration.ofMillis(500);
    private static final int REMOTE_PORT = 2525;

    private final TestDns dns = TestDns.start();
    private final Router router = new Router(new MxResolver(dns.config(DNS_TIMEOUT)), REMOTE_PORT, new GatewayMetrics());

    @AfterEach
    void stopDns() {
        dns.close();
    }

    // --- a protected domain's back-ends

    @Test
    void resolvesABackendNameThroughTheConfiguredDnsServers() {
        dns.a("mail.example.test", "192.0.2.7").aaaa("mail.example.test", "2001:db8::7");

        Route route = router.route(backends("mail.example.test:25"));

        assertThat(relays(route)).containsExactly("mail.example.test[192.0.2.7]:25", "mail.example.test[2001:db8:0:0:0:0:0:7]:25");
        assertThat(dns.queryCount("mail.example.test")).isPositive();
    }

    @Test
    void keepsTheBackendsInTheirConfiguredOrder() {
        dns.a("second.example.test", "192.0.2.2");

        Route route = router.route(backends("192.0.2.1:25", "second.example.test:2525"));

        assertThat(relays(route)).containsExactly("192.0.2.1[192.0.2.1]:25", "second.example.test[192.0.2.2]:2525");
    }

    @Test
    void usesABackendsIpAddressWithoutAQuery() {
        Route route = router.route(backends("192.0.2.1:25", "2001:db8::1:25"));

        assertThat(relays(route)).containsExactly("192.0.2.1[192.0.2.1]:25", "2001:db8:0:0:0:0:0:1[2001:db8:0:0:0:0:0:1]:25");
        assertThat(dns.queries()).isZero();
    }

    @Test
    void skipsABackendWhoseNameTheDnsAnswersTooSlowlyWithinTheDeadline() {
        dns.a("slow.example.test", "192.0.2.9").slow("slow.example.test", Duration.ofSeconds(30));

        Route route = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> router.route(backends("slow.example.test:25", "192.0.2.1:25")));

        assertThat(relays(route)).containsExactly("192.0.2.1[192.0.2.1]:25");
        assertThat(dns.queryCount("slow.example.test")).isPositive();
    }

    @Test
    void defersWhenNoBackendCanBeResolved() {
        dns.servfail("down.example.test");

        Route route = router.route(backends("down.example.test:25", "nowhere.example.test:25"));

        assertThat(route).isInstanceOfSatisfying(Route.Unroutable.class, unroutable -> {
            assertThat(unroutable.outcome().kind()).isEqualTo(Outcome.Kind.DEFERRED);
            assertThat(unroutable.outcome().reply().toString()).isEqualTo("451 4.4.4 No back-end server address could be resolved");
        });
    }

    // --- other domains: their mail exchangers

    @Test
    void namesEachExchangersAddressByItsHostMostPreferredFirst() {
        dns.mx("elsewhere.test", 20, "mx2.elsewhere.test").a("mx2.elsewhere.test", "192.0.2.20")
                .mx("elsewhere.test", 10, "mx1.elsewhere.test").a("mx1.elsewhere.test", "192.0.2.10");

        Route route = router.route(mx("elsewhere.test"));

        assertThat(relays(route)).containsExactly("mx1.elsewhere.test[192.0.2.10]:2525", "mx2.elsewhere.test[192.0.2.20]:2525");
    }

    @Test
    void bouncesANullMxAndAnUnknownDomainAndDefersADnsFailure() {
        dns.nullMx("nomail.test").servfail("broken.test");

        assertThat(outcome(router.route(mx("nomail.test")))).isEqualTo(
                Outcome.failed(556, "5.1.10", "Recipient domain nomail.test accepts no mail (null MX)"));
        assertThat(outcome(router.route(mx("nowhere.test")))).isEqualTo(
                Outcome.failed(550, "5.1.2", "Recipient domain nowhere.test not found"));
        assertThat(outcome(router.route(mx("broken.test"))).reply().enhanced()).isEqualTo("4.4.3");
    }

    @Test
    void sendsAnAddressLiteralToItsAddressWithoutAQuery() {
        assertThat(relays(router.route(mx("[192.0.2.5]")))).containsExactly("192.0.2.5[192.0.2.5]:2525");
        assertThat(relays(router.route(mx("[IPv6:2001:db8::5]")))).containsExactly(
                "2001:db8:0:0:0:0:0:5[2001:db8:0:0:0:0:0:5]:2525");
        assertThat(outcome(router.route(mx("[mail.example.test]")))).isEqualTo(
                Outcome.failed(550, "5.1.2", "Bad address literal [mail.example.test]"));
        assertThat(dns.queries()).isZero();
    }

    // --- fixtures

    private static Destination backends(String... hostPorts) {
        List<ListenAddress> backends = Arrays.stream(hostPorts).map(hostPort -> {
            int colon = hostPort.lastIndexOf(':');
            return new ListenAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        }).toList();
        return new Destination("backend:example.test",
                Optional.of(new ProtectedDomain("example.test", backends, Verification.NONE, ValidRecipients.EMPTY)),
                "example.test");
    }

    private static Destination mx(String domain) {
        return new Destination("mx:" + domain, Optional.empty(), domain);
    }

    private static List<String> relays(Route route) {
        assertThat(route).isInstanceOf(Route.Servers.class);
        return ((Route.Servers) route).servers().stream().map(RouterTest::relay).toList();
    }

    private static String relay(InetSocketAddress server) {
        return server.getHostString() + "[" + server.getAddress().getHostAddress() + "]:" + server.getPort();
    }

    private static Outcome outcome(Route route) {
        assertThat(route).isInstanceOf(Route.Unroutable.class);
        return ((Route.Unroutable) route).outcome();
    }
}
