package net.gatehouse.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import net.gatehouse.Gateway;
import net.gatehouse.config.ConfigChanges;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.log.LogControl;
import net.gatehouse.tls.TlsConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the gateway in the foreground until SIGTERM or SIGINT, then drain and exit 0.",
                "A bad configuration stops start-up with exit code 2, before any port is opened.",
                "SIGHUP re-reads the configuration file (see 'gatehouse reload --help')."})
final class RunCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        GatewayConfig loaded = config.loadOrReport();
        if (loaded == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        return runUntilSignalled(config.file, loaded, Lifecycle.NONE);
    }

    /**
     * What a command that runs the gateway does around its start: nothing for {@code run}; the demo
     * prepares its console user and prints what to try.
     */
    interface Lifecycle {

        Lifecycle NONE = new Lifecycle() {
        };

        /** The gateway is built (data_dir locked, store open) and no port is open yet. */
        default void built(Gateway gateway) throws IOException {
        }

        /** Every port is open: {@link Gateway#smtpAddresses()} and {@link Gateway#consolePort()} are the bound ones. */
        default void started(Gateway gateway) {
        }
    }

    /**
     * Starts the gateway and blocks until the JVM is asked to stop; SIGHUP reloads the file in the
     * meantime. Shared with {@code demo}.
     */
    static int runUntilSignalled(Path configFile, GatewayConfig config, Lifecycle lifecycle) throws Exception {
        LogControl.apply(config.log(), config.hostname()); // before the first line of the gateway
        Gateway gateway;
        try {
            gateway = new Gateway(config, Clock.systemUTC());
        } catch (TlsConfigException e) {
            System.err.println("gatehouse: smtp.tls: " + e.getMessage());
            return Main.EXIT_BAD_CONFIG;
        }
        // SIGTERM and SIGINT run the shutdown hooks: drain there, then end with 0 rather than the
        // JVM's 143/130, because a drained stop is a clean stop (SPEC §1).
        ControlFiles control = new ControlFiles(config.dataDir());
        Thread drain = new Thread(() -> {
            gateway.close();
            control.stopped();
            Logging.flush();
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }, "gatehouse-shutdown");
        Runtime.getRuntime().addShutdownHook(drain);
        // Before the port opens, so that an early SIGHUP reloads rather than stops the JVM (its default).
        Reloader reloader = new Reloader(configFile, gateway, control);
        Signal.handle(new Signal("HUP"), signal -> Thread.ofVirtual().name("gatehouse-reload").start(reloader::reload));
        try {
            control.started();
            lifecycle.built(gateway);
            gateway.start();
        } catch (IOException e) {
            Runtime.getRuntime().removeShutdownHook(drain);
            gateway.close();
            control.stopped();
            System.err.println("gatehouse: " + e.getMessage());
            return 1;
        }
        lifecycle.started(gateway);
        new CountDownLatch(1).await();
        return 0;
    }

    /** Re-reads the file on SIGHUP, one reload at a time, and reports each to {@code gatehouse reload}. */
    private static final class Reloader {
        private final Path file;
        private final Gateway gateway;
        private final ControlFiles control;
        private long generation;

        Reloader(Path file, Gateway gateway, ControlFiles control) {
            this.file = file;
            this.gateway = gateway;
            this.control = control;
        }

        synchronized void reload() {
            String message;
            boolean applied = false;
            try {
                ConfigChanges changes = gateway.reload(ConfigLoader.load(file));
                applied = true;
                // the log section is live: format and level change from the next line on, none is lost
                LogControl.apply(gateway.config().log(), gateway.config().hostname());
                message = "applied: " + (changes.live().isEmpty() ? "no setting changed" : "changed "
                        + String.join(", ", changes.live())) + "; TLS certificate re-read"
                        + (changes.restart().isEmpty() ? "" : "; needs a restart to change: "
                        + String.join(", ", changes.restart()));
            } catch (ConfigException e) {
                message = "refused, the running configuration stays in force: " + file + ": " + e.getMessage();
                log.warn("reload_refused file={} error=\"{}\" note=\"the running configuration stays in force\"",
                        file, e.getMessage());
            } catch (TlsConfigException e) {
                message = "refused, the running configuration stays in force: smtp.tls: " + e.getMessage();
                log.warn("reload_refused file={} key=smtp.tls error=\"{}\" note=\"the running configuration stays in force\"",
                        file, e.getMessage());
            } catch (RuntimeException e) {
                message = "refused, the running configuration stays in force: " + e.getMessage();
                log.warn("reload_refused file={} error=\"{}\" note=\"the running configuration stays in force\"",
                        file, e.toString());
            }
            try {
                control.writeStatus(new ControlFiles.Status(++generation, applied, message));
            } catch (IOException e) {
                log.warn("reload_status_unwritten error=\"{}\"", e.getMessage());
            }
        }
    }
}
