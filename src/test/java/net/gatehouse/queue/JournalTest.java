package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import net.gatehouse.smtp.protocol.Reply;
import org.junit.jupiter.api.Test;

/** The journal's records as text, read back: what survives a crash, an older or a newer version. */
class JournalTest {

    private static final Instant ARRIVAL = Instant.parse("2026-11-23T10:00:00Z");
    private static final Instant AT = Instant.parse("2026-11-23T10:05:00Z");

    private static String deferred(int attempt, String recipient, String reply) {
        return Journal.resultLine(attempt, AT, recipient, Outcome.of(Reply.of(Integer.parseInt(reply.substring(0, 3)),
                reply.substring(4, 9), reply.substring(10)), "mx.test[192.0.2.1]:25"));
    }

    @Test
    void aJournalNobodyWroteSaysNothingHappenedYet() {
        Journal journal = Journal.parse("", ARRIVAL);
        assertThat(journal).isEqualTo(Journal.empty(ARRIVAL));
        assertThat(journal.lifetimeStart()).isEqualTo(ARRIVAL);
        assertThat(journal.finished()).isEmpty();
    }

    @Test
    void theLastDeferralOfARecipientIsItsReason() {
        Journal journal = Journal.parse(deferred(1, "<a@x.test>", "450 4.2.0 Greylisted")
                + deferred(2, "<a@x.test>", "452 4.2.2 Mailbox full"), ARRIVAL);
        assertThat(journal.attempts()).isEqualTo(2);
        assertThat(journal.result("<a@x.test>").orElseThrow().reply()).isEqualTo("452 4.2.2 Mailbox full");
        assertThat(journal.result("<a@x.test>").orElseThrow().relay()).isEqualTo("mx.test[192.0.2.1]:25");
    }

    @Test
    void repliesWithTabsAndLineBreaksStayOneField() {
        String line = Journal.resultLine(1, AT, "<a@x.test>",
                Outcome.of(new Reply(450, "4.2.0", java.util.List.of("busy\tnow", "line\r\ntwo")), "none"));
        assertThat(line.chars().filter(c -> c == '\n')).hasSize(1);
        assertThat(Journal.parse(line, ARRIVAL).result("<a@x.test>").orElseThrow().reply())
                .isEqualTo("450 4.2.0 busy now / line  two");
    }

    @Test
    void holdAndReleaseTheLastOneCounts() {
        assertThat(Journal.parse(Journal.actionLine(Journal.HOLD, AT), ARRIVAL).held()).isTrue();
        assertThat(Journal.parse(Journal.actionLine(Journal.HOLD, AT) + Journal.actionLine(Journal.RELEASE, AT), ARRIVAL)
                .held()).isFalse();
        assertThat(Journal.parse(Journal.actionLine(Journal.HOLD, AT) + Journal.actionLine(Journal.RELEASE, AT)
                + Journal.actionLine(Journal.HOLD, AT), ARRIVAL).held()).isTrue();
    }

    @Test
    void attemptsAfterARequeueCountFromOne() {
        Instant requeued = AT.plusSeconds(60);
        Journal journal = Journal.parse(deferred(7, "<a@x.test>", "450 4.2.0 Busy")
                + Journal.actionLine(Journal.REQUEUE, requeued) + deferred(1, "<a@x.test>", "451 4.3.0 Later"), ARRIVAL);
        assertThat(journal.attempts()).isEqualTo(1);
        assertThat(journal.requeued()).isTrue();
        assertThat(journal.lifetimeStart()).isEqualTo(requeued);
        assertThat(journal.result("<a@x.test>").orElseThrow().reply()).isEqualTo("451 4.3.0 Later");
    }

    @Test
    void aDeferralNeverUndoesAFinishedRecipient() {
        String done = Journal.resultLine(1, AT, "<a@x.test>", Outcome.of(Reply.of(250, "2.0.0", "Ok"), "none"));
        Journal journal = Journal.parse(done + deferred(2, "<a@x.test>", "450 4.2.0 Busy"), ARRIVAL);
        assertThat(journal.finished()).containsExactly("<a@x.test>");
        assertThat(journal.result("<a@x.test>").orElseThrow().delivered()).isTrue();
    }

    @Test
    void garbledUnknownAndUnfinishedLinesAreSkipped() {
        String text = "\0\0\0\n" + "deferred\tx\tnot a time\t<a@x.test>\tnone\t450\n" + "compress\tsomething new\n"
                + deferred(1, "<b@x.test>", "450 4.2.0 Busy") + "done\t2\t2026-11-23T10:0";
        Journal journal = Journal.parse(text, ARRIVAL);
        assertThat(journal.recipients()).containsOnlyKeys("<b@x.test>");
        assertThat(journal.finished()).isEmpty();
    }
}
