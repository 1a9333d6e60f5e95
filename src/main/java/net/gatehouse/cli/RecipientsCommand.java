package net.gatehouse.cli;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import net.gatehouse.admin.Refusal;
import net.gatehouse.admin.ValidLists;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.store.Database;
import net.gatehouse.store.StoreException;
import net.gatehouse.store.ValidRecipientEntry;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.store.ValidRecipientStore.ImportResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "recipients", mixinStandardHelpOptions = true,
        description = {"Manage the valid lists in the store: per protected domain, the addresses that exist "
                + "(used by domains whose verification is valid_list). Changes take effect on running gateways "
                + "within seconds, and each is recorded in the audit log with the user who ran the command.",
                "Entries in the configuration file's valid_recipients are separate: they are always in force "
                + "and are changed by editing the file."},
        subcommands = {RecipientsCommand.Import.class, RecipientsCommand.Export.class, RecipientsCommand.Add.class,
                RecipientsCommand.Remove.class, RecipientsCommand.Count.class, RecipientsCommand.Search.class})
final class RecipientsCommand {

    /** Exit code for input that was refused (invalid entries, unreadable file) or a failing store. */
    static final int EXIT_FAILED = 1;

    private RecipientsCommand() {
    }

    /** What a subcommand does with the store once the configuration is loaded and the store open. */
    @FunctionalInterface
    private interface StoreWork {
        /** @param changes the administration of the lists, for the commands that change them */
        int run(GatewayConfig config, ValidRecipientStore store, ValidLists changes) throws IOException;
    }

    /**
     * The changes of the lists, made as the console's and the API's are and audited with the
     * operating-system user who ran the command; this process holds no lists to reload (running
     * gateways notice the change within seconds).
     */
    private static ValidLists changes(ValidRecipientStore store, ChangeNotifier notices) {
        return new ValidLists(store, () -> { }, Clock.systemUTC(), notices);
    }

    /**
     * Loads the configuration, checks the domain, opens the store, runs the work and reports its
     * failures as one line each (several for invalid entries), with the exit code.
     *
     * @param domainText the DOMAIN argument, or null for commands without one
     */
    private static int withStore(ConfigOption option, String domainText, StoreWork work) {
        Logging.quiet();
        GatewayConfig config = option.loadOrReport();
        if (config == null) {
            return Main.EXIT_BAD_CONFIG;
        }
        if (domainText != null) {
            try {
                warnIfUnused(config, ValidRecipientEntry.domain(domainText));
            } catch (IllegalArgumentException e) {
                System.err.println("gatehouse: DOMAIN: " + e.getMessage());
                return EXIT_FAILED;
            }
        }
        try (ChangeNotices notices = new ChangeNotices(config);
             Database database = Database.open(config.store(), config.dataDir())) {
            ValidRecipientStore store = new ValidRecipientStore(database);
            return work.run(config, store, changes(store, notices));
        } catch (StoreException | Refusal e) {
            System.err.println("gatehouse: " + e.getMessage());
            return EXIT_FAILED;
        } catch (IOException e) {
            System.err.println("gatehouse: " + describe(e));
            return EXIT_FAILED;
        }
    }

    /**
     * A list is kept whatever its domain, so that it can be prepared before the domain is switched
     * to valid_list; but a list that nothing reads is more often a typing mistake, so say so.
     */
    private static void warnIfUnused(GatewayConfig config, String domain) {
        PolicyConfig policy;
        try {
            policy = ConsoleStore.effectivePolicy(config); // the file's domains and the console's
        } catch (ConfigException | StoreException e) {
            return; // the command itself will say what is wrong with the store
        }
        Optional<PolicyConfig.DomainConfig> protectedDomain = policy.domain(domain);
        if (protectedDomain.isEmpty()) {
            System.err.println("gatehouse: warning: " + domain + " is not a protected domain (neither in the "
                    + "configuration file nor added in the console); its valid list has no effect until it is");
            return;
        }
        Verification mode = protectedDomain.get().verification() == Verification.INHERIT
                ? policy.recipientVerification() : protectedDomain.get().verification();
        if (mode != Verification.VALID_LIST) {
            System.err.println("gatehouse: note: " + domain + " is verified by " + mode.configName()
                    + "; its valid list is used once its verification is valid_list");
        }
    }

    /** An I/O failure in the words of the command line: the file, then what is wrong with it. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return e.getMessage() + ": no such file";
        }
        if (e instanceof AccessDeniedException) {
            return e.getMessage() + ": permission denied";
        }
        if (e instanceof CharacterCodingException) {
            return "not UTF-8 text";
        }
        return e.getMessage();
    }

    private static String entries(long count) {
        return count == 1 ? "1 entry" : count + " entries";
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Import a list file into DOMAIN's valid list, all or nothing.",
                    "One address per line, or CSV (the first field holding an @ is the address); @DOMAIN accepts "
                    + "every address; blank lines and lines starting with # are skipped. Invalid lines are "
                    + "reported with their line numbers, and then nothing is imported."})
    static final class Import implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--replace", description = "Make the list exactly the file's entries (default: add them).")
        boolean replace;

        @Parameters(index = "0", paramLabel = "DOMAIN", description = "The protected domain, e.g. example.com.")
        String domain;

        @Parameters(index = "1", paramLabel = "FILE", description = "The list file (UTF-8), or - for standard input.")
        String file;

        @Override
        public Integer call() {
            return withStore(config, domain, (loaded, store, changes) -> {
                try (BufferedReader reader = file.equals("-")
                        ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                        : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
                    ImportResult result;
                    try {
                        result = changes.importLines(ConsoleStore.ACTOR, domain, reader.lines().iterator(),
                                replace, file.equals("-") ? "standard input" : file);
                    } catch (Refusal e) {
                        System.err.println("gatehouse: " + file + ": " + e.getMessage());
                        return EXIT_FAILED;
                    } catch (UncheckedIOException e) { // reading the file failed half-way: nothing imported
                        System.err.println("gatehouse: " + file + ": " + describe(e.getCause()) + "; nothing imported");
                        return EXIT_FAILED;
                    }
                    String listDomain = ValidRecipientEntry.domain(domain);
                    if (result.replaced()) {
                        System.out.printf("%s: replaced the valid list with %s from %s (it had %d)%n",
                                listDomain, entries(result.after()), file, result.before());
                    } else {
                        System.out.printf("%s: %s read from %s, %d new; the list has %s%n", listDomain,
                                entries(result.entries()), file, result.added(), entries(result.after()));
                    }
                    return 0;
                }
            });
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Print DOMAIN's valid list from the store, one entry per line.",
                    "The output, read back with 'import --replace', gives the same list."})
    static final class Export implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "DOMAIN", description = "The protected domain.")
        String domain;

        @Override
        public Integer call() {
            return withStore(config, domain, (loaded, store, changes) -> {
                PrintWriter out = new PrintWriter(new BufferedWriter(
                        new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16));
                store.forEachEntry(domain, out::println);
                out.flush();
                return out.checkError() ? EXIT_FAILED : 0;
            });
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add addresses (or @DOMAIN for every address) to DOMAIN's valid list.")
    static final class Add implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(index = "0", paramLabel = "DOMAIN", description = "The protected domain.")
        String domain;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "ADDRESS", description = "e.g. alice@example.com")
        List<String> addresses;

        @Override
        public Integer call() {
            return withStore(config, domain, (loaded, store, changes) -> {
                int added = changes.add(ConsoleStore.ACTOR, domain, addresses);
                System.out.printf("%s: added %d of %d%s%n", ValidRecipientEntry.domain(domain), added,
                        addresses.size(), added < addresses.size() ? " (the others were listed already)" : "");
                return 0;
            });
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove addresses from DOMAIN's valid list in the store.",
                    "Addresses that are not listed are ignored."})
    static final class Remove implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(index = "0", paramLabel = "DOMAIN", description = "The protected domain.")
        String domain;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "ADDRESS", description = "e.g. alice@example.com")
        List<String> addresses;

        @Override
        public Integer call() {
            return withStore(config, domain, (loaded, store, changes) -> {
                String listDomain = ValidRecipientEntry.domain(domain);
                int removed = changes.remove(ConsoleStore.ACTOR, domain, addresses);
                System.out.printf("%s: removed %d of %d%s%n", listDomain, removed, addresses.size(),
                        removed < addresses.size() ? " (the others were not in the store's list)" : "");
                inConfigurationFile(loaded, listDomain).stream()
                        .filter(entry -> addresses.stream().anyMatch(a -> sameEntry(listDomain, a, entry)))
                        .forEach(entry -> System.err.println("gatehouse: note: " + entry + " is in the configuration "
                                + "file's valid_recipients, which stay in force; remove it there"));
                return 0;
            });
        }

        private static List<String> inConfigurationFile(GatewayConfig config, String domain) {
            return config.policy().stream()
                    .flatMap(policy -> policy.domains().stream())
                    .filter(d -> d.name().equals(domain))
                    .flatMap(d -> d.validRecipients().stream())
                    .toList();
        }

        private static boolean sameEntry(String domain, String a, String b) {
            try {
                return ValidRecipientEntry.normalize(domain, a).equals(ValidRecipientEntry.normalize(domain, b));
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
    }

    @Command(name = "count", mixinStandardHelpOptions = true,
            description = "Print the number of entries of DOMAIN's valid list, or of every list in the store.")
    static final class Count implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(arity = "0..1", paramLabel = "DOMAIN", description = "The protected domain (default: every list).")
        String domain;

        @Override
        public Integer call() {
            return withStore(config, domain, (loaded, store, changes) -> {
                Map<String, Long> counts = domain == null ? store.counts()
                        : Map.of(ValidRecipientEntry.domain(domain), store.count(domain));
                if (counts.isEmpty()) {
                    System.out.println("no valid lists in the store");
                }
                counts.forEach((listDomain, count) -> System.out.println(listDomain + " " + count));
                return 0;
            });
        }
    }

    @Command(name = "search", mixinStandardHelpOptions = true,
            description = {"Print the entries of DOMAIN's valid list that contain TEXT (ignoring case).",
                    "Exit code 1 if there are none."})
    static final class Search implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--limit", defaultValue = "50", paramLabel = "N",
                description = "At most N entries (default: ${DEFAULT-VALUE}; at most "
                        + ValidRecipientStore.MAX_SEARCH_RESULTS + ").")
        int limit;

        @Parameters(index = "0", paramLabel = "DOMAIN", description = "The protected domain.")
        String domain;

        @Parameters(index = "1", paramLabel = "TEXT", description = "Part of an address, e.g. alice or smith@.")
        String text;

        @Override
        public Integer call() {
            if (limit < 1) {
                System.err.println("gatehouse: --limit must be at least 1");
                return EXIT_FAILED;
            }
            return withStore(config, domain, (loaded, store, changes) -> {
                List<String> found = store.search(domain, text, limit);
                found.forEach(System.out::println);
                if (found.size() >= Math.min(limit, ValidRecipientStore.MAX_SEARCH_RESULTS)) {
                    System.err.println("gatehouse: note: the first " + found.size() + " shown; there may be more");
                }
                return found.isEmpty() ? EXIT_FAILED : 0;
            });
        }
    }
}
