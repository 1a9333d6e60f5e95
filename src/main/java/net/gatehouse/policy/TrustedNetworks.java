package net.gatehouse.policy;

import java.net.InetAddress;
import java.util.List;
import net.gatehouse.config.Cidr;

/**
 * The networks whose clients are the organisation's own servers: they may relay outbound, and
 * their recipients are never verified (seed: "not performed when ... from trusted network hosts").
 */
public record TrustedNetworks(List<Cidr> networks) {

    public static final TrustedNetworks NONE = new TrustedNetworks(List.of());

    public TrustedNetworks {
        networks = List.copyOf(networks);
    }

    public static TrustedNetworks parse(List<String> cidrs) {
        return new TrustedNetworks(cidrs.stream().map(Cidr::parse).toList());
    }

    public boolean contains(InetAddress client) {
        for (Cidr network : networks) {
            if (network.contains(client)) {
                return true;
            }
        }
        return false;
    }
}
