package net.gatehouse.cli;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import net.gatehouse.policy.LivePolicy.RefusedChangeException;
import net.gatehouse.store.ConsoleUsers.Token;
import net.gatehouse.users.Secrets;
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

        @Option(names = "--label", paramLabel = "TEXT", defaultValue = "",
                description = "What the token is for, shown in listings, e.g. \"deploy script\".")
        String label;

        @Override
        public Integer call() {
            return ConsoleStore.run(config, store -> {
                if (store.users().user(user).isEmpty()) {
                    throw new RefusedChangeException("there is no user " + user + "; add one with gatehouse user add");
                }
                String token = "gh_" + Secrets.random("");
                String id = Secrets.shortId();
                Instant now = Instant.now();
                store.users().createToken(new Token(id, user, label, now, now), Secrets.sha256(token), ConsoleStore.ACTOR);
                System.out.println(token);
                System.err.println("gatehouse: token " + id + " created for " + user
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
                if (!store.users().revokeToken(id, Instant.now(), ConsoleStore.ACTOR)) {
                    throw new RefusedChangeException("there is no API token " + id);
                }
                System.out.println("token " + id + " revoked");
                return 0;
            });
        }
    }
}
