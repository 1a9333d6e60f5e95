package net.gatehouse.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import net.gatehouse.smtp.protocol.MailboxAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SPEC §3 "Valid list": what a list accepts. */
class ValidRecipientsTest {

    private static final ValidRecipients LIST = ValidRecipients.of(List.of(
            "alice@example.com", "bob.smith@example.com", "@whole.example", "jörg@example.com",
            "carol@xn--bcher-kva.example", "dave@bücher.example", "user+special@example.com"));

    @ParameterizedTest(name = "{0}@{1} with delimiter \"{2}\" -> {3}")
    @CsvSource(textBlock = """
            alice,         example.com,           '',  true
            ALICE,         Example.COM,           '',  true
            Bob.Smith,     example.com,           '',  true
            mallory,       example.com,           '',  false
            alice,         example.org,           '',  false
            alicee,        example.com,           '',  false
            anyone,        whole.example,         '',  true
            ANYONE,        WHOLE.example,         '',  true
            anyone,        sub.whole.example,     '',  false
            Jörg,          example.com,           '',  true
            JÖRG,          example.com,           '',  true
            carol,         bücher.example,        '',  true
            carol,         xn--bcher-kva.example, '',  true
            dave,          xn--bcher-kva.example, '',  true
            dave,          BÜCHER.example,        '',  true
            alice+news,    example.com,           '',  false
            alice+news,    example.com,           +,   true
            ALICE+News,    example.com,           +,   true
            alice+a+b,     example.com,           +,   true
            alice-news,    example.com,           +,   false
            alice-news,    example.com,           -,   true
            +alice,        example.com,           +,   false
            mallory+x,     example.com,           +,   false
            user+special,  example.com,           '',  true
            user+special,  example.com,           +,   true
            user+other,    example.com,           +,   false
            """)
    void matchesIgnoringCaseWithWholeDomainsAndSubAddresses(String local, String domain, String delimiter,
                                                            boolean expected) {
        assertThat(LIST.contains(MailboxAddress.of(local, domain), delimiter)).isEqualTo(expected);
    }

    @Test
    void aQuotedLocalPartMatchesItsUnquotedForm() {
        assertThat(LIST.contains(new MailboxAddress("alice", "example.com", true), "")).isTrue();
    }

    @Test
    void theEmptyListAcceptsNothing() {
        assertThat(ValidRecipients.EMPTY.contains(MailboxAddress.of("alice", "example.com"), "+")).isFalse();
        assertThat(ValidRecipients.of(List.of()).contains(MailboxAddress.of("alice", "example.com"), "+")).isFalse();
        assertThat(ValidRecipients.EMPTY.size()).isZero();
    }

    @Test
    void theBarePostmasterIsNotAnEntry() {
        assertThat(LIST.contains(MailboxAddress.BARE_POSTMASTER, "")).isFalse();
    }

    @Test
    void sizeCountsDistinctEntries() {
        ValidRecipients list = ValidRecipients.of(List.of("a@example.com", "A@Example.com", "b@example.com",
                "@example.com", "@EXAMPLE.com"));
        assertThat(list.size()).isEqualTo(3);
    }

    @Test
    void aLargeListFindsEveryEntryAndNoOther() {
        ValidRecipients.Builder builder = ValidRecipients.builder();
        IntStream.range(0, 200_000).forEach(i -> builder.add("user" + i + "@example.com"));
        ValidRecipients list = builder.build();
        assertThat(list.size()).isEqualTo(200_000);
        assertThat(IntStream.range(0, 200_000)
                .allMatch(i -> list.contains(MailboxAddress.of("User" + i, "example.com"), ""))).isTrue();
        assertThat(IntStream.range(200_000, 400_000)
                .noneMatch(i -> list.contains(MailboxAddress.of("user" + i, "example.com"), ""))).isTrue();
    }

    @Test
    void refusesEntriesThatAreNotAddresses() {
        assertThatThrownBy(() -> ValidRecipients.builder().add("alice")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"alice\"");
        assertThatThrownBy(() -> ValidRecipients.builder().add("alice@")).isInstanceOf(IllegalArgumentException.class);
    }
}
