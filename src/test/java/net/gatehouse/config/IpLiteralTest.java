package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralTest {

    @ParameterizedTest(name = "{0} is written {1}")
    @CsvSource({
            "0.0.0.0,                  0.0.0.0",
            "192.0.2.255,              192.0.2.255",
            "::,                       ::",
            "::1,                      ::1",
            "2001:DB8::1,              2001:db8::1",
            "2001:0db8:0:0:0:0:0:1,    2001:db8::1",
            "2001:db8:0:1:1:1:1:1,     2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1,       2001:0:0:1::1",
            "1::,                      1::",
            "1:2:3:4:5:6:7::,          1:2:3:4:5:6:7:0",
            "::ffff:192.0.2.1,         ::ffff:c000:201",
            "1:2:3:4:5:6:1.2.3.4,      1:2:3:4:5:6:102:304",
            "fe80::,                   fe80::",
    })
    void readsLiteralsAndWritesThemCanonically(String text, String canonical) throws UnknownHostException {
        byte[] address = IpLiteral.parse(text).orElseThrow();
        assertThat(IpLiteral.format(address)).isEqualTo(canonical);
        // the JDK agrees on the bytes (no lookup: these are literals); it turns ::ffff:a.b.c.d into IPv4
        byte[] jdk = InetAddress.getByName(text).getAddress();
        if (jdk.length == address.length) {
            assertThat(address).isEqualTo(jdk);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "999.1.1.1", "01.2.3.4", "1.2.3.-4", "1..2.3", "a.b.c.d",
            "١.٢.٣.٤", "example.com", ":", ":::", "1:::2", "::1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
            "12345::", "g::1", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "fe80::1%eth0", "::1.2.3", "1.2.3.4::",
            "1:2:3:4:5:6:7:1.2.3.4", "::ffff:999.1.1.1", "[::1]", "::١"
    })
    void refusesAnythingElse(String text) {
        assertThat(IpLiteral.parse(text)).isEmpty();
    }
}
