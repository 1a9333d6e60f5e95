package net.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The import file: one address per line, or CSV. */
class RecipientListFormatTest {

    private static List<String> addresses(String... lines) {
        RecipientListFormat format = new RecipientListFormat();
        List<String> found = new ArrayList<>();
        for (String line : lines) {
            format.address(line).ifPresent(found::add);
        }
        return found;
    }

    @Test
    void readsOneAddressPerLineSkippingBlanksAndComments() {
        assertThat(addresses("# staff", "alice@example.com", "", "   ", "  bob@example.com  ", "#carol@example.com"))
                .containsExactly("alice@example.com", "bob@example.com");
    }

    @Test
    void readsTheFirstFieldHoldingAnAddressFromCsv() {
        assertThat(addresses(
                "name,email,department",
                "Alice,alice@example.com,Sales",
                "\"Smith, Bob\",\"bob@example.com\",\"R&D\"",
                "Carol;carol@example.com;Support",
                "Dave\tdave@example.com",
                "eve@example.com,eve.backup@example.com"))
                .containsExactly("alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com",
                        "eve@example.com");
    }

    @Test
    void ignoresAByteOrderMarkAtTheStart() {
        assertThat(addresses("\uFEFFalice@example.com")).containsExactly("alice@example.com");
        assertThat(addresses("\uFEFFemail,name", "alice@example.com,Alice")).containsExactly("alice@example.com");
    }

    @Test
    void aLineOfDataWithoutAnAddressIsAnError() {
        RecipientListFormat format = new RecipientListFormat();
        assertThat(format.address("alice@example.com")).isPresent();
        assertThatThrownBy(() -> format.address("Bob,Sales")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no address on this line");
    }

    @Test
    void onlyTheFirstLineOfDataCanBeAHeader() {
        RecipientListFormat format = new RecipientListFormat();
        assertThat(format.address("# exported 2026-11-01")).isEmpty();
        assertThat(format.address("email,name")).isEmpty();
        assertThatThrownBy(() -> format.address("email,name")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSingleWordIsAnEntryNotAHeader() {
        // it then fails validation with a line number, rather than being skipped silently
        assertThat(addresses("alice")).containsExactly("alice");
    }
}
