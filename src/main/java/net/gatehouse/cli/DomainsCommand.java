package net.gatehouse.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import net.gatehouse.admin.ProtectedDomains;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.config.Rollout;
import net.gatehouse.store.ValidRecipientEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "domains", mixinStandardHelpOptions = true,
        description = {"List, add and remove protected domains: the domains whose mail Gatehouse accepts and "
                + "hands to their back-end servers.",
                "Domains declared in the configuration file are read-only here; the others are the console's "
                + "and change on running gateways within seconds."},
        subcommands = {DomainsCommand.ListDomains.class, DomainsCommand.Add.class, DomainsCommand.Remove.class})
final class DomainsCommand {

    private DomainsCommand() {
    }

    /** Where a domain or network of the policy in force comes from. */
    static String source(boolean pinned) {
        return pinned ? "file" : "console";
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the protected domains in force: name, where it is set (file or console), "
                    + "verification, back-end servers.")
    static final class ListDomains implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() {
            return ConsoleStore.withPolicy(config, (policy, changes) -> {
                PolicyConfig effective = policy.effective();
                if (effective.domains().isEmpty()) {
                    System.out.println("no protected domains");
                }
                int width = effective.domains().stream().mapToInt(d -> d.name().length()).max().orElse(0);
                for (DomainConfig domain : effective.domains()) {
                    System.out.printf("%-" + width + "s  %-7s  %-13s  %s%n", domain.name(),
                            source(policy.pinnedDomain(domain.name())), verification(domain, effective),
                            domain.backend().stream().map(ListenAddress::toString).collect(Collectors.joining(" ")));
                }
                return 0;
            });
        }

        private static String verification(DomainConfig domain, PolicyConfig policy) {
            return domain.verification() == Verification.INHERIT
                    ? policy.recipientVerification().configName() + " (global)" : domain.verification().configName();
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add a protected domain to the console's policy, or replace the one of that name "
                    + "(keeping its valid_recipients).",
                    "Back-end servers are tried in the order given."})
    static final class Add implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "NAME", description = "The domain, e.g. example.com.")
        String name;

        @Option(names = "--backend", required = true, paramLabel = "HOST:PORT",
                description = "A back-end server holding the mailboxes, e.g. mail1.internal:25; repeat for more.")
        List<String> backends;

        @Option(names = "--verification", paramLabel = "MODE", defaultValue = "inherit",
                description = "inherit (the global recipient_verification), none, callout, valid_list or directory "
                        + "(default: ${DEFAULT-VALUE}).")
        String verification;

        @Option(names = "--enforce", paramLabel = "inherit|true|false", defaultValue = "inherit",
                description = "false: observe mode for this domain (default: ${DEFAULT-VALUE}).")
        String enforce;

        @Option(names = "--unknown-recipient-reply", paramLabel = "inherit|550|450", defaultValue = "inherit",
                description = "The reply to its unknown recipients (default: ${DEFAULT-VALUE}).")
        String unknownRecipientReply;

        @Option(names = "--when-backend-down", paramLabel = "inherit|defer|accept_known", defaultValue = "inherit",
                description = "What its known addresses get while its back-end is down (default: ${DEFAULT-VALUE}).")
        String whenBackendDown;

        private Map<String, String> rollout() {
            return Map.of(Rollout.ENFORCE, enforce,
                    Rollout.UNKNOWN_RECIPIENT_REPLY, unknownRecipientReply,
                    Rollout.WHEN_BACKEND_DOWN, whenBackendDown);
        }

        @Override
        public Integer call() {
            // the arguments first, so that a mistake names its option; the rules are the administration's
            DomainConfig parsed;
            try {
                parsed = PolicyDocument.domain(name, backends, verification, rollout());
            } catch (ConfigException e) {
                System.err.println("gatehouse: " + option(e) + ": " + e.reason());
                return Main.EXIT_BAD_CONFIG;
            }
            return ConsoleStore.withPolicy(config, (policy, changes) -> {
                boolean exists = policy.stored().domain(parsed.name()).isPresent();
                new ProtectedDomains(policy, noCallout -> { }, changes).put(ConsoleStore.ACTOR, name, backends, verification,
                        rollout(), false);
                System.out.printf("%s %s the console's policy; running gateways follow within seconds%n",
                        parsed.name(), exists ? "replaced in" : "added to");
                return 0;
            });
        }

        /** The option a key of the parsed domain ({@code policy.domains[0].backend[1]}) came from. */
        private static String option(ConfigException e) {
            String key = e.key();
            if (key.contains(".backend")) {
                return "--backend";
            }
            if (key.contains(".verification")) {
                return "--verification";
            }
            for (String option : java.util.List.of("enforce", "unknown_recipient_reply", "when_backend_down")) {
                if (key.endsWith("." + option)) {
                    return "--" + option.replace('_', '-');
                }
            }
            return "NAME";
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a protected domain from the console's policy (its valid list in the store stays).")
    static final class Remove implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "NAME", description = "The domain, e.g. example.com.")
        String name;

        @Override
        public Integer call() {
            String domain;
            try {
                domain = ValidRecipientEntry.domain(name);
            } catch (IllegalArgumentException e) {
                System.err.println("gatehouse: NAME: " + e.getMessage());
                return Main.EXIT_BAD_CONFIG;
            }
            return ConsoleStore.withPolicy(config, (policy, changes) -> {
                new ProtectedDomains(policy, noCallout -> { }, changes).remove(ConsoleStore.ACTOR, domain);
                System.out.println(domain + " removed from the console's policy; running gateways follow within seconds");
                return 0;
            });
        }
    }
}
