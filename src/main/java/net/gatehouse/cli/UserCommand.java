package net.gatehouse.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Callable;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.ConsoleUsers.User;
import net.gatehouse.users.Passwords;
import net.gatehouse.users.Role;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "user", mixinStandardHelpOptions = true,
        description = {"Manage the console's users (admin: reads and changes; viewer: reads).",
                "Passwords are stored only as slow salted hashes. Without --password-stdin a random password "
                + "is generated and printed this once."},
        subcommands = {UserCommand.Add.class, UserCommand.Passwd.class, UserCommand.SetRole.class,
                UserCommand.ListUsers.class, UserCommand.Remove.class})
final class UserCommand {

    private UserCommand() {
    }

    /** Where a new password comes from: standard input (first line), or generated and printed once. */
    static final class PasswordSource {
        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input "
                + "(at least " + Passwords.MIN_LENGTH + " characters) instead of generating one.")
        boolean stdin;

        /** The password, or empty after saying why it is not acceptable. */
        Optional<String> password() throws IOException {
            if (!stdin) {
                return Optional.of(Passwords.generate());
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line = reader.readLine();
            String weakness = Passwords.weakness(line == null ? "" : line);
            if (weakness != null) {
                System.err.println("gatehouse: --password-stdin: " + weakness);
                return Optional.empty();
            }
            return Optional.of(line);
        }

        void printIfGenerated(String password) {
            if (!stdin) {
                System.out.println("password: " + password);
                System.err.println("gatehouse: note: the password is shown only this once");
            }
        }
    }

    private static String checkedName(String name) {
        if (!ConsoleUsers.validName(name)) {
            System.err.println("gatehouse: NAME: expected letters, digits and . _ @ + - (at most 64), got \"" + name + "\"");
            return null;
        }
        return name;
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a console user.")
    static final class Add implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Mixin
        PasswordSource source;

        @Option(names = "--role", paramLabel = "ROLE", defaultValue = "admin",
                description = "admin or viewer (default: ${DEFAULT-VALUE}).")
        String role;

        @Parameters(paramLabel = "NAME", description = "The user name used to sign in, e.g. alice.")
        String name;

        @Override
        public Integer call() throws IOException {
            Optional<Role> parsedRole = Role.parse(role);
            if (parsedRole.isEmpty()) {
                System.err.println("gatehouse: --role: expected admin or viewer, got \"" + role + "\"");
                return Main.EXIT_BAD_CONFIG;
            }
            if (checkedName(name) == null) {
                return Main.EXIT_BAD_CONFIG;
            }
            Optional<String> password = source.password();
            if (password.isEmpty()) {
                return Main.EXIT_BAD_CONFIG;
            }
            return ConsoleStore.run(config, store -> {
                store.userChanges().add(ConsoleStore.ACTOR, name, role, password.get());
                System.out.println("added " + parsedRole.get().word() + " " + name);
                source.printIfGenerated(password.get());
                return 0;
            });
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true,
            description = "Set a user's password; the user's console sessions end.")
    static final class Passwd implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Mixin
        PasswordSource source;

        @Parameters(paramLabel = "NAME", description = "The user.")
        String name;

        @Override
        public Integer call() throws IOException {
            Optional<String> password = source.password();
            if (password.isEmpty()) {
                return Main.EXIT_BAD_CONFIG;
            }
            return ConsoleStore.run(config, store -> {
                store.userChanges().setPassword(ConsoleStore.ACTOR, name, password.get());
                System.out.println("password of " + name + " changed");
                source.printIfGenerated(password.get());
                return 0;
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the console's users: name, role, created.")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() {
            return ConsoleStore.run(config, store -> {
                var users = store.users().users();
                if (users.isEmpty()) {
                    System.out.println("no users (a gateway with a console creates \"admin\" at its first start)");
                }
                int width = users.stream().mapToInt(u -> u.name().length()).max().orElse(0);
                for (User user : users) {
                    System.out.printf("%-" + width + "s  %-6s  %s%n", user.name(), user.role(), user.createdAt());
                }
                return 0;
            });
        }
    }

    @Command(name = "role", mixinStandardHelpOptions = true,
            description = {"Give a user another role (admin: reads and changes; viewer: reads).",
                    "The last administrator cannot be made a viewer: make another user an administrator first."})
    static final class SetRole implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(index = "0", paramLabel = "NAME", description = "The user.")
        String name;

        @Parameters(index = "1", paramLabel = "ROLE", description = "admin or viewer.")
        String role;

        @Override
        public Integer call() {
            if (Role.parse(role).isEmpty()) {
                System.err.println("gatehouse: ROLE: expected admin or viewer, got \"" + role + "\"");
                return Main.EXIT_BAD_CONFIG;
            }
            return ConsoleStore.run(config, store -> {
                store.userChanges().setRole(ConsoleStore.ACTOR, name, role);
                System.out.println(name + " is " + (role.equals("admin") ? "an " : "a ") + role);
                return 0;
            });
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove a user with their sessions and API tokens.",
                    "The last administrator cannot be removed: add another first."})
    static final class Remove implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "NAME", description = "The user.")
        String name;

        @Override
        public Integer call() {
            return ConsoleStore.run(config, store -> {
                store.userChanges().remove(ConsoleStore.ACTOR, name);
                System.out.println("removed " + name + " with their sessions and API tokens");
                return 0;
            });
        }
    }
}
