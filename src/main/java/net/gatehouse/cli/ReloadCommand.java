package net.gatehouse.cli;

import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import net.gatehouse.config.GatewayConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "reload", mixinStandardHelpOptions = true,
        description = {"Make the gateway running on this file's data_dir re-read the file (as SIGHUP does),",
                "and print what it did. The file is checked first: a broken file is reported here (exit 2)",
                "and the running gateway is not asked.",
                "",
                "Changed at once: the policy section, the SMTP limits and timeouts (for new sessions),",
                "smtp.tls (the certificate and key are re-read even when their paths are unchanged), log.",
                "Kept until a restart, and named in the answer: hostname, data_dir, store, cache, console,",
                "dns, delivery, callout, message_log, smtp.listen, smtp.proxy_protocol, smtp.min_free_space."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:reloaded", "1:no gateway runs on this data_dir, or it did not answer in time",
                "2:the file is not valid, or the gateway refused it (its configuration stays in force)"})
final class ReloadCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Option(names = "--wait", defaultValue = "15", paramLabel = "SECONDS",
            description = "How long to wait for the gateway's answer (default: ${DEFAULT-VALUE}).")
    int waitSeconds;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Logging.quiet();
        GatewayConfig loaded = config.loadOrReport();
        if (loaded == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        ControlFiles control = new ControlFiles(loaded.dataDir());
        OptionalLong pid = control.runningPid();
        if (pid.isEmpty()) {
            System.err.println("gatehouse: no gateway is running with data_dir " + loaded.dataDir()
                    + " (no live process in its gatehouse.pid)");
            return 1;
        }
        long before = control.readStatus().map(ControlFiles.Status::generation).orElse(0L);
        Process kill = new ProcessBuilder("kill", "-s", "HUP", Long.toString(pid.getAsLong()))
                .redirectErrorStream(true).start();
        String killOutput = new String(kill.getInputStream().readAllBytes()).strip();
        if (kill.waitFor() != 0) {
            System.err.println("gatehouse: cannot signal process " + pid.getAsLong() + ": " + killOutput);
            return 1;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        while (System.nanoTime() < deadline) {
            Optional<ControlFiles.Status> status = control.readStatus();
            if (status.isPresent() && status.get().generation() > before) {
                System.out.println("gatehouse (pid " + pid.getAsLong() + "): " + status.get().message());
                return status.get().applied() ? 0 : Main.EXIT_BAD_CONFIG;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        System.err.println("gatehouse: process " + pid.getAsLong() + " was signalled but did not report within "
                + waitSeconds + " s; see its log");
        return 1;
    }
}
