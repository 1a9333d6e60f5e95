package net.gatehouse.cli;

import java.nio.file.Path;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.GatewayConfig;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option shared by the commands that need the node's configuration. */
final class ConfigOption {

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The configuration file (YAML).")
    Path file;

    /** Loads the file, or prints why not (naming the key) and returns null. */
    GatewayConfig loadOrReport() {
        try {
            return ConfigLoader.load(file);
        } catch (ConfigException e) {
            System.err.println("gatehouse: " + file + ": " + e.getMessage());
            return null;
        }
    }
}
