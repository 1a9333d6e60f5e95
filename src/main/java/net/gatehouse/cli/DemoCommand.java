package net.gatehouse.cli;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.demo.DemoMailServer;
import net.gatehouse.tls.SelfSignedCertificate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a self-contained demo: the gateway on 127.0.0.1:2525 protecting example.com,",
                "in front of a small demo back-end mail server on 127.0.0.1:2526 that knows",
                "alice@example.com and bob@example.com. Everything lives in --data-dir."})
final class DemoCommand implements Callable<Integer> {

    static final Set<String> MAILBOXES = Set.of("alice@example.com", "bob@example.com", "postmaster@example.com");

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "Where the demo keeps its spool, keys and mailboxes (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", defaultValue = "2525", description = "The gateway's SMTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--backend-port", defaultValue = "2526",
            description = "The demo back-end's port (default: ${DEFAULT-VALUE}).")
    int backendPort;

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
            Files.writeString(configFile, configuration(data, backend.port()));
            GatewayConfig config;
            try {
                config = ConfigLoader.load(configFile);
            } catch (ConfigException e) {
                System.err.println("gatehouse: demo configuration: " + e.getMessage());
                return Main.EXIT_BAD_CONFIG;
            }
            System.out.println(instructions(configFile, mailboxes, backend.port()));
            return RunCommand.runUntilSignalled(configFile, config);
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
                dns:
                  timeout: 5s
                delivery:
                  min_backoff: 10s
                  max_backoff: 5m
                policy:
                  # Nobody is trusted in the demo, so that a relay attempt from this machine is refused.
                  trusted_networks: []
                  reject_unknown_recipient_domains: true
                  recipient_verification: none
                  domains:
                    - name: example.com
                      backend: ["127.0.0.1:%d"]
                """.formatted(data, port, backendPort);
    }

    private String instructions(Path configFile, Path mailboxes, int backendPort) {
        return """

                Gatehouse demo
                  gateway      127.0.0.1:%d   (protects example.com; STARTTLS with a self-signed certificate)
                  back-end     127.0.0.1:%d   (knows alice@example.com, bob@example.com)
                  config       %s
                  mailboxes    %s

                Try, from another terminal (swaks: apt-get install swaks):
                  swaks --server 127.0.0.1:%d --to alice@example.com        -> 250 queued, then delivered to the back-end
                  swaks --server 127.0.0.1:%d --to alice@example.com --tls  -> the same over STARTTLS
                  swaks --server 127.0.0.1:%d --to someone@elsewhere.example -> 554 5.7.1 Relay access denied
                  ./gatehouse check --config %s alice@example.com
                  ./gatehouse queue list --config %s

                Press Ctrl-C to stop.
                """.formatted(port, backendPort, configFile, mailboxes, port, port, port, configFile, configFile);
    }
}
