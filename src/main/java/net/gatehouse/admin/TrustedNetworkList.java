package net.gatehouse.admin;

import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.LivePolicy.RefusedChangeException;
import net.gatehouse.policy.PolicyEdits;
import net.gatehouse.store.Actor;

/**
 * Changes to the trusted networks of the console's policy (the clients that relay outbound and
 * whose recipients are never verified; {@code policy.TrustedNetworks} answers whether a client is
 * in them). A network the configuration file trusts is pinned. Each change is audited
 * ({@code network.add}, {@code network.remove}) in the transaction that writes it.
 */
public final class TrustedNetworkList {

    private final LivePolicy policy;
    private final ChangeNotifier changes;

    /** @param changes told of each change made, for the other nodes */
    public TrustedNetworkList(LivePolicy policy, ChangeNotifier changes) {
        this.policy = policy;
        this.changes = changes;
    }

    /**
     * Trusts a network.
     *
     * @param cidr a network ({@code 192.0.2.0/24}, {@code 2001:db8::/32}) or one address, in any form
     * @return the network in normal form
     * @throws Refusal INVALID if it is not a network; CONFLICT if it is trusted already (by the file or the console)
     */
    public String add(Actor actor, String cidr) {
        String network = normalize(cidr);
        if (policy.pinnedNetwork(network)) {
            throw Refusal.conflict(network + " is trusted by the configuration file already");
        }
        PolicyEdit.apply(policy, changes, actor, "network.add", network, stored -> PolicyEdits.addNetwork(stored, network));
        return network;
    }

    /**
     * Stops trusting a network that the console trusts.
     *
     * @return the network in normal form
     * @throws Refusal INVALID if it is not a network; CONFLICT if the file trusts it; NOT_FOUND if
     *                 the console does not
     */
    public String remove(Actor actor, String cidr) {
        String network = normalize(cidr);
        if (policy.pinnedNetwork(network)) {
            throw Refusal.conflict(network + " is trusted by the configuration file; remove it there and reload "
                    + "(gatehouse reload)");
        }
        if (!policy.stored().trustedNetworks().contains(network)) {
            throw Refusal.notFound(network + " is not a trusted network");
        }
        PolicyEdit.apply(policy, changes, actor, "network.remove", network,
                stored -> PolicyEdits.removeNetwork(stored, network));
        return network;
    }

    /**
     * The normal form of a network ({@code 10.1.2.3/8} is {@code 10.0.0.0/8}).
     *
     * @throws Refusal INVALID saying what is wrong with the text
     */
    public static String normalize(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            throw Refusal.invalid("cidr is required: a network such as 192.0.2.0/24 or 2001:db8::/32, or one address");
        }
        try {
            return PolicyEdits.normalize(cidr);
        } catch (RefusedChangeException e) {
            throw Refusal.invalid("cidr: " + e.getMessage());
        }
    }
}
