package net.gatehouse.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import net.gatehouse.admin.PolicySettings;
import net.gatehouse.admin.Refusal;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.config.Rollout;
import net.gatehouse.policy.LivePolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "policy", mixinStandardHelpOptions = true,
        description = {"Export and import the console's policy document: the body of a policy section, kept in "
                + "the store and edited from the console, the API and the command line.",
                "What the configuration file's policy section declares is pinned: in force as written, and "
                + "refused in an import. Running gateways follow an import within seconds."},
        subcommands = {PolicyCommand.Export.class, PolicyCommand.Import.class, PolicyCommand.Set.class})
final class PolicyCommand {

    private PolicyCommand() {
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Print the console's policy document (YAML), as 'policy import' reads it back.",
                    "With --effective, print the whole policy in force instead: the configuration file's "
                    + "section merged with the console's document, every setting written out."})
    static final class Export implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--effective", description = "The policy in force (file and console), not the console's part.")
        boolean effective;

        @Override
        public Integer call() {
            return ConsoleStore.run(config, store -> {
                if (!effective) {
                    System.out.print(store.policyStore().read().document());
                    return 0;
                }
                try (LivePolicy policy = store.policy()) {
                    System.out.print(PolicyDocument.write(everySetting(policy.effective())));
                    return 0;
                }
            });
        }

        /**
         * The same policy declaring every setting, so that the defaults in force are written too, and
         * its directories (those added in the console; their passwords stay in the store).
         */
        private static PolicyConfig everySetting(PolicyConfig p) {
            java.util.Set<String> keys = new HashSet<>(PolicyConfig.KEYS);
            if (p.directories().isEmpty()) {
                keys.remove(PolicyConfig.DIRECTORIES);
            }
            return new PolicyConfig(p.trustedNetworks(), p.rejectUnknownRecipientDomains(), p.recipientVerification(),
                    p.domains(), p.subAddressDelimiter(), p.cache(), p.harvest(), p.directories(), keys)
                    .withRollout(p.rollout(), java.util.Set.of());
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Replace the console's policy document with FILE, all or nothing.",
                    "FILE is the body of a policy section (what 'policy export' prints), validated as the "
                    + "configuration file is: errors name the key. Settings and domains that the configuration "
                    + "file declares are refused (exit code 3). The change is recorded in the audit log."})
    static final class Import implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "FILE", description = "The policy document (YAML, UTF-8), or - for standard input.")
        String file;

        @Override
        public Integer call() {
            String document;
            try {
                document = file.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                        : Files.readString(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("gatehouse: " + RecipientsCommand.describe(e));
                return ConsoleStore.EXIT_FAILED;
            }
            return ConsoleStore.withPolicy(config, (policy, changes) -> {
                try {
                    new PolicySettings(policy, changes).importDocument(ConsoleStore.ACTOR, document);
                } catch (Refusal e) {
                    if (e.kind() != Refusal.Kind.INVALID) {
                        throw e;
                    }
                    System.err.println("gatehouse: " + file + ": " + e.getMessage());
                    return Main.EXIT_BAD_CONFIG;
                }
                PolicyConfig stored = policy.stored();
                System.out.printf("imported %s: the console's policy has %s and %s; running gateways follow "
                        + "it within seconds%n", file, count(stored.domains().size(), "domain"),
                        count(stored.trustedNetworks().size(), "trusted network"));
                return 0;
            });
        }

        private static String count(int n, String noun) {
            return n + " " + noun + (n == 1 ? "" : "s");
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Change the global rollout settings of the console's policy (SPEC §9), as the console's "
                    + "MTA advanced settings do: --enforce false is observe mode (what verification would refuse is "
                    + "accepted and logged as would_reject).",
                    "Settings the configuration file declares are refused (exit code 3). The change is recorded "
                    + "in the audit log; running gateways follow it within seconds."})
    static final class Set implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--enforce", paramLabel = "true|false", description = "false: observe mode.")
        String enforce;

        @Option(names = "--unknown-recipient-reply", paramLabel = "550|450",
                description = "The reply to unknown recipients: 550 5.1.1, or 450 4.1.1 while you watch the log.")
        String unknownRecipientReply;

        @Option(names = "--when-backend-down", paramLabel = "defer|accept_known",
                description = "What a callout domain's known addresses get while its back-end is down.")
        String whenBackendDown;

        @Override
        public Integer call() {
            Map<String, String> words = new LinkedHashMap<>();
            words.put(Rollout.ENFORCE, enforce);
            words.put(Rollout.UNKNOWN_RECIPIENT_REPLY, unknownRecipientReply);
            words.put(Rollout.WHEN_BACKEND_DOWN, whenBackendDown);
            return ConsoleStore.withPolicy(config, (policy, changes) -> {
                boolean changed = new PolicySettings(policy, changes).changeRollout(ConsoleStore.ACTOR, words);
                Rollout now = policy.effective().rollout();
                System.out.printf("%s: enforce %s, unknown_recipient_reply %s, when_backend_down %s%n",
                        changed ? "changed" : "unchanged", now.enforces(), now.unknownRecipientReply().configName(),
                        now.whenBackendDown().configName());
                return 0;
            });
        }
    }
}
