package net.gatehouse.directory;

import net.gatehouse.testing.TestActor;
import java.time.Instant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.store.Database;
import net.gatehouse.store.StoreException;
import net.gatehouse.store.ValidRecipientStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lists the RCPT path reads: the store's and the file's together, following the store's changes. */
class ValidListDirectoryTest {

    private static final Duration POLL = Duration.ofMillis(100);

    @TempDir
    Path dataDir;

    private Database database;
    private ValidRecipientStore store;

    @BeforeEach
    void open() {
        database = Database.open(Database.EMBEDDED, dataDir);
        store = new ValidRecipientStore(database);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private static boolean accepts(ValidListDirectory directory, String local, String domain) {
        MailboxAddress address = MailboxAddress.of(local, domain);
        return directory.list(address.asciiDomain()).contains(address, "");
    }

    @Test
    void listsHoldTheStoreAndTheConfigurationFileTogether() {
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        store.add("bücher.example", List.of("jörg@bücher.example"), TestActor.TEST, Instant.now());
        try (ValidListDirectory directory = ValidListDirectory.start(store,
                Map.of("example.com", List.of("Bob@Example.com"), "example.org", List.of("@example.org")), POLL)) {
            assertThat(accepts(directory, "alice", "example.com")).isTrue();
            assertThat(accepts(directory, "BOB", "example.com")).isTrue();
            assertThat(accepts(directory, "anyone", "example.org")).isTrue();
            assertThat(accepts(directory, "Jörg", "BÜCHER.example")).isTrue();
            assertThat(accepts(directory, "carol", "example.com")).isFalse();
            assertThat(directory.list("unknown.example")).isSameAs(ValidRecipients.EMPTY);
        }
    }

    @Test
    void changesThroughTheStoreTakeEffectWithinSeconds() {
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        try (ValidListDirectory directory = ValidListDirectory.start(store, Map.of("example.com", List.of("bob@example.com")), POLL)) {
            ValidRecipients before = directory.list("example.com");
            store.add("example.com", List.of("carol@example.com"), TestActor.TEST, Instant.now());
            store.remove("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
            store.add("example.net", List.of("dave@example.net"), TestActor.TEST, Instant.now());
            await().atMost(Duration.ofSeconds(5)).until(() -> accepts(directory, "carol", "example.com")
                    && !accepts(directory, "alice", "example.com") && accepts(directory, "dave", "example.net"));
            assertThat(accepts(directory, "bob", "example.com")).isTrue(); // the file's entry stays
            assertThat(before.contains(MailboxAddress.of("alice", "example.com"), "")).isTrue(); // lists are snapshots
        }
    }

    @Test
    void aReloadedConfigurationFileReplacesItsEntriesAndKeepsTheStores() {
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        try (ValidListDirectory directory = ValidListDirectory.start(store,
                Map.of("example.com", List.of("bob@example.com"), "example.org", List.of("@example.org")), Duration.ofHours(1))) {

            directory.replaceConfigEntries(Map.of("example.com", List.of("carol@example.com")));

            assertThat(accepts(directory, "carol", "example.com")).isTrue();
            assertThat(accepts(directory, "bob", "example.com")).isFalse();
            assertThat(accepts(directory, "alice", "example.com")).isTrue(); // the store's entry stays
            assertThat(directory.list("example.org")).isSameAs(ValidRecipients.EMPTY);
        }
    }

    @Test
    void refreshNowLoadsAChangeWithoutWaitingForThePoll() {
        try (ValidListDirectory directory = ValidListDirectory.start(store, Map.of(), Duration.ofHours(1))) {
            store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
            assertThat(accepts(directory, "alice", "example.com")).isFalse(); // the poll is an hour away

            directory.refreshNow();

            assertThat(accepts(directory, "alice", "example.com")).isTrue();
            store.remove("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
            directory.refreshNow();
            assertThat(accepts(directory, "alice", "example.com")).isFalse();
        }
    }

    @Test
    void aChangeByAnotherProcessTakesEffect() {
        try (ValidListDirectory directory = ValidListDirectory.start(store, Map.of(), POLL);
             Database cli = Database.open(Database.EMBEDDED, dataDir)) { // as 'gatehouse recipients' would
            new ValidRecipientStore(cli).importLines("example.com", List.of("alice@example.com").iterator(), true, "", TestActor.TEST, Instant.now());
            await().atMost(Duration.ofSeconds(5)).until(() -> accepts(directory, "alice", "example.com"));
        }
    }

    @Test
    void onlyListsThatChangedAreReloaded() {
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        store.add("example.org", List.of("bob@example.org"), TestActor.TEST, Instant.now());
        try (ValidListDirectory directory = ValidListDirectory.start(store, Map.of(), POLL)) {
            ValidRecipients untouched = directory.list("example.org");
            store.add("example.com", List.of("carol@example.com"), TestActor.TEST, Instant.now());
            await().atMost(Duration.ofSeconds(5)).until(() -> accepts(directory, "carol", "example.com"));
            assertThat(directory.list("example.org")).isSameAs(untouched);
        }
    }

    @Test
    void theListsLastLoadedStayInForceWhenTheStoreFails() throws Exception {
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        try (ValidListDirectory directory = ValidListDirectory.start(store, Map.of(), POLL)) {
            database.close();
            Thread.sleep(3 * POLL.toMillis()); // several failed polls
            assertThat(accepts(directory, "alice", "example.com")).isTrue();
        }
    }

    @Test
    void startingWithoutAStoreFails() {
        database.close();
        assertThatThrownBy(() -> ValidListDirectory.start(store, Map.of(), POLL)).isInstanceOf(StoreException.class);
    }

    @Test
    void invalidEntriesOfTheFileAreLeftOut() {
        try (ValidListDirectory directory = ValidListDirectory.start(store,
                Map.of("example.com", List.of("alice@example.com", "\"john doe\"@example.com")), POLL)) {
            assertThat(directory.list("example.com").size()).isEqualTo(1);
        }
    }
}
