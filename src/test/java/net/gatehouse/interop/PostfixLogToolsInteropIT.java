package net.gatehouse.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.ExternalCommand;
import net.gatehouse.testing.LoopbackPorts;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's log, as {@code log.format: postfix} writes it by default, read by the tools that
 * read Postfix's log, from Debian's packages: pflogsumm counts exactly the messages received,
 * delivered, deferred, bounced and the recipients rejected, fail2ban's stock {@code postfix}
 * filter matches the rejects of a client harvesting addresses, and postfix_exporter counts the
 * lines as Postfix's. With {@code log.format: json}, every line is one JSON object.
 */
class PostfixLogToolsInteropIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String HARVESTER = "127.0.0.9";
    private static final String FAIL2BAN_FILTER = "/etc/fail2ban/filter.d/postfix.conf";
    private static final Pattern TOTAL = Pattern.compile("^\\s*(\\d+)\\s+(received|delivered|deferred|bounced|rejected)\\b(.*)$");

    @TempDir
    static Path directory;

    private static String pflogsumm;
    private static String fail2banRegex;
    private static String postfixExporter;
    private static TestBackend mailhost;
    private static TestBackend later;
    private static PackagedGateway gateway;
    private static Path log;

    /**
     * What happens, and so what the tools must count: from 127.0.0.1, six messages (four recipients
     * delivered, two deferred by a back-end answering 450, one bounced by a back-end answering 550,
     * whose DSN to the sender is delivered too) and three recipients refused (two unknown, one
     * relay); from {@value #HARVESTER}, four unknown recipients refused with 550, then the fifth
     * with 421 when harvest protection blocks the client.
     */
    @BeforeAll
    static void runMailThroughTheGateway() throws Exception {
        pflogsumm = ExternalCommand.require("pflogsumm", "pflogsumm");
        fail2banRegex = ExternalCommand.require("fail2ban-regex", "fail2ban");
        postfixExporter = ExternalCommand.require("prometheus-postfix-exporter", "prometheus-postfix-exporter");
        mailhost = TestBackend.start().rejectRecipient("gone@example.test");
        later = TestBackend.start().tempFailRecipient("x@later.test").tempFailRecipient("y@later.test");
        gateway = PackagedGateway.start(TestGateway.in(directory.resolve("postfix"))
                .domain("{ name: example.test, backend: [\"" + mailhost.hostPort() + "\"], verification: valid_list,"
                        + " valid_recipients: [alice@example.test, bob@example.test, gone@example.test] }")
                .domain("{ name: later.test, backend: [\"" + later.hostPort() + "\"], verification: none }")
                .policy("harvest: { tarpit_after: 5, tarpit_delay: 0s, block_after: 5 }")
                .delivery("min_backoff: 1h").delivery("max_backoff: 1h"));

        try (SmtpTestClient client = SmtpTestClient.connect(gateway.port())) {
            client.command("EHLO client.test");
            send(client, "carol@sender.test", "alice@example.test");
            send(client, "carol@sender.test", "bob@example.test");
            send(client, "carol@sender.test", "alice@example.test", "bob@example.test", "nobody1@example.test");
            send(client, "carol@sender.test", "nobody2@example.test", "someone@elsewhere.test", "x@later.test");
            send(client, "carol@sender.test", "y@later.test");
            send(client, "sender@example.test", "gone@example.test");
            client.command("QUIT");
        }
        try (SmtpTestClient harvester = SmtpTestClient.connectFrom(HARVESTER, gateway.port())) {
            harvester.command("EHLO harvester.test");
            harvester.command("MAIL FROM:<>");
            List<Integer> codes = new ArrayList<>();
            for (int i = 1; i <= 10 && !codes.contains(421); i++) {
                codes.add(harvester.command("RCPT TO:<guess" + i + "@example.test>").code());
            }
            assertThat(codes).containsExactly(550, 550, 550, 550, 421);
        }

        Awaitility.await().atMost(WAIT).until(() -> gateway.logLines("status=sent ").size() == 5
                && gateway.logLines("status=deferred ").size() == 2 && gateway.logLines("status=bounced ").size() == 1
                && gateway.logLines("smtpd\\[\\d+]: disconnect from ").size() == 2
                // the last delivery's "removed" line follows its status line: wait for it too
                && gateway.logLines("qmgr\\[\\d+]: [0-9A-Z]+: removed").size() == 5);
        assertThat(mailhost.transactions()).anyMatch(t -> t.recipients().contains("sender@example.test")); // the DSN
        log = directory.resolve("mail.log");
        Files.write(log, gateway.log());
    }

    private static void send(SmtpTestClient client, String from, String... to) throws Exception {
        Reply reply = client.sendMail(from, List.of(to), "Subject: log tools\r\nMessage-ID: <" + System.nanoTime()
                + "@sender.test>\r\n\r\nHello.\r\n");
        assertThat(reply.code()).as("the message to %s", List.of(to)).isEqualTo(250);
    }

    @AfterAll
    static void stop() throws Exception {
        try (TestBackend m = mailhost; TestBackend l = later) {
            if (gateway != null) {
                gateway.close();
            }
        }
    }

    /** pflogsumm's "Grand Totals": each count by its word, and what follows it on the line, blanks collapsed. */
    private static Map<String, String> totals(String... options) {
        List<String> command = new ArrayList<>(List.of(pflogsumm));
        command.addAll(List.of(options));
        command.add(log.toString());
        String summary = ExternalCommand.run(Duration.ofSeconds(60), command).orFail().output();
        Map<String, String> totals = new LinkedHashMap<>();
        summary.lines().takeWhile(line -> !line.startsWith("Per-")).map(TOTAL::matcher).filter(Matcher::matches)
                .forEach(m -> totals.putIfAbsent(m.group(2), (m.group(1) + m.group(3)).replaceAll("\\s+", " ")));
        assertThat(totals).as(summary).containsOnlyKeys("received", "delivered", "deferred", "bounced", "rejected");
        return totals;
    }

    @Test
    void pflogsummCountsExactlyTheMessagesReceivedDeliveredDeferredBouncedAndTheRecipientsRejected() {
        Map<String, String> totals = totals();

        assertThat(totals.get("received")).isEqualTo("6");
        assertThat(totals.get("delivered")).isEqualTo("5"); // four recipients and the DSN
        assertThat(totals.get("deferred")).isEqualTo("2 (2 deferrals)");
        assertThat(totals.get("bounced")).isEqualTo("1");
        assertThat(totals.get("rejected")).startsWith("8 "); // 3 + the harvester's 4 + its 421
    }

    /** {@code pflogsumm -d today}, as cron runs it, matches syslog's space-padded day ("Dec  6"). */
    @Test
    void pflogsummFindsTheLinesOfTheDayAsWhenRunFromCron() throws Exception {
        String today = DateTimeFormatter.ofPattern("MMM ppd ", Locale.ENGLISH).format(LocalDate.now());
        List<String> lines = Files.readAllLines(log).stream().filter(line -> line.contains(" postfix/")).toList();
        if (!lines.getFirst().startsWith(today) || !lines.getLast().startsWith(today)) {
            return; // the run went past midnight: "today" would not be all of it
        }
        assertThat(totals("-d", "today")).isEqualTo(totals());
    }

    @Test
    void fail2bansPostfixFilterMatchesTheRejectsOfTheHarvestingClient() {
        for (String filter : List.of(FAIL2BAN_FILTER, "postfix[mode=aggressive]")) {
            List<String> addresses = fail2ban("ip", filter);
            List<String> lines = fail2ban("msg", filter);

            // the harvester's four 550s, and the three refusals of the other client; not the 421 of the block
            assertThat(addresses).as(filter).containsExactly("127.0.0.1", "127.0.0.1", "127.0.0.1",
                    HARVESTER, HARVESTER, HARVESTER, HARVESTER);
            assertThat(lines).as(filter).allMatch(line -> line.contains(" postfix/smtpd[")
                    && line.contains(": NOQUEUE: reject: RCPT from unknown["));
            assertThat(lines.stream().filter(line -> line.contains("[" + HARVESTER + "]"))).as(filter)
                    .hasSize(4).allMatch(line -> line.contains(": 550 5.1.1 <guess")
                            && line.contains("Recipient address rejected: User unknown;"));
        }
    }

    /** {@code log.syslog_name: postfix-gatehouse}, beside a Postfix on the same host: the tools still read it. */
    @Test
    void theToolsReadAPostfixStyleInstanceName() throws Exception {
        Path renamed = directory.resolve("mail-instance.log");
        Files.write(renamed, Files.readAllLines(log).stream().map(line -> line.replace(" postfix/", " postfix-gatehouse/")).toList());
        String summary = ExternalCommand.run(Duration.ofSeconds(60), pflogsumm, "--syslog-name=postfix-gatehouse",
                renamed.toString()).orFail().output();
        List<String> addresses = ExternalCommand.run(Duration.ofSeconds(60), fail2banRegex, "-o", "ip", renamed.toString(),
                FAIL2BAN_FILTER).orFail().output().lines().toList();

        assertThat(summary).containsPattern("\\n\\s+6\\s+received\\n").containsPattern("\\n\\s+5\\s+delivered\\n");
        assertThat(addresses).hasSize(7);
    }

    /**
     * postfix_exporter (Debian's prometheus-postfix-exporter, kumina's) follows a log file from its
     * end, as it follows Postfix's: the lines are appended once it runs, then its metrics scraped.
     */
    @Test
    void postfixExporterCountsTheLinesAsPostfixs() throws Exception {
        Path followed = Files.createFile(directory.resolve("exporter.log"));
        int port = LoopbackPorts.free();
        Process exporter = new ProcessBuilder(postfixExporter, "--web.listen-address=127.0.0.1:" + port,
                "--postfix.logfile_path=" + followed, "--postfix.showq_path=" + directory.resolve("no-showq"))
                .redirectErrorStream(true).redirectOutput(directory.resolve("exporter.out").toFile()).start();
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build();
            Awaitility.await().atMost(WAIT).ignoreExceptions()
                    .until(() -> http.send(scrape, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
            Files.write(followed, Files.readAllLines(log), StandardOpenOption.APPEND);

            // the exporter reads the appended lines at its own pace: scrape until it has counted them all
            Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(
                    http.send(scrape, HttpResponse.BodyHandlers.ofString()).body().lines().toList()).contains(
                    "postfix_smtpd_connects_total 2",
                    "postfix_smtpd_messages_processed_total{sasl_method=\"\"} 6",
                    "postfix_smtpd_messages_rejected_total{code=\"550\"} 6",
                    "postfix_smtpd_messages_rejected_total{code=\"554\"} 1",
                    "postfix_smtpd_messages_rejected_total{code=\"421\"} 1",
                    "postfix_cleanup_messages_processed_total 7",             // six Message-IDs and the DSN's
                    "postfix_qmgr_messages_inserted_receipients_count 7",     // six messages and the DSN
                    "postfix_qmgr_messages_removed_total 5",                  // all but the two deferred
                    "postfix_smtp_status_deferred 2",
                    "postfix_smtp_delivery_delay_seconds_count{stage=\"\"} 32")); // a/b/c/d of 8 delivery lines
        } finally {
            ExternalCommand.destroyTree(exporter.toHandle());
        }
    }

    private static List<String> fail2ban(String out, String filter) {
        return ExternalCommand.run(Duration.ofSeconds(60), fail2banRegex, "-o", out, log.toString(), filter).orFail()
                .output().lines().filter(line -> !line.isBlank()).toList();
    }

    @Test
    void jsonFormatWritesOneObjectPerLineWithTheFieldsOfEachEvent() throws Exception {
        JsonMapper json = JsonMapper.builder().build();
        try (TestBackend backend = TestBackend.start();
             PackagedGateway jsonGateway = PackagedGateway.start(TestGateway.in(directory.resolve("json"))
                     .protect("example.test", backend.hostPort()).log("format: json"))) {
            try (SmtpTestClient client = SmtpTestClient.connect(jsonGateway.port())) {
                client.command("EHLO client\"json.test");
                send(client, "carol@sender.test", "alice@example.test", "someone@elsewhere.test");
                client.command("QUIT");
            }
            jsonGateway.awaitLog("\"status\":\"sent\"", WAIT);
            jsonGateway.awaitLog("\"event\":\"removed\"", WAIT);

            List<JsonNode> objects = new ArrayList<>();
            for (String line : jsonGateway.log()) {
                JsonNode object = json.readTree(line);
                assertThat(object.isObject()).as(line).isTrue();
                assertThat(object.get("ts").asString()).as(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
                assertThat(object.has("level") && object.has("daemon") && object.has("message")).as(line).isTrue();
                objects.add(object);
            }
            JsonNode reject = event(objects, "reject");
            assertThat(reject.get("client").asString()).isEqualTo("127.0.0.1");
            assertThat(reject.get("helo").asString()).isEqualTo("client\"json.test");
            assertThat(reject.get("from").asString()).isEqualTo("carol@sender.test");
            assertThat(reject.get("to").asString()).isEqualTo("someone@elsewhere.test");
            assertThat(reject.get("reply").asString()).isEqualTo("554 5.7.1 Relay access denied");
            assertThat(reject.get("reason").asString()).isEqualTo("relay_denied");
            JsonNode queued = event(objects, "queued");
            String queueId = queued.get("queue_id").asString();
            assertThat(queued.get("to").toString()).isEqualTo("[\"alice@example.test\"]");
            assertThat(queued.get("message_id").asString()).endsWith("@sender.test>");
            JsonNode delivery = event(objects, "delivery");
            assertThat(delivery.get("queue_id").asString()).isEqualTo(queueId);
            assertThat(delivery.get("status").asString()).isEqualTo("sent");
            assertThat(delivery.get("relay").asString()).isEqualTo("127.0.0.1[127.0.0.1]:" + backend.port());
            assertThat(delivery.get("delay").isNumber()).isTrue();
            assertThat(delivery.get("dsn").asString()).isEqualTo("2.0.0");
            assertThat(event(objects, "disconnect").get("commands").asString())
                    .isEqualTo("ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6");
        }
    }

    private static JsonNode event(List<JsonNode> objects, String name) {
        return objects.stream().filter(o -> o.has("event") && o.get("event").asString().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " event in " + objects));
    }
}
