package net.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The grammar of valid-list entries and their stored form. */
class ValidRecipientEntryTest {

    @ParameterizedTest(name = "{0} in {1} -> {2}")
    @CsvSource(quoteCharacter = '"', textBlock = """
            alice@example.com,          example.com,           alice@example.com
            Alice@Example.COM,          example.com,           alice@example.com
            "  alice@example.com  ",    example.com,           alice@example.com
            alice@example.com.,         example.com,           alice@example.com
            @example.com,               example.com,           @example.com
            @EXAMPLE.COM,               example.com,           @example.com
            bob.smith+tag@example.com,  example.com,           bob.smith+tag@example.com
            o'brien@example.com,        example.com,           o'brien@example.com
            Jörg@example.com,           example.com,           jörg@example.com
            carol@bücher.example,       xn--bcher-kva.example, carol@xn--bcher-kva.example
            carol@XN--BCHER-KVA.example, xn--bcher-kva.example, carol@xn--bcher-kva.example
            """)
    void normalizesToTheStoredForm(String text, String domain, String expected) {
        assertThat(ValidRecipientEntry.normalize(domain, text)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            alice                          | is not an address: expected alice@example.com, or @example.com
            alice@example.org              | is not an address of example.com
            alice@sub.example.com          | is not an address of example.com
            alice@                         | the domain is empty
            alice@exa mple.com             | is not a valid domain name
            alice@192.0.2.1                | ends in a number
            "john doe"@example.com         | quoted local parts are not supported
            john doe@example.com           | the local part contains a space
            .alice@example.com             | dots must separate words
            alice.@example.com             | dots must separate words
            al..ice@example.com            | dots must separate words
            alice@bob@example.com          | it has two @
            al<ice@example.com             | the local part contains "<"
            al,ice@example.com             | the local part contains ","
            aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com | longer than 64 octets
            """)
    void refusesWhatCannotBeAnAddressOfTheDomain(String text, String reason) {
        assertThatThrownBy(() -> ValidRecipientEntry.normalize("example.com", text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(textBlock = """
            example.com,     example.com
            Example.COM.,    example.com
            bücher.example,  xn--bcher-kva.example
            """)
    void domainsAreStoredInAsciiLowerCase(String text, String expected) {
        assertThat(ValidRecipientEntry.domain(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"''", "exa_mple.com", "-example.com", "example..com", "192.0.2.1"})
    void refusesInvalidDomains(String text) {
        assertThatThrownBy(() -> ValidRecipientEntry.domain(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
