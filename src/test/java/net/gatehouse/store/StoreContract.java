package net.gatehouse.store;

import net.gatehouse.testing.TestActor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import net.gatehouse.log.LogEntry;

/**
 * What the store does, whichever database it runs on: {@link StoreTest} runs these against the
 * embedded SQLite file, {@link StorePostgresTest} against PostgreSQL.
 */
abstract class StoreContract {

    static final Instant NOW = Instant.parse("2026-11-02T10:00:00Z");

    /** An open, empty store of the dialect under test. */
    abstract Database database();

    ValidRecipientStore store() {
        return new ValidRecipientStore(database());
    }

    /** Lines {@code user0@example.com} ... without holding them in memory. */
    static Iterator<String> generatedLines(int count, String domain) {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public String next() {
                if (next >= count) {
                    throw new NoSuchElementException();
                }
                return "user" + next++ + "@" + domain;
            }
        };
    }

    static List<String> export(ValidRecipientStore store, String domain) {
        List<String> entries = new ArrayList<>();
        store.forEachEntry(domain, entries::add);
        return entries;
    }

    @Test
    void addStoresEntriesInStoredFormOnce() {
        ValidRecipientStore store = store();
        assertThat(store.add("Example.COM", List.of("Alice@Example.com", "bob@example.com", "@example.com"), TestActor.TEST, Instant.now())).isEqualTo(3);
        assertThat(store.add("example.com", List.of("ALICE@example.com", "carol@example.com"), TestActor.TEST, Instant.now())).isEqualTo(1);
        assertThat(export(store, "example.com"))
                .containsExactly("@example.com", "alice@example.com", "bob@example.com", "carol@example.com");
        assertThat(store.count("example.com")).isEqualTo(4);
    }

    @Test
    void removeDeletesEntriesAndIgnoresAbsentOnes() {
        ValidRecipientStore store = store();
        store.add("example.com", List.of("alice@example.com", "bob@example.com"), TestActor.TEST, Instant.now());
        assertThat(store.remove("example.com", List.of("BOB@example.com", "nobody@example.com"), TestActor.TEST, Instant.now())).isEqualTo(1);
        assertThat(export(store, "example.com")).containsExactly("alice@example.com");
    }

    @Test
    void anInvalidEntryChangesNothing() {
        ValidRecipientStore store = store();
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        assertThatThrownBy(() -> store.add("example.com", List.of("bob@example.com", "mallory@example.org", "x y@example.com"), TestActor.TEST, Instant.now()))
                .isInstanceOf(InvalidEntriesException.class)
                .hasMessageContaining("2 invalid entries for the valid list of example.com, nothing changed")
                .hasMessageContaining("\"mallory@example.org\" is not an address of example.com")
                .hasMessageContaining("\"x y@example.com\" is not a valid address");
        assertThat(export(store, "example.com")).containsExactly("alice@example.com");
    }

    @Test
    void importAddsOrReplacesAndExportReadsBackInOrder() {
        ValidRecipientStore store = store();
        store.add("example.com", List.of("old@example.com"), TestActor.TEST, Instant.now());

        ValidRecipientStore.ImportResult added = store.importLines("example.com",
                List.of("# staff", "Bob@example.com", "alice@example.com", "", "alice@example.com").iterator(), false, "", TestActor.TEST, Instant.now());
        assertThat(added).isEqualTo(new ValidRecipientStore.ImportResult(3, 1, 3, false));
        assertThat(added.added()).isEqualTo(2);
        assertThat(export(store, "example.com")).containsExactly("alice@example.com", "bob@example.com", "old@example.com");

        ValidRecipientStore.ImportResult replaced = store.importLines("example.com",
                List.of("carol@example.com", "alice@example.com").iterator(), true, "", TestActor.TEST, Instant.now());
        assertThat(replaced).isEqualTo(new ValidRecipientStore.ImportResult(2, 3, 2, true));
        assertThat(export(store, "example.com")).containsExactly("alice@example.com", "carol@example.com");
    }

    @Test
    void importReportsEveryInvalidLineByNumberAndChangesNothing() {
        ValidRecipientStore store = store();
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        List<String> file = List.of("bob@example.com", "# comment", "carol@example.org", "dave@example.com", "no-at-sign",
                "Name,Department");
        assertThatThrownBy(() -> store.importLines("example.com", file.iterator(), true, "", TestActor.TEST, Instant.now()))
                .isInstanceOfSatisfying(InvalidEntriesException.class, e -> {
                    assertThat(e.count()).isEqualTo(3);
                    assertThat(e.problems()).containsExactly(
                            "line 3: \"carol@example.org\" is not an address of example.com",
                            "line 5: \"no-at-sign\" is not an address: expected alice@example.com, or @example.com "
                                    + "for every address of the domain",
                            "line 6: no address on this line (expected one address, or CSV with a field holding an "
                                    + "address): \"Name,Department\"");
                });
        assertThat(export(store, "example.com")).containsExactly("alice@example.com");
        assertThat(store.revision()).isEqualTo(1);
    }

    @Test
    void importKeepsTheFirstProblemsAndCountsTheRest() {
        List<String> file = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            file.add("user" + i + "@example.org");
        }
        assertThatThrownBy(() -> store().importLines("example.com", file.iterator(), false, "", TestActor.TEST, Instant.now()))
                .isInstanceOfSatisfying(InvalidEntriesException.class, e -> {
                    assertThat(e.count()).isEqualTo(50);
                    assertThat(e.problems()).hasSize(InvalidEntriesException.MAX_PROBLEMS);
                    assertThat(e.getMessage()).contains("... and 30 more");
                });
    }

    @Test
    void importReadsCsv() {
        ValidRecipientStore store = store();
        store.importLines("example.com", List.of("\uFEFFname,email", "Alice,alice@example.com",
                "\"Smith, Bob\";BOB@EXAMPLE.COM").iterator(), false, "", TestActor.TEST, Instant.now());
        assertThat(export(store, "example.com")).containsExactly("alice@example.com", "bob@example.com");
    }

    @Test
    void importOfAMillionAddressesKeepsThemAll() {
        ValidRecipientStore store = store();
        ValidRecipientStore.ImportResult result = store.importLines("example.com", generatedLines(1_000_000, "example.com"), true, "", TestActor.TEST, Instant.now());
        assertThat(result.after()).isEqualTo(1_000_000);
        assertThat(store.count("example.com")).isEqualTo(1_000_000);
        AtomicLong exported = new AtomicLong();
        store.forEachEntry("example.com", entry -> exported.incrementAndGet());
        assertThat(exported).hasValue(1_000_000);
        assertThat(store.search("example.com", "user999999@", 10)).containsExactly("user999999@example.com");
    }

    @Test
    void listsOfDifferentDomainsAreSeparate() {
        ValidRecipientStore store = store();
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        store.add("example.org", List.of("alice@example.org", "bob@example.org"), TestActor.TEST, Instant.now());
        store.importLines("example.org", List.of("carol@example.org").iterator(), true, "", TestActor.TEST, Instant.now());
        assertThat(export(store, "example.com")).containsExactly("alice@example.com");
        assertThat(store.counts()).containsExactly(Map.entry("example.com", 1L), Map.entry("example.org", 1L));
        assertThat(store.count("example.net")).isZero();
    }

    @Test
    void internationalDomainsAreStoredInAsciiForm() {
        ValidRecipientStore store = store();
        store.add("bücher.example", List.of("Jörg@bücher.example", "anna@xn--bcher-kva.example"), TestActor.TEST, Instant.now());
        assertThat(export(store, "xn--bcher-kva.example"))
                .containsExactly("anna@xn--bcher-kva.example", "jörg@xn--bcher-kva.example");
        assertThat(store.counts()).containsOnlyKeys("xn--bcher-kva.example");
    }

    @Test
    void revisionsChangeWithEveryChangeAndOnlyThen() {
        ValidRecipientStore store = store();
        assertThat(store.revision()).isZero();
        assertThat(store.revisions()).isEmpty();

        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now());
        assertThat(store.revision()).isEqualTo(1);
        store.add("example.com", List.of("alice@example.com"), TestActor.TEST, Instant.now()); // already there: no change
        store.remove("example.com", List.of("nobody@example.com"), TestActor.TEST, Instant.now());
        assertThat(store.revision()).isEqualTo(1);

        store.add("example.org", List.of("bob@example.org"), TestActor.TEST, Instant.now());
        store.importLines("example.com", List.of("carol@example.com").iterator(), true, "", TestActor.TEST, Instant.now());
        store.remove("example.com", List.of("carol@example.com"), TestActor.TEST, Instant.now());
        assertThat(store.revision()).isEqualTo(4);
        assertThat(store.revisions()).containsOnly(Map.entry("example.com", 3L), Map.entry("example.org", 1L));
    }

    @Test
    void searchFindsEntriesContainingTheTextIgnoringCase() {
        ValidRecipientStore store = store();
        store.add("example.com", List.of("alice@example.com", "malice@example.com", "bob@example.com",
                "a_b@example.com", "a%b@example.com", "axb@example.com"), TestActor.TEST, Instant.now());
        assertThat(store.search("example.com", "ALICE", 10)).containsExactly("alice@example.com", "malice@example.com");
        assertThat(store.search("example.com", "ALICE", 1)).containsExactly("alice@example.com");
        assertThat(store.search("example.com", "a_b", 10)).containsExactly("a_b@example.com");
        assertThat(store.search("example.com", "a%b", 10)).containsExactly("a%b@example.com");
        assertThat(store.search("example.com", "nobody", 10)).isEmpty();
    }

    @Test
    void messageLogWritesEntriesAndFindsThemNewestFirst() {
        try (MessageLog log = MessageLog.start(database(), quickSettings(), Clock.systemUTC())) {
            log.record(rcpt(NOW, "192.0.2.1", "<spammer@bad.example>", "<nobody@example.com>", "reject", "not_in_valid_list"));
            log.record(rcpt(NOW.plusSeconds(1), "192.0.2.2", "<Friend@Good.example>", "<alice@example.com>", "accept", "valid_list"));
            log.record(new LogEntry(NOW.plusSeconds(2), LogEntry.Kind.DELIVERY, "mail1.internal", "", "<friend@good.example>",
                    "<alice@example.com>", "delivered", "", "250 2.0.0 Ok", "Q1"));
            assertThat(log.flush(Duration.ofSeconds(10))).isTrue();

            assertThat(log.search(LogQuery.newest(10))).extracting(LogEntry::verdict)
                    .containsExactly("delivered", "accept", "reject");
            assertThat(log.search(LogQuery.newest(10).sender("FRIEND@good"))).hasSize(2);
            assertThat(log.search(LogQuery.newest(10).recipient("alice@").verdict("accept")))
                    .containsExactly(rcpt(NOW.plusSeconds(1), "192.0.2.2", "<Friend@Good.example>", "<alice@example.com>",
                            "accept", "valid_list"));
            assertThat(log.search(LogQuery.newest(10).client("192.0.2.1"))).extracting(LogEntry::reason)
                    .containsExactly("not_in_valid_list");
            assertThat(log.search(LogQuery.newest(10).from(NOW.plusSeconds(1)).to(NOW.plusSeconds(2))))
                    .extracting(LogEntry::verdict).containsExactly("accept");
            assertThat(log.search(LogQuery.newest(10).sender("%"))).isEmpty();
        }
    }

    @Test
    void messageLogKeepsHostileTextAsPlainData() {
        String helo = "evil\u0000host\r\n<script>alert(1)</script>'; DROP TABLE message_log; --";
        try (MessageLog log = MessageLog.start(database(), quickSettings(), Clock.systemUTC())) {
            log.record(new LogEntry(NOW, LogEntry.Kind.RCPT, "192.0.2.1", helo, "<a@b.example>", "<c@example.com>",
                    "reject", "relay_denied", "554 5.7.1 Relay access denied", ""));
            log.record(new LogEntry(NOW, LogEntry.Kind.RCPT, "192.0.2.1", "x".repeat(5000), "", "", "reject", "", "", ""));
            assertThat(log.flush(Duration.ofSeconds(10))).isTrue();
            List<LogEntry> found = log.search(LogQuery.newest(10));
            assertThat(found).extracting(LogEntry::helo).contains(
                    "evil?host??<script>alert(1)</script>'; DROP TABLE message_log; --", "x".repeat(LogEntry.MAX_LENGTH));
        }
    }

    @Test
    void purgeDeletesOnlyOlderEntries() {
        try (MessageLog log = MessageLog.start(database(), quickSettings(), Clock.systemUTC())) {
            for (int i = 0; i < 25_000; i++) {
                log.record(rcpt(NOW.minus(40, ChronoUnit.DAYS).plusMillis(i), "192.0.2.1", "<a@b.example>",
                        "<c@example.com>", "reject", "not_in_valid_list"));
            }
            log.record(rcpt(NOW, "192.0.2.1", "<a@b.example>", "<d@example.com>", "accept", "valid_list"));
            assertThat(log.flush(Duration.ofSeconds(30))).isTrue();
            assertThat(log.dropped()).isZero();

            assertThat(log.purgeOlderThan(NOW.minus(30, ChronoUnit.DAYS))).isEqualTo(25_000);
            assertThat(log.search(LogQuery.newest(10))).extracting(LogEntry::recipient).containsExactly("<d@example.com>");
        }
    }

    @Test
    void messageLogKeepsTheNodeOfEachEntryAndSearchesAndCountsPerNode() {
        try (MessageLog gw1 = MessageLog.start(database(), quickSettings(), Clock.systemUTC(), "gw1");
             MessageLog gw2 = MessageLog.start(database(), quickSettings(), Clock.systemUTC(), "gw2")) {
            gw1.record(rcpt(NOW, "192.0.2.1", "<a@b.example>", "<alice@example.com>", "accept", "valid_list"));
            gw2.record(rcpt(NOW.plusSeconds(1), "192.0.2.1", "<a@b.example>", "<bob@example.com>", "reject", "not_in_valid_list"));
            gw2.record(rcpt(NOW.plusSeconds(2), "192.0.2.1", "<a@b.example>", "<carol@example.com>", "accept", "valid_list"));
            assertThat(gw1.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(gw2.flush(Duration.ofSeconds(10))).isTrue();

            assertThat(gw1.searchWithNodes(LogQuery.newest(10))).extracting(LoggedEntry::node)
                    .containsExactly("gw2", "gw2", "gw1");
            assertThat(gw1.search(LogQuery.newest(10).node("gw2"))).extracting(LogEntry::recipient)
                    .containsExactly("<carol@example.com>", "<bob@example.com>");
            assertThat(gw1.search(LogQuery.newest(10).node("gw"))).isEmpty(); // exact, not contained
            assertThat(gw1.countsByMinute(NOW.minusSeconds(60), NOW.plusSeconds(60), "gw1"))
                    .extracting(MessageLog.MinuteCount::verdict, MessageLog.MinuteCount::count)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("accept", 1L));
            assertThat(gw1.countsByMinute(NOW.minusSeconds(60), NOW.plusSeconds(60)))
                    .extracting(MessageLog.MinuteCount::count).containsExactlyInAnyOrder(2L, 1L);
        }
    }

    @Test
    void nodeTableKeepsOneRowPerNodeWithItsLastHeartbeat() {
        NodeTable nodes = new NodeTable(database());
        Duration interval = Duration.ofSeconds(5);
        NodeTable.Node first = new NodeTable.Node("gw1", "1.0", NOW, NOW, interval, 3, 7, List.of());
        NodeTable.Node later = new NodeTable.Node("gw1", "1.0", NOW, NOW.plusSeconds(5), interval, 4, 2,
                List.of("cache: degraded", "store: degraded"));
        NodeTable.Node other = new NodeTable.Node("gw0", "0.9", NOW.minusSeconds(60), NOW.minusSeconds(30), interval, 0, 0,
                List.of());

        assertThat(nodes.beat(first)).isEmpty();
        assertThat(nodes.beat(later)).contains(first);
        assertThat(nodes.beat(other)).isEmpty();

        assertThat(nodes.all()).containsExactly(other, later);
        assertThat(later.stale(NOW.plusSeconds(20))).isFalse();
        assertThat(later.stale(NOW.plusSeconds(21))).isTrue();
        assertThat(later.ageSeconds(NOW.plusSeconds(20))).isEqualTo(15);
    }

    @Test
    void nodeTableForgetsNodesSilentForAWeek() {
        NodeTable nodes = new NodeTable(database());
        Duration interval = Duration.ofSeconds(5);
        nodes.beat(new NodeTable.Node("gone", "1.0", NOW, NOW, interval, 0, 0, List.of()));
        nodes.beat(new NodeTable.Node("quiet", "1.0", NOW, NOW.plus(Duration.ofDays(1)), interval, 0, 0, List.of()));

        nodes.beat(new NodeTable.Node("gw1", "1.0", NOW, NOW.plus(NodeTable.FORGET_AFTER).plusSeconds(1), interval, 0, 0,
                List.of()));

        assertThat(nodes.all()).extracting(NodeTable.Node::name).containsExactly("gw1", "quiet");
    }

    static MessageLog.Settings quickSettings() {
        return new MessageLog.Settings(100_000, 1000, Duration.ZERO, Duration.ofDays(30), Duration.ofHours(1));
    }

    static LogEntry rcpt(Instant at, String client, String sender, String recipient, String verdict, String reason) {
        return new LogEntry(at, LogEntry.Kind.RCPT, client, "client.example", sender, recipient, verdict, reason,
                verdict.equals("accept") ? "250 2.1.5 Ok" : "550 5.1.1 no such user here", "");
    }
}
