package net.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.GatewayProcess;
import net.gatehouse.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command: {@code gatehouse demo} shows the product. An unknown recipient is
 * refused at RCPT TO, so nothing is queued for it and no bounce is ever sent (the backscatter the
 * product exists to prevent); the banner's console address and sign-in work.
 */
class DemoIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Pattern CONSOLE = Pattern.compile("console +http://127\\.0\\.0\\.1:(\\d+)/ +user (\\S+), password (\\S+)");
    private static final Pattern CONSOLE_LISTENING = Pattern.compile("console_listening address=127\\.0\\.0\\.1:(\\d+)");
    private static final String BANNER_END = "Press Ctrl-C to stop\\.";
    /** A sender whose mailbox is on the demo back-end: a bounce to it would land in demo-mailboxes/bob/. */
    private static final String SENDER = "bob@example.com";

    @TempDir
    Path directory;

    @Test
    void refusesUnknownRecipientsAtRcptAndNeverQueuesOrBouncesThem() throws Exception {
        Path data = directory.resolve("data");
        try (GatewayProcess demo = startDemo(data)) {
            int port = demo.awaitPort();
            demo.awaitOutput(BANNER_END, START);
            try (SmtpTestClient client = SmtpTestClient.connect(port)) {
                assertThat(client.command("EHLO swaks.test").lines()).contains("STARTTLS");
                client.startTls();
                client.command("EHLO swaks.test");

                assertThat(client.command("MAIL FROM:<" + SENDER + ">").code()).isEqualTo(250);
                assertThat(codes(client.command("RCPT TO:<alice@example.com>"))).isEqualTo("250 2.1.5");
                assertThat(codes(client.command("RCPT TO:<nobody@example.com>"))).isEqualTo("550 5.1.1");
                assertThat(client.command("DATA").code()).isEqualTo(354);
                assertThat(client.command("Subject: callout domain\r\n\r\nHello Alice.\r\n.").code()).isEqualTo(250);

                assertThat(client.command("MAIL FROM:<" + SENDER + ">").code()).isEqualTo(250);
                assertThat(codes(client.command("RCPT TO:<carol@example.org>"))).isEqualTo("250 2.1.5");
                assertThat(codes(client.command("RCPT TO:<nobody@example.org>"))).isEqualTo("550 5.1.1");
                assertThat(codes(client.command("RCPT TO:<someone@elsewhere.example>"))).isEqualTo("554 5.7.1");
                assertThat(client.command("DATA").code()).isEqualTo(354);
                assertThat(client.command("Subject: valid-list domain\r\n\r\nHello Carol.\r\n.").code()).isEqualTo(250);

                assertThat(client.command("MAIL FROM:<" + SENDER + ">").code()).isEqualTo(250);
                assertThat(codes(client.command("RCPT TO:<nobody@example.com>"))).isEqualTo("550 5.1.1");
                client.command("QUIT");
            }

            Path mailboxes = data.resolve("demo-mailboxes");
            await().atMost(Duration.ofSeconds(20)).until(() -> count(mailboxes.resolve("alice")) == 1
                    && count(mailboxes.resolve("carol")) == 1);
            assertThat(onlyMessage(mailboxes.resolve("alice")))
                    .startsWith("Return-Path: <" + SENDER + ">").contains("with ESMTPS").contains("Hello Alice.");
            assertThat(onlyMessage(mailboxes.resolve("carol"))).contains("Hello Carol.");
            await().atMost(Duration.ofSeconds(20)).until(() -> queueFiles(data.resolve("spool")).isEmpty());

            // The refusal came from the callout (the back-end was asked, with the null sender), not a guess.
            demo.awaitOutput("demo_backend refused to=<nobody@example\\.com> from=<>", Duration.ofSeconds(5));
            // The catch-all check probed an address that cannot exist; the back-end refused it, so the
            // domain is not flagged and callouts against it mean something.
            demo.awaitOutput("demo_backend refused to=<gatehouse-catchall-check-[0-9a-f]+@example\\.com>",
                    Duration.ofSeconds(20));

            // The log says so in Postfix's words.
            demo.awaitOutput("postfix/smtp\\[\\d+]: \\w+: to=<alice@example\\.com>, .* status=sent ", Duration.ofSeconds(5));
            demo.awaitOutput("NOQUEUE: reject: RCPT from unknown\\[127\\.0\\.0\\.1]: 550 5\\.1\\.1 <nobody@example\\.com>:",
                    Duration.ofSeconds(5));

            // Nothing for the refused recipients was queued, attempted or bounced, and no DSN reached
            // the sender's mailbox on the demo back-end.
            String log = String.join("\n", demo.output());
            assertThat(log).doesNotContainPattern("postfix/smtp\\[\\d+]: \\w+: to=<nobody@")
                    .doesNotContainPattern("sender non-delivery notification")
                    .doesNotContainPattern("dsn_suppressed")
                    .doesNotContainPattern("status=bounced")
                    .doesNotContainPattern("callout_catch_all ");
            assertThat(mailboxes.resolve("bob")).doesNotExist();
            assertThat(allMessages(mailboxes)).hasSize(2)
                    .noneMatch(message -> message.startsWith("Return-Path: <>"))
                    .noneMatch(message -> message.contains("report-type=delivery-status"));

            String banner = String.join("\n", demo.output());
            assertThat(banner).contains("swaks --server 127.0.0.1:" + port + " --to nobody@example.com")
                    .contains("550 5.1.1 at RCPT TO")
                    .contains("./gatehouse check --config " + data.resolve("demo-gatehouse.yaml") + " nobody@example.com")
                    .contains("tester?address=nobody@example.com");
            Matcher console = CONSOLE.matcher(banner);
            assertThat(console.find()).as("the banner's console line in:\n%s", banner).isTrue();
            int consolePort = Integer.parseInt(console.group(1));
            Matcher listening = CONSOLE_LISTENING.matcher(demo.awaitOutput(CONSOLE_LISTENING.pattern(), START));
            assertThat(listening.find()).isTrue();
            assertThat(consolePort).isEqualTo(Integer.parseInt(listening.group(1)));

            try (ConsoleClient browser = ConsoleClient.at(consolePort).login(console.group(2), console.group(3))) {
                HttpResponse<String> tester = browser.post("/tester", "address", "nobody@example.com", "client", "");
                assertThat(tester.statusCode()).isEqualTo(200);
                assertThat(tester.body()).contains("nobody@example.com").contains("550 5.1.1");
            }
            assertThat(metrics(consolePort))
                    .contains("gatehouse_callout_catchall_domains 0.0")
                    .contains("gatehouse_deliveries_total{result=\"sent\"} 2.0")
                    .contains("gatehouse_deliveries_total{result=\"bounced\"} 0.0");

            assertThat(check(data.resolve("demo-gatehouse.yaml"), "nobody@example.com")).isEqualTo(5);

            demo.terminate();
            assertThat(demo.awaitExit()).isZero();
        }
        assertThat(data.resolve("demo-gatehouse.yaml")).exists();
        assertThat(data.resolve("tls/cert.pem")).exists();
    }

    @Test
    void showsTheSameConsolePasswordOnTheNextRun() throws Exception {
        Path data = directory.resolve("data");
        String firstPassword;
        try (GatewayProcess demo = startDemo(data)) {
            firstPassword = consoleLine(demo).group(3);
            demo.terminate();
            assertThat(demo.awaitExit()).isZero();
        }
        assertThat(Files.readString(data.resolve("demo-console-password")).strip()).isEqualTo(firstPassword);
        try (GatewayProcess demo = startDemo(data)) {
            Matcher console = consoleLine(demo);
            assertThat(console.group(3)).isEqualTo(firstPassword);
            assertThat(String.join("\n", demo.output())).contains("made by the first run")
                    .doesNotContain("console_first_run");
            try (ConsoleClient browser = ConsoleClient.at(Integer.parseInt(console.group(1)))
                    .login(console.group(2), console.group(3))) {
                assertThat(browser.get("/tester").statusCode()).isEqualTo(200);
            }
            demo.terminate();
            assertThat(demo.awaitExit()).isZero();
        }
    }

    private static GatewayProcess startDemo(Path data) throws IOException {
        return GatewayProcess.start("demo", "--data-dir", data.toString(), "--port", "0", "--backend-port", "0",
                "--console-port", "0");
    }

    private static Matcher consoleLine(GatewayProcess demo) throws Exception {
        demo.awaitPort();
        Matcher console = CONSOLE.matcher(demo.awaitOutput(CONSOLE.pattern(), START));
        assertThat(console.find()).isTrue();
        return console;
    }

    /** {@code gatehouse check --config FILE ADDRESS}, its exit code. */
    private static int check(Path config, String address) throws Exception {
        try (GatewayProcess check = GatewayProcess.start("check", "--config", config.toString(), address)) {
            return check.awaitExit();
        }
    }

    private static String metrics(int consolePort) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + consolePort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    private static String codes(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }

    /** What the queue holds: every spool file except the spares kept for reuse (never delivered). */
    private static List<Path> queueFiles(Path spool) throws IOException {
        try (Stream<Path> files = Files.walk(spool)) {
            return files.filter(Files::isRegularFile).filter(file -> !file.getFileName().toString().endsWith(".spare"))
                    .toList();
        }
    }

    private static long count(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.count();
        }
    }

    private static String onlyMessage(Path mailbox) throws IOException {
        try (Stream<Path> files = Files.list(mailbox)) {
            return Files.readString(files.findFirst().orElseThrow());
        }
    }

    private static List<String> allMessages(Path mailboxes) throws IOException {
        try (Stream<Path> files = Files.walk(mailboxes)) {
            return files.filter(Files::isRegularFile).map(file -> {
                try {
                    return Files.readString(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
    }
}
