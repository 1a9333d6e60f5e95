package net.gatehouse.cli;

import net.gatehouse.tls.TlsContexts;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gatehouse}: the command line. Each subcommand has {@code --help}. */
@Command(name = "gatehouse", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = "An SMTP gateway that turns away mail for recipients that do not exist, at RCPT TO.",
        subcommands = {RunCommand.class, ReloadCommand.class, DemoCommand.class, CheckCommand.class, QueueCommand.class, RecipientsCommand.class,
                PolicyCommand.class, DomainsCommand.class, DirectoryCommand.class, NetworksCommand.class, UserCommand.class, TokenCommand.class, CacheCommand.class,
                VersionCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    /** Exit code for a configuration the gateway refuses to start with (SPEC §1). */
    static final int EXIT_BAD_CONFIG = 2;

    static {
        TlsContexts.refuseClientInitiatedRenegotiation(); // before any class does TLS
    }

    public static void main(String[] args) {
        int status = commandLine().execute(args);
        Logging.flush();
        System.exit(status);
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionStrategy(Logging::quietForTheCommandOnly);
    }
}
