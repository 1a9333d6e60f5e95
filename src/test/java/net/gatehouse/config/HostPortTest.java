package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {

    @ParameterizedTest(name = "listen {0}")
    @CsvSource({
            "0.0.0.0:25,         0.0.0.0,     25",
            "[::]:25,            ::,          25",
            "[::1]:0,            ::1,         0",
            "[2001:DB8::1]:2525, 2001:db8::1, 2525",
            "Localhost:8080,     localhost,   8080",
    })
    void readsListenAddresses(String text, String host, int port) {
        assertThat(HostPort.listener(text)).isEqualTo(new ListenAddress(host, port));
    }

    @ParameterizedTest(name = "server {0}")
    @CsvSource({
            "mail1.internal:25,  mail1.internal, 25",
            "mail1.internal,     mail1.internal, 25",
            "MAIL.Example.com.,  mail.example.com, 25",
            "192.0.2.1:587,      192.0.2.1,      587",
            "[2001:db8::1],      2001:db8::1,    25",
            "2001:db8::1,        2001:db8::1,    25",
    })
    void readsServersWithTheDefaultPort(String text, String host, int port) {
        assertThat(HostPort.server(text, 25)).isEqualTo(new ListenAddress(host, port));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "0.0.0.0              | missing port in \"0.0.0.0\", write for example 0.0.0.0:25",
            "::1                  | missing port in \"::1\", write for example [::1]:25",
            ":25                  | missing host",
            "0.0.0.0:65536        | must be a number from 0 to 65535",
            "0.0.0.0:smtp         | must be a number from 0 to 65535",
            "0.0.0.0:             | must be a number from 0 to 65535",
            "[::1:25              | missing \"]\"",
            "[::1]25              | unexpected \"25\" after \"]\"",
            "[mail.example]:25    | in brackets is not an IPv6 address",
            "2001:db8::1:25:x     | with a port, an IPv6 address is written in brackets",
            "999.1.1.1:25         | \"999.1.1.1\" is not a valid domain name",
            "mail_1.internal:25   | contains \"_\"",
    })
    void refusesBadListenAddresses(String text, String reason) {
        assertThatThrownBy(() -> HostPort.listener(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "mail.internal:0    | must be a number from 1 to 65535",
    })
    void refusesPortZeroForServers(String text, String reason) {
        assertThatThrownBy(() -> HostPort.server(text, 25)).hasMessageContaining(reason);
    }

    @ParameterizedTest(name = "dns {0}")
    @CsvSource({
            "127.0.0.1,      127.0.0.1, 53",
            "127.0.0.1:5353, 127.0.0.1, 5353",
            "::1,            ::1,       53",
            "[::1]:5353,     ::1,       5353",
    })
    void readsIpServers(String text, String host, int port) {
        assertThat(HostPort.ipServer(text, 53)).isEqualTo(new ListenAddress(host, port));
    }

    @ParameterizedTest
    @CsvSource({"dns.example.net", "dns.example.net:53"})
    void refusesNamesWhereOnlyAddressesWillDo(String text) {
        assertThatThrownBy(() -> HostPort.ipServer(text, 53)).hasMessageContaining("expected an IP address");
    }
}
