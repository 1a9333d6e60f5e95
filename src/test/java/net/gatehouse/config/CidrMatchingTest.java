package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrMatchingTest {

    @ParameterizedTest(name = "{1} in {0}: {2}")
    @CsvSource(textBlock = """
            10.0.0.0/8,        10.255.1.2,     true
            10.0.0.0/8,        11.0.0.1,       false
            192.168.1.0/24,    192.168.1.77,   true
            192.168.1.0/24,    192.168.2.1,    false
            192.168.1.128/25,  192.168.1.127,  false
            192.168.1.128/25,  192.168.1.200,  true
            192.0.2.7,         192.0.2.7,      true
            192.0.2.7,         192.0.2.8,      false
            0.0.0.0/0,         203.0.113.9,    true
            ::1/128,           ::1,            true
            ::1/128,           ::2,            false
            2001:db8::/32,     2001:db8:ffff::1, true
            2001:db8::/32,     2001:db9::1,    false
            10.0.0.0/8,        ::ffff:10.0.0.1, true
            10.0.0.0/8,        2001:db8::1,    false
            """)
    void matchesAddressesAgainstNetworks(String network, String address, boolean expected) throws Exception {
        assertThat(Cidr.parse(network).contains(InetAddress.getByName(address))).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "999.1.1.1/8", "example.com", "10.0.0.0/", "10.0.0/8", "::1/129", "10.0.0.0/-1", "", "10.0.0.1/8"})
    void refusesWhatIsNotANetwork(String text) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
