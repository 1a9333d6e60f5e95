package net.gatehouse.cli;

import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import net.gatehouse.Gateway;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.log.LogControl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the gateway in the foreground until SIGTERM or SIGINT, then drain and exit 0.",
                "A bad configuration stops start-up with exit code 2, before any port is opened."})
final class RunCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        GatewayConfig loaded = config.loadOrReport();
        if (loaded == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        return runUntilSignalled(loaded);
    }

    /** Starts the gateway and blocks until the JVM is asked to stop; shared with {@code demo}. */
    static int runUntilSignalled(GatewayConfig config) throws Exception {
        LogControl.apply(config.log(), config.hostname()); // before the first line of the gateway
        Gateway gateway;
        try {
            gateway = new Gateway(config, Clock.systemUTC());
        } catch (net.gatehouse.tls.TlsConfigException e) {
            System.err.println("gatehouse: smtp.tls: " + e.getMessage());
            return Main.EXIT_BAD_CONFIG;
        }
        // SIGTERM and SIGINT run the shutdown hooks: drain there, then end with 0 rather than the
        // JVM's 143/130, because a drained stop is a clean stop (SPEC §1).
        Thread drain = new Thread(() -> {
            gateway.close();
            Logging.flush();
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }, "gatehouse-shutdown");
        Runtime.getRuntime().addShutdownHook(drain);
        try {
            gateway.start();
        } catch (IOException e) {
            Runtime.getRuntime().removeShutdownHook(drain);
            gateway.close();
            System.err.println("gatehouse: " + e.getMessage());
            return 1;
        }
        new CountDownLatch(1).await();
        return 0;
    }
}
