package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

    @ParameterizedTest(name = "{0} is stored as {1}")
    @CsvSource({
            "127.0.0.0/8,     127.0.0.0/8",
            "10.1.2.3/32,     10.1.2.3/32",
            "0.0.0.0/0,       0.0.0.0/0",
            "192.0.2.7,       192.0.2.7/32",
            "192.0.2.128/25,  192.0.2.128/25",
            "::1/128,         ::1/128",
            "::1,             ::1/128",
            "2001:DB8:0::/32, 2001:db8::/32",
            "::/0,            ::/0",
    })
    void storesNetworksCanonically(String text, String stored) {
        assertThat(Cidr.normalize(text)).isEqualTo(stored);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "10.0.0.0/33        | must be a number from 0 to 32",
            "::/129             | must be a number from 0 to 128",
            "10.0.0.0/          | must be a number from 0 to 32",
            "10.0.0.0/-1        | must be a number from 0 to 32",
            "10.0.0.0/8/8       | must be a number from 0 to 32",
            "999.1.1.1/8        | is not an IP network",
            "example.com        | host names are not allowed",
            "example.com/24     | is not an IP network",
            "10.0.0.1/8         | did you mean 10.0.0.0/8?",
            "192.0.2.130/25     | did you mean 192.0.2.128/25?",
            "2001:db8::1/32     | did you mean 2001:db8::/32?",
    })
    void refusesWhatIsNotANetwork(String text, String reason) {
        assertThatThrownBy(() -> Cidr.normalize(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }
}
