package net.gatehouse.cli;

import java.util.List;
import java.util.concurrent.Callable;
import net.gatehouse.admin.Tokens;
import net.gatehouse.store.ConsoleUsers.Token;
import net.gatehouse.users.Role;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "token", mixinStandardHelpOptions = true,
        description = {"Manage API tokens: sent as 'Authorization: Bearer TOKEN' to /api/v1, with the rights "
                + "of their user's role.",
                "The store keeps only a hash of each token: it is printed once, when it is created."},
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand {

    private TokenCommand() {
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create an API token for a user and print it (alone on standard output, for scripts: "
                    + "TOKEN=$(gatehouse token create ...)).",
                    "Its id, for 'token revoke', goes to standard error."})
    static final class Create implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--user", required = true, paramLabel = "NAME", description = "The user whose rights it has.")
        String user;

        @Option(names = "--label", paramLabel = "TEXT", defaultValue = "command line",
                description = "What the token is for, shown in listings, e.g. \"deploy script\" "
                        + "(default: ${DEFAULT-VALUE}).")
        String label;

        @Override
        public Integer call() {
            return ConsoleStore.run(config, store -> {
                // the command line works on the store itself: it may do what an administrator may
                Tokens.Created created = store.tokenChanges().create(ConsoleStore.ACTOR, Role.ADMIN, user, label);
                System.out.println(created.token());
                System.err.println("gatehouse: token " + created.id() + " created for " + user
                        + "; it is shown only this once");
                return 0;
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the API tokens: id, user, created, last used, label (never the tokens themselves).")
    static final class ListTokens implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() {
            return ConsoleStore.run(config, store -> {
                List<Token> tokens = store.users().tokens();
                if (tokens.isEmpty()) {
                    System.out.println("no API tokens");
                }
                int width = tokens.stream().mapToInt(t -> t.userName().length()).max().orElse(0);
                for (Token token : tokens) {
                    System.out.printf("%s  %-" + width + "s  %s  %s  %s%n", token.id(), token.userName(),
                            token.createdAt(), token.lastUsedAt(), token.label());
                }
                return 0;
            });
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke an API token: it stops working at once.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "ID", description = "The token's id, as 'token list' shows it.")
        String id;

        @Override
        public Integer call() {
            return ConsoleStore.run(config, store -> {
                store.tokenChanges().revoke(ConsoleStore.ACTOR, Role.ADMIN, id);
                System.out.println("token " + id + " revoked");
                return 0;
            });
        }
    }
}
