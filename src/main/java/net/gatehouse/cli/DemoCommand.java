package net.gatehouse.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import net.gatehouse.Gateway;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.demo.DemoConsoleAccount;
import net.gatehouse.demo.DemoMailServer;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.tls.SelfSignedCertificate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse demo}: the product as a newcomer first sees it. The gateway verifies at RCPT TO,
 * so an unknown recipient is refused while the client is connected and nothing is ever bounced:
 * {@code example.com} by callout against the demo back-end, {@code example.org} by a valid list.
 * The console runs with a sign-in the banner shows.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a self-contained demo: the gateway on 127.0.0.1:2525 protecting",
                "example.com (recipients verified by callout) and example.org (valid list),",
                "in front of a demo back-end mail server on 127.0.0.1:2526, with the web",
                "console on 127.0.0.1:8080. Prints what to try and the console's sign-in.",
                "Everything lives in --data-dir."})
final class DemoCommand implements Callable<Integer> {

    /** The callout domain: its back-end is asked whether an address exists. */
    static final String CALLOUT_DOMAIN = "example.com";
    /** The valid-list domain: its addresses are listed in the configuration. */
    static final String VALID_LIST_DOMAIN = "example.org";
    static final Set<String> VALID_LIST = Set.of("carol@example.org", "dave@example.org");
    /** The demo back-end's mailboxes: every address the gateway accepts, so that nothing it accepts is refused later. */
    static final Set<String> MAILBOXES = Set.of("alice@example.com", "bob@example.com", "postmaster@example.com",
            "carol@example.org", "dave@example.org", "postmaster@example.org");
    /** Demo only: the console password the demo made, shown again on later runs ({@link DemoConsoleAccount}). */
    static final String CONSOLE_PASSWORD_FILE = "demo-console-password";

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "Where the demo keeps its spool, store, keys and mailboxes (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", defaultValue = "2525", paramLabel = "PORT",
            description = "The gateway's SMTP port (default: ${DEFAULT-VALUE}; 0: any free port).")
    int port;

    @Option(names = "--backend-port", defaultValue = "2526", paramLabel = "PORT",
            description = "The demo back-end's port (default: ${DEFAULT-VALUE}; 0: any free port).")
    int backendPort;

    @Option(names = "--console-port", defaultValue = "8080", paramLabel = "PORT",
            description = "The web console's port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0: any free port).")
    int consolePort;

    @Override
    public Integer call() throws Exception {
        Path data = Files.createDirectories(dataDir).toAbsolutePath().normalize();
        Path cert = data.resolve("tls/cert.pem");
        Path key = data.resolve("tls/key.pem");
        if (!Files.exists(cert) || !Files.exists(key)) {
            Files.createDirectories(cert.getParent());
            SelfSignedCertificate.create(cert, key, "localhost");
        }
        Path mailboxes = data.resolve("demo-mailboxes");
        try (DemoMailServer backend = new DemoMailServer(new InetSocketAddress("127.0.0.1", backendPort),
                MAILBOXES, mailboxes)) {
            Path configFile = data.resolve("demo-gatehouse.yaml");
            Path passwordFile = data.resolve(CONSOLE_PASSWORD_FILE);
            Files.writeString(configFile, configuration(data, backend.port()));
            GatewayConfig config;
            try {
                config = ConfigLoader.load(configFile);
            } catch (ConfigException e) {
                System.err.println("gatehouse: demo configuration: " + e.getMessage());
                return Main.EXIT_BAD_CONFIG;
            }
            return RunCommand.runUntilSignalled(configFile, config, new RunCommand.Lifecycle() {
                private DemoConsoleAccount account;

                @Override
                public void built(Gateway gateway) throws IOException {
                    account = DemoConsoleAccount.prepare(new ConsoleUsers(gateway.database()), passwordFile,
                            Instant.now());
                }

                @Override
                public void started(Gateway gateway) {
                    System.out.print(instructions(gateway, account, configFile, passwordFile, mailboxes,
                            backend.port()));
                    System.out.flush();
                }
            });
        }
    }

    private String configuration(Path data, int backendPort) {
        return """
                # Written by 'gatehouse demo'; edit a copy of it and start that with 'gatehouse run --config FILE'.
                hostname: localhost
                data_dir: %s
                smtp:
                  listen: ["127.0.0.1:%d"]
                  max_message_size: 10MiB
                  tls: { cert: tls/cert.pem, key: tls/key.pem }
                console:
                  listen: "127.0.0.1:%d"
                dns:
                  timeout: 5s
                delivery:
                  min_backoff: 10s
                  max_backoff: 5m
                policy:
                  # Nobody is trusted in the demo, so that a relay attempt from this machine is refused.
                  trusted_networks: []
                  reject_unknown_recipient_domains: true
                  # Each RCPT TO is checked before the message is accepted: an unknown recipient gets
                  # 550 5.1.1 while the client is connected, so Gatehouse never has to bounce it.
                  recipient_verification: callout
                  domains:
                    - name: %s
                      backend: ["127.0.0.1:%d"]
                      # verification: inherit, so callout: the back-end is asked whether the address exists.
                    - name: %s
                      backend: ["127.0.0.1:%d"]
                      verification: valid_list
                      valid_recipients: [%s]
                """.formatted(data, port, consolePort, CALLOUT_DOMAIN, backendPort, VALID_LIST_DOMAIN, backendPort,
                String.join(", ", VALID_LIST.stream().sorted().map(a -> "\"" + a + "\"").toList()));
    }

    /** The banner: where everything is, how to sign in, and what to try, with the ports as bound. */
    static String instructions(Gateway gateway, DemoConsoleAccount account, Path configFile, Path passwordFile,
                               Path mailboxes, int backendPort) {
        int smtp = gateway.smtpAddresses().getFirst().getPort();
        String console = "http://127.0.0.1:" + gateway.consolePort().orElseThrow() + "/";
        String signIn = switch (account) {
            case DemoConsoleAccount.Created created -> "user " + DemoConsoleAccount.USER + ", password "
                    + created.password() + "  (kept in " + passwordFile + ")";
            case DemoConsoleAccount.Kept kept -> "user " + DemoConsoleAccount.USER + ", password " + kept.password()
                    + "  (made by the first run, kept in " + passwordFile + ")";
            case DemoConsoleAccount.Changed changed -> "user " + DemoConsoleAccount.USER
                    + ", whose password the demo no longer knows (changed since, or " + passwordFile.getFileName()
                    + " removed);\n             a new one: ./gatehouse user passwd --config " + configFile + " "
                    + DemoConsoleAccount.USER;
        };
        String swaks = "swaks --server 127.0.0.1:" + smtp;
        List<Try> tries = List.of(
                new Try(swaks + " --to alice@example.com", "250, then delivered to " + mailboxes.resolve("alice") + "/"),
                new Try(swaks + " --to alice@example.com --tls", "the same, over STARTTLS"),
                new Try(swaks + " --to nobody@example.com", "550 5.1.1 at RCPT TO: the back-end does not know it;",
                        "nothing is queued, no bounce is ever sent"),
                new Try(swaks + " --to carol@example.org", "250: in example.org's valid list"),
                new Try(swaks + " --to nobody@example.org", "550 5.1.1 at RCPT TO: not in the valid list"),
                new Try(swaks + " --to someone@elsewhere.example", "554 5.7.1 Relay access denied"),
                new Try("./gatehouse check --config " + configFile + " nobody@example.com",
                        "the verdict at RCPT TO and why; exit code 5 (refused)"),
                new Try("./gatehouse queue list --config " + configFile,
                        "the queue: empty once alice's message is delivered"),
                new Try(console + "tester?address=nobody@example.com",
                        "the console's address tester: the same verdict and why"));
        int width = tries.stream().map(Try::command).filter(command -> command.startsWith("swaks"))
                .mapToInt(String::length).max().orElse(0) + 2;
        String gatewayAt = "127.0.0.1:" + smtp;
        String backendAt = "127.0.0.1:" + backendPort;
        int column = Math.max(gatewayAt.length(), backendAt.length()) + 2;
        String more = " ".repeat(13 + column);
        StringBuilder text = new StringBuilder()
                .append("\nGatehouse demo\n")
                .append("  gateway    ").append(padded(gatewayAt, column))
                .append("protects example.com (recipients verified by callout to the back-end)\n")
                .append(more).append("and example.org (recipients verified against a valid list);\n")
                .append(more).append("STARTTLS with a self-signed certificate\n")
                .append("  back-end   ").append(padded(backendAt, column))
                .append("demo mail server: alice@ and bob@example.com, carol@ and dave@example.org\n")
                .append("  console    ").append(console).append("  ").append(signIn).append('\n')
                .append("  config     ").append(configFile).append('\n')
                .append("  mailboxes  ").append(mailboxes).append("\n\n")
                .append("Try, from another terminal (swaks: apt-get install swaks):\n");
        for (Try t : tries) {
            String indent = " ".repeat(2 + width);
            text.append("  ").append(t.command());
            if (t.command().length() < width) {
                text.append(" ".repeat(width - t.command().length()));
            } else {
                text.append('\n').append(indent);
            }
            text.append("-> ").append(t.results().getFirst()).append('\n');
            t.results().stream().skip(1).forEach(line -> text.append(indent).append("   ").append(line).append('\n'));
        }
        return text.append("\nPress Ctrl-C to stop.\n").toString();
    }

    private static String padded(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }

    /** A line of the banner: a command to type and what it shows. */
    private record Try(String command, List<String> results) {

        Try(String command, String... results) {
            this(command, List.of(results));
        }
    }
}
