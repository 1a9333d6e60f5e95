package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DomainNameTest {

    @ParameterizedTest(name = "{0} is stored as {1}")
    @CsvSource({
            "example.com,            example.com",
            "Example.COM,            example.com",
            "gw.example.net.,        gw.example.net",
            "localhost,              localhost",
            "3com.example,           3com.example",
            "bücher.example,         xn--bcher-kva.example",
            "XN--BCHER-KVA.example,  xn--bcher-kva.example",
            "例え.テスト,              xn--r8jz45g.xn--zckzah",
    })
    void storesLowerCaseAscii(String text, String stored) {
        assertThat(DomainName.normalize(text)).isEqualTo(stored);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "''                  | it is empty",
            ".                   | it is empty",
            "a..b                | empty label",
            ".example.com        | empty label",
            "-mail.example       | starts or ends with a hyphen",
            "mail-.example       | starts or ends with a hyphen",
            "mail_1.example      | contains \"_\"",
            "mail 1.example      | contains \" \"",
            "mail@example.com    | contains \"@\"",
            "192.0.2.1           | ends in a number",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example | longer than 63",
    })
    void refusesWhatIsNotAName(String text, String reason) {
        assertThatThrownBy(() -> DomainName.normalize(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }
}
