package net.gatehouse.cli;

import java.util.concurrent.Callable;
import net.gatehouse.Gateway;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version of Gatehouse and of Java.")
final class VersionCommand implements Callable<Integer> {

    static String version() {
        return Gateway.version();
    }

    @Override
    public Integer call() {
        System.out.println("gatehouse " + version() + " (Java " + Runtime.version() + ")");
        return 0;
    }

    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"gatehouse " + version()};
        }
    }
}
