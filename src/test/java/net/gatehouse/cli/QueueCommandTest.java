package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.smtp.protocol.MailDsn;
import net.gatehouse.smtp.protocol.RcptDsn;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse queue}, run in-process on a spool as the gateway leaves it (no gateway running:
 * what a running one does with the changes is {@code QueueToolsIT}'s part).
 */
class QueueCommandTest {

    private static final String CONTENT = "Received: from client.test\r\nSubject: waiting\r\n\r\nThe body.\r\n";

    @TempDir
    Path directory;

    private Path config;
    private Spool spool;

    @BeforeEach
    void writeConfigAndSpool() throws Exception {
        config = directory.resolve("gatehouse.yaml");
        Files.writeString(config, """
                hostname: gw.test
                data_dir: data
                policy:
                  domains:
                    - { name: example.com, backend: ["127.0.0.1:2526"] }
                """);
        spool = new Spool(directory.resolve("data/spool"), 0);
    }

    private CommandRun queue(String verb, String... args) {
        String[] full = new String[args.length + 4];
        full[0] = "queue";
        full[1] = verb;
        full[2] = "--config";
        full[3] = config.toString();
        System.arraycopy(args, 0, full, 4, args.length);
        return CommandRun.of("", full);
    }

    private QueueId queued(String sender, String... recipients) throws Exception {
        QueueId id = QueueId.next(System.currentTimeMillis());
        try (Spool.Writer writer = spool.begin(new Envelope(id, Instant.now().minusSeconds(3700), "192.0.2.1",
                "client.test", sender, List.of(recipients), false))) {
            writer.content().write(CONTENT.getBytes(StandardCharsets.US_ASCII));
            writer.commit();
        }
        return id;
    }

    /** What the delivery agent appends after an attempt (the journal's format, Spool and Journal). */
    private void journal(QueueId id, String... lines) throws Exception {
        Files.writeString(directory.resolve("data/spool/active/" + id + ".done"), String.join("\n", lines) + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void anEmptyQueueSaysSoAsMailqDoes() {
        CommandRun list = queue("list");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).isEqualTo("Mail queue is empty\n");
    }

    @Test
    void listShowsEachMessageAsMailqWithTheLastReasonOfEachPendingRecipientAndATotal() throws Exception {
        QueueId deferred = queued("<sender@example.org>", "<alice@example.com>", "<bob@example.com>",
                "<carol@example.com>");
        journal(deferred,
                "done\t1\t2026-11-23T10:00:00Z\t<bob@example.com>\tmx[192.0.2.25]:25\t250 2.0.0 Ok",
                "deferred\t1\t2026-11-23T10:00:00Z\t<alice@example.com>\tmx[192.0.2.25]:25\t450 4.2.0 Mailbox busy",
                "deferred\t1\t2026-11-23T10:00:00Z\t<carol@example.com>\tnone\t451 4.4.1 No server could be reached");
        QueueId fresh = queued("<>", "<dave@example.com>");

        CommandRun list = queue("list");

        assertThat(list.exitCode()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines.getFirst()).isEqualTo("----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------");
        assertThat(lines.get(1)).startsWith(String.format("%-17s %8d ", deferred, CONTENT.length()))
                .matches(".* \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d sender@example\\.org");
        // reasons end in column 78, as Postfix's showq_compat.c prints them
        assertThat(lines.get(2)).isEqualTo(String.format("%78s", "(host mx[192.0.2.25]:25 said: 450 4.2.0 Mailbox busy)"));
        assertThat(lines.get(3)).isEqualTo(" ".repeat(47) + "alice@example.com");
        assertThat(lines.get(4)).isEqualTo(String.format("%78s", "(451 4.4.1 No server could be reached)"));
        assertThat(lines.get(5)).isEqualTo(" ".repeat(47) + "carol@example.com");
        assertThat(list.out()).doesNotContain("bob@example.com");
        assertThat(lines.get(6)).isEmpty();
        assertThat(lines.get(7)).startsWith(fresh + "*").endsWith(" MAILER-DAEMON");
        assertThat(lines.get(8)).isEqualTo(" ".repeat(47) + "dave@example.com");
        assertThat(lines.subList(9, lines.size())).containsExactly("", "-- 0 Kbytes in 2 Requests.");
    }

    @Test
    void listMarksHeldMessagesWithAnExclamationMark() throws Exception {
        QueueId id = queued("<sender@example.org>", "<alice@example.com>");
        assertThat(queue("hold", id.value()).exitCode()).isZero();
        assertThat(queue("list").out()).contains(id + "!").contains("1 Request.");
    }

    @Test
    void listAsJsonUsesPostqueuesFieldNames() throws Exception {
        QueueId id = queued("<sender@example.org>", "<alice@example.com>");
        journal(id, "deferred\t2\t2026-11-23T10:00:00Z\t<alice@example.com>\tnone\t451 4.4.1 Refused");

        CommandRun list = queue("list", "--json");

        assertThat(list.exitCode()).isZero();
        assertThat(list.out().lines()).singleElement().asString()
                .startsWith("{\"queue_name\":\"deferred\",\"queue_id\":\"" + id + "\",\"arrival_time\":")
                .contains("\"sender\":\"sender@example.org\",\"attempts\":2,\"recipients\":[{\"address\":"
                        + "\"alice@example.com\",\"delay_reason\":\"451 4.4.1 Refused\"}]}");
    }

    @Test
    void showPrintsTheDsnParametersAsTheyAreRelayed() throws Exception {
        QueueId id = QueueId.next(System.currentTimeMillis());
        Envelope envelope = new Envelope(id, Instant.now(), "192.0.2.1", "client.test", "<sender@example.org>",
                List.of("<alice@example.com>", "<bob@example.com>"), false,
                new MailDsn(Optional.of(MailDsn.Ret.HDRS), Optional.of("QQ+2B314")),
                Map.of("<alice@example.com>", new RcptDsn(Set.of(RcptDsn.Notify.FAILURE, RcptDsn.Notify.SUCCESS),
                        Optional.of("rfc822;alice@old.example"))));
        try (Spool.Writer writer = spool.begin(envelope)) {
            writer.content().write(CONTENT.getBytes(StandardCharsets.US_ASCII));
            writer.commit();
        }

        String shown = queue("show", id.value()).out();

        assertThat(shown).contains("dsn_ret:       HDRS\ndsn_envid:     QQ+2B314\n",
                "recipient:     <alice@example.com>\n  dsn_notify:  SUCCESS,FAILURE\n"
                        + "  dsn_orcpt:   rfc822;alice@old.example\n",
                "recipient:     <bob@example.com>\n  state:");
    }

    @Test
    void showPrintsTheEnvelopeEachRecipientsStateAndTheHeaderOrWithBodyTheWholeMessage() throws Exception {
        QueueId id = queued("<sender@example.org>", "<alice@example.com>", "<bob@example.com>");
        journal(id, "done\t1\t2026-11-23T10:00:00Z\t<bob@example.com>\tmx[192.0.2.25]:25\t250 2.0.0 Ok",
                "deferred\t1\t2026-11-23T10:00:00Z\t<alice@example.com>\tmx[192.0.2.25]:25\t450 4.2.0 Mailbox busy");

        CommandRun show = queue("show", id.value());

        assertThat(show.exitCode()).isZero();
        assertThat(show.out()).contains("queue_id:      " + id, "state:         deferred", "sender:        <sender@example.org>",
                "message_size:  " + CONTENT.length(), "attempts:      1", "client:        192.0.2.1",
                "recipient:     <alice@example.com>\n  state:       deferred in attempt 1, 2026-11-23T10:00:00Z\n"
                        + "  last_reply:  host mx[192.0.2.25]:25 said: 450 4.2.0 Mailbox busy",
                "recipient:     <bob@example.com>\n  state:       delivered in attempt 1",
                "*** MESSAGE HEADER " + id + " ***\nReceived: from client.test\nSubject: waiting\n*** END OF MESSAGE")
                .doesNotContain("The body.").doesNotContain("\r");
        assertThat(queue("show", id.value(), "--body").out())
                .contains("*** MESSAGE CONTENTS " + id + " ***\nReceived: from client.test\nSubject: waiting\n\nThe body.\n"
                        + "*** END OF MESSAGE " + id + " ***\n");
    }

    @Test
    void holdReleaseAndRequeueChangeTheJournalAndAskTheGatewayToLookAgain() throws Exception {
        QueueId id = queued("<sender@example.org>", "<alice@example.com>");
        journal(id, "deferred\t3\t2026-11-23T10:00:00Z\t<alice@example.com>\tnone\t451 4.4.1 Refused");

        CommandRun hold = queue("hold", id.value());
        assertThat(hold.exitCode()).isZero();
        assertThat(hold.out()).isEqualTo(id + ": placed on hold\n");
        assertThat(hold.err()).contains("an attempt already under way may still complete");
        assertThat(spool.read(id).orElseThrow().journal().held()).isTrue();
        assertThat(spool.reviewRequests()).containsExactly(id);
        assertThat(queue("hold", id.value()).out()).isEqualTo(id + ": already on hold\n");
        assertThat(queue("show", id.value()).out()).contains("state:         on hold");

        spool.reviewed(id);
        assertThat(queue("release", id.value()).out()).isEqualTo(id + ": released from hold\n");
        assertThat(spool.read(id).orElseThrow().journal().held()).isFalse();
        assertThat(spool.read(id).orElseThrow().journal().attempts()).isEqualTo(3);
        assertThat(spool.reviewRequests()).containsExactly(id);
        assertThat(queue("release", id.value()).out()).isEqualTo(id + ": not on hold\n");

        assertThat(queue("requeue", id.value()).out()).isEqualTo(id + ": requeued\n");
        assertThat(spool.read(id).orElseThrow().journal().attempts()).isZero();
        assertThat(queue("list").out()).contains(id + "*").doesNotContain("Refused");
    }

    @Test
    void allActsOnEveryMessage() throws Exception {
        QueueId first = queued("<sender@example.org>", "<alice@example.com>");
        QueueId second = queued("<sender@example.org>", "<bob@example.com>");

        assertThat(queue("hold", "--all").out()).isEqualTo(first + ": placed on hold\n" + second + ": placed on hold\n");
        assertThat(queue("release", "--all").out()).isEqualTo(first + ": released from hold\n" + second
                + ": released from hold\n");
        assertThat(queue("requeue", "--all").exitCode()).isZero();
        assertThat(queue("delete", "--all").out()).isEqualTo(first + ": removed\n" + second + ": removed\n");
        assertThat(spool.ids()).isEmpty();
        assertThat(queue("list").out()).isEqualTo("Mail queue is empty\n");
    }

    @Test
    void flushAsksForAllOrForTheNamedMessagesButNotForHeldOnes() throws Exception {
        QueueId waiting = queued("<sender@example.org>", "<alice@example.com>");
        QueueId held = queued("<sender@example.org>", "<bob@example.com>");
        spool.hold(held, Instant.now());

        assertThat(queue("flush").out()).isEqualTo("flush requested\n");
        assertThat(spool.takeFlushRequest()).isTrue();

        CommandRun named = queue("flush", waiting.value(), held.value());
        assertThat(named.exitCode()).isEqualTo(QueueCommand.EXIT_INCOMPLETE);
        assertThat(named.out()).isEqualTo(waiting + ": flush requested\n");
        assertThat(named.err()).contains(held + ": on hold");
        assertThat(spool.reviewRequests()).containsExactly(waiting);
    }

    @ParameterizedTest(name = "{0} of an unknown ID exits 1 naming it")
    @ValueSource(strings = {"show", "hold", "release", "requeue", "delete", "flush"})
    void anUnknownIdExitsOneNamingIt(String verb) throws Exception {
        QueueId known = queued("<sender@example.org>", "<alice@example.com>");
        QueueId unknown = QueueId.next(System.currentTimeMillis());

        CommandRun run = verb.equals("show") ? queue(verb, unknown.value()) : queue(verb, known.value(), unknown.value());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("gatehouse: " + unknown + ": not in the queue");
        assertThat(queue(verb, "not-an-id").err()).contains("not-an-id: not in the queue (a queue ID is 13 characters");
    }

    @ParameterizedTest(name = "{0} needs IDs or --all, not both")
    @ValueSource(strings = {"hold", "release", "requeue", "delete"})
    void idsOrAllIsAUsageError(String verb) throws Exception {
        QueueId id = queued("<sender@example.org>", "<alice@example.com>");
        assertThat(queue(verb).exitCode()).isEqualTo(2);
        CommandRun both = queue(verb, "--all", id.value());
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("name queue IDs, or give --all (not both)");
        assertThat(spool.read(id)).isPresent();
    }

    @Test
    void aConfigurationWithoutAQueueListsItEmptyAndActsOnNothingWithoutCreatingOne() throws Exception {
        Files.writeString(config, "hostname: gw.test\ndata_dir: elsewhere\n");
        CommandRun list = queue("list");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains("Mail queue is empty");
        CommandRun hold = queue("hold", "--all");
        assertThat(hold.exitCode()).isEqualTo(1);
        assertThat(hold.err()).contains("no queue in").contains("elsewhere");
        assertThat(directory.resolve("elsewhere")).doesNotExist();
    }

    @Test
    void aBadConfigurationExitsTwo() throws Exception {
        Files.writeString(config, "hostname: gw.test\ndata_dir: data\nsmtp:\n  max_recipients: lots\n");
        assertThat(queue("list").exitCode()).isEqualTo(Main.EXIT_BAD_CONFIG);
    }

    @ParameterizedTest(name = "queue {0} --help")
    @ValueSource(strings = {"list", "show", "hold", "release", "flush", "requeue", "delete"})
    void everyVerbHasHelpWithItsExitCodes(String verb) {
        CommandRun help = CommandRun.of("", "queue", verb, "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("Usage: gatehouse queue " + verb).contains("Exit codes: 0 done; 1 a named message");
    }
}
