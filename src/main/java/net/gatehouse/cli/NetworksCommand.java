package net.gatehouse.cli;

import java.util.List;
import java.util.concurrent.Callable;
import net.gatehouse.config.Cidr;
import net.gatehouse.admin.TrustedNetworkList;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "networks", mixinStandardHelpOptions = true,
        description = {"List, add and remove trusted networks: clients in them relay outbound through Gatehouse "
                + "and their recipients are never verified.",
                "Networks in the configuration file are read-only here; the others are the console's and "
                + "change on running gateways within seconds."},
        subcommands = {NetworksCommand.ListNetworks.class, NetworksCommand.Add.class, NetworksCommand.Remove.class})
final class NetworksCommand {

    private NetworksCommand() {
    }

    /** One change of the console's trusted networks, through the administration. */
    @FunctionalInterface
    private interface NetworkChange {
        String apply(TrustedNetworkList networks, String network);
    }

    /** Applies the change to the network, checked first so that a mistake names the argument. */
    private static int change(ConfigOption config, String cidr, NetworkChange change, String done) {
        String network;
        try {
            network = Cidr.normalize(cidr.strip());
        } catch (IllegalArgumentException e) {
            System.err.println("gatehouse: CIDR: " + e.getMessage());
            return Main.EXIT_BAD_CONFIG;
        }
        return ConsoleStore.withPolicy(config, (policy, changes) -> {
            change.apply(new TrustedNetworkList(policy, changes), network);
            System.out.println(network + done + "; running gateways follow within seconds");
            return 0;
        });
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the trusted networks in force and where each is set (file or console).")
    static final class ListNetworks implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() {
            return ConsoleStore.withPolicy(config, (policy, changes) -> {
                List<String> networks = policy.effective().trustedNetworks();
                if (networks.isEmpty()) {
                    System.out.println("no trusted networks");
                }
                int width = networks.stream().mapToInt(String::length).max().orElse(0);
                for (String network : networks) {
                    System.out.printf("%-" + width + "s  %s%n", network,
                            DomainsCommand.source(policy.pinnedNetwork(network)));
                }
                return 0;
            });
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Trust a network (console's policy).")
    static final class Add implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "CIDR", description = "e.g. 192.0.2.0/24, 2001:db8::/32, or one address.")
        String cidr;

        @Override
        public Integer call() {
            return change(config, cidr, (networks, network) -> networks.add(ConsoleStore.ACTOR, network), " trusted");
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Stop trusting a network of the console's policy.")
    static final class Remove implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "CIDR", description = "The network as listed, or any address form of it.")
        String cidr;

        @Override
        public Integer call() {
            return change(config, cidr, (networks, network) -> networks.remove(ConsoleStore.ACTOR, network),
                    " no longer trusted");
        }
    }
}
