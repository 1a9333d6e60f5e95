package net.gatehouse.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.gatehouse.testing.Dnsmasq;
import net.gatehouse.testing.LoopbackPorts;
import net.gatehouse.testing.PackagedGateway;
import net.gatehouse.testing.PostfixInstance;
import net.gatehouse.testing.Swaks;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * swaks, the administrator's SMTP test tool, against the packaged gateway: SPEC §3's RCPT table
 * row by row, STARTTLS, pipelining, size and recipient limits, the relay tricks and the SMTP
 * smuggling vectors, with a real Postfix as the back-end that verifies and receives.
 */
class SwaksInteropIT {

    @TempDir
    static Path directory;

    private static PostfixInstance backend;
    private static Dnsmasq dns;
    private static PackagedGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        backend = PostfixInstance.named("backend.test")
                .mailboxes("example.test", "alice", "bob", "carol", "dave", "erin", "tempfail", "slow")
                .mailboxes("listed.test", "alice")
                .mailboxes("open.test", "alice")
                // a real back-end's temporary failure and a back-end slower than the callout budget
                .main("smtpd_restriction_classes = slow")
                .main("slow = sleep 3, permit")
                .main("smtpd_recipient_restrictions = check_recipient_access inline:{"
                        + " { tempfail@example.test = 450 4.2.0 Mailbox busy, try later }, slow@example.test=slow },"
                        + " permit_mynetworks, reject_unauth_destination")
                .start();
        dns = Dnsmasq.with("--mx-host=world.test,mx.world.test,10", "--host-record=mx.world.test,127.0.0.1");
        int closedPort = LoopbackPorts.free();
        gateway = PackagedGateway.start(TestGateway.in(directory).tls()
                .protect("example.test", backend.hostPort())
                .domain("{ name: listed.test, backend: [\"" + backend.hostPort() + "\"], verification: valid_list,"
                        + " valid_recipients: [\"alice@listed.test\"] }")
                .domain("{ name: open.test, backend: [\"" + backend.hostPort() + "\"], verification: none }")
                .protect("down.test", "127.0.0.1:" + closedPort)
                .policy("recipient_verification: callout")
                .policy("harvest: { block_after: 0 }")   // this suite sends many unknown recipients on purpose
                .callout("timeout: 1500ms")
                .trust("127.0.0.2/32")
                .smtp("max_recipients: 3")
                .smtp("max_message_size: 20KiB")
                .dns(dns.hostPort(), Duration.ofSeconds(2))
                .remotePort(backend.port()));
    }

    @AfterAll
    static void stop() throws Exception {
        try (PostfixInstance b = backend; Dnsmasq d = dns) {
            if (gateway != null) {
                gateway.close();
            }
        }
    }

    private static Swaks.Transcript swaks(String... args) {
        return Swaks.to(gateway.port(), args);
    }

    @ParameterizedTest(name = "{0} from {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            alice b@example.test              | 127.0.0.1 | 501 5.1.3
            alice@                            | 127.0.0.1 | 501 5.1.3
            alice@exa_mple.test               | 127.0.0.1 | 501 5.1.3
            postmaster                        | 127.0.0.1 | 250 2.1.5
            postmaster@example.test           | 127.0.0.1 | 250 2.1.5
            PostMaster@Listed.Test            | 127.0.0.1 | 250 2.1.5
            someone@world.test                | 127.0.0.2 | 250 2.1.5
            nobody-trusted@example.test       | 127.0.0.2 | 250 2.1.5
            someone@world.test                | 127.0.0.1 | 554 5.7.1
            anyone@open.test                  | 127.0.0.1 | 250 2.1.5
            alice@listed.test                 | 127.0.0.1 | 250 2.1.5
            nobody@listed.test                | 127.0.0.1 | 550 5.1.1
            alice@example.test                | 127.0.0.1 | 250 2.1.5
            nobody@example.test               | 127.0.0.1 | 550 5.1.1
            tempfail@example.test             | 127.0.0.1 | 451 4.4.3
            anyone@down.test                  | 127.0.0.1 | 451 4.4.3
            slow@example.test                 | 127.0.0.1 | 451 4.4.3
            """)
    void answersEachRowOfTheRcptTable(String recipient, String client, String expected) {
        Swaks.Transcript transcript = swaks("--local-interface", client, "--to", recipient, "--quit-after", "RCPT");
        assertThat(transcript.replyTo("RCPT TO:<" + recipient + ">")).as(transcript.toString()).isEqualTo(expected);
    }

    @Test
    void neverProbesTheBackendForPostmasterOrTrustedClients() {
        swaks("--to", "postmaster@example.test", "--quit-after", "RCPT");
        swaks("--local-interface", "127.0.0.2", "--to", "untested-trusted@example.test", "--quit-after", "RCPT");
        assertThat(backend.logLines("postmaster@example\\.test|untested-trusted@example\\.test")).isEmpty();
    }

    @Test
    void refusesTheFourthRecipientWith452AndDeliversToTheOthers() throws Exception {
        Swaks.Transcript transcript = swaks("--to", "alice@open.test,alice@listed.test,bob@example.test,alice@example.test",
                "--header", "Subject: four recipients");
        assertThat(transcript.replyTo("RCPT TO:<alice@open.test>")).isEqualTo("250 2.1.5");
        assertThat(transcript.replyTo("RCPT TO:<bob@example.test>")).isEqualTo("250 2.1.5");
        assertThat(transcript.replyTo("RCPT TO:<alice@example.test>")).as(transcript.toString()).isEqualTo("452 4.5.3");
        assertThat(transcript.output()).contains("Ok: queued as");
        backend.awaitMessages("alice@listed.test", 1, Duration.ofSeconds(20));
        backend.awaitMessages("alice@open.test", 1, Duration.ofSeconds(20));
        backend.awaitMessages("bob@example.test", 1, Duration.ofSeconds(20));
        assertThat(backend.messages("alice@example.test")).isEmpty();
    }

    @Test
    void speaksStartTlsWithSwaks() throws Exception {
        Swaks.Transcript transcript = swaks("--tls", "--to", "carol@example.test", "--header", "Subject: over TLS");
        assertThat(transcript.exitCode()).as(transcript.toString()).isZero();
        assertThat(transcript.replyTo("STARTTLS")).isEqualTo("220 2.0.0");
        assertThat(transcript.output()).containsPattern("TLS started with cipher TLSv1\\.[23]");
        assertThat(transcript.receivedLines()).contains("250-STARTTLS");   // before TLS, and only then
        assertThat(transcript.receivedLines().stream().filter(line -> line.equals("250-STARTTLS"))).hasSize(1);
        String delivered = new String(backend.awaitMessages("carol@example.test", 1, Duration.ofSeconds(20)).getLast(),
                StandardCharsets.UTF_8);
        assertThat(delivered).contains("Subject: over TLS").containsPattern("by gw\\.test \\(Gatehouse\\) with ESMTPS id");
    }

    @Test
    void answersAPipelinedTransactionInOrder() throws Exception {
        Swaks.Transcript transcript = swaks("--pipeline", "--to", "dave@example.test,nobody-at-all@example.test",
                "--header", "Subject: pipelined");
        assertThat(transcript.receivedLines()).contains("250-PIPELINING");
        assertThat(transcript.replies().stream().map(Swaks.Reply::codes).toList())
                .containsSubsequence("250 2.1.0", "250 2.1.5", "550 5.1.1", "354", "250 2.0.0", "221 2.0.0");
        backend.awaitMessages("dave@example.test", 1, Duration.ofSeconds(20));
    }

    @Test
    void refusesAMessageOverTheSizeLimitAfterItsData() {
        Swaks.Transcript transcript = swaks("--to", "alice@example.test", "--body", "x".repeat(76) + "\n".repeat(1)
                + ("y".repeat(76) + "\n").repeat(400));
        assertThat(transcript.replies().stream().map(Swaks.Reply::codes).toList()).as(transcript.toString())
                .contains("552 5.3.4").doesNotContain("250 2.0.0");
    }

    @Test
    void refusesEveryRelayTrick() {
        List<String> tricks = List.of("user@elsewhere.test", "user%elsewhere.test@example.test",
                "\"user@elsewhere.test\"@example.test", "user@elsewhere.test@example.test",
                "@example.test:user@elsewhere.test", "elsewhere.test!user@example.test", "user@example.test.",
                "user@[127.0.0.1]", "user@EXAMPLE.TEST.elsewhere.test", "\"user%elsewhere.test\"@example.test",
                "@elsewhere.test:alice@example.test");
        // in transactions of at most max_recipients (3) recipients, accepted or not
        for (int first = 0; first < tricks.size(); first += 3) {
            List<String> batch = tricks.subList(first, Math.min(first + 3, tricks.size()));
            Swaks.Transcript transcript = swaks("--to", String.join(",", batch), "--quit-after", "RCPT");
            for (String trick : batch) {
                assertThat(transcript.replyTo("RCPT TO:<" + trick + ">")).as(trick).isEqualTo("554 5.7.1");
            }
        }
        assertThat(backend.logLines("to=<[^>]*(elsewhere|127\\.0\\.0\\.1)")).isEmpty();   // no probe, no delivery
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            bare LF before the dot          | \\n.\\r\\n
            bare LF after the dot           | \\r\\n.\\n
            bare LF on both sides           | \\n.\\n
            bare CR before the dot          | \\r.\\r\\n
            bare CR after the dot           | \\r\\n.\\r
            """)
    void deliversExactlyOneMessageWhateverIsSmuggledInTheData(String vector, String escaped) throws Exception {
        String fakeEnd = escaped.replace("\\r", "\r").replace("\\n", "\n");
        String recipient = "erin@example.test";
        int before = backend.messages(recipient).size();
        String smuggled = "Subject: smuggling " + vector + "\r\n\r\nbefore" + fakeEnd
                + "MAIL FROM:<evil@elsewhere.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"
                + "Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n";
        Path data = Files.write(directory.resolve("smuggling.eml"), smuggled.getBytes(StandardCharsets.US_ASCII));

        Swaks.Transcript transcript = swaks("--to", recipient, "--data", "@" + data, "--no-data-fixup");
        assertThat(transcript.replies().stream().filter(r -> r.text().contains("queued as"))).as(transcript.toString()).hasSize(1);

        String delivered = new String(backend.awaitMessages(recipient, before + 1, Duration.ofSeconds(20)).getLast(),
                StandardCharsets.US_ASCII);
        assertThat(delivered).contains("Subject: smuggling " + vector).contains("MAIL FROM:<evil@elsewhere.test>");
        Thread.sleep(500); // a window for a smuggled second message, which must not come
        assertThat(backend.messages(recipient)).hasSize(before + 1);
        assertThat(backend.logLines("from=<evil@elsewhere\\.test>")).isEmpty();
        assertThat(backend.messages("alice@example.test")).noneMatch(m -> new String(m, StandardCharsets.US_ASCII)
                .contains("Subject: smuggled"));
    }
}
