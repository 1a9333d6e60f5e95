package net.gatehouse.policy;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.HarvestConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.route.Routes;

/**
 * One immutable snapshot of the policy: read by every RCPT decision without locks, replaced
 * whole when the policy changes (sessions in progress keep the snapshot they started with).
 */
public record Policy(TrustedNetworks trustedNetworks, boolean rejectUnknownRecipientDomains,
                     Verification recipientVerification, Map<String, ProtectedDomain> domains,
                     String subAddressDelimiter, VerificationCacheConfig cache, HarvestConfig harvest) implements Routes {

    /** No protected domain, nobody trusted: every recipient is a relay attempt. */
    public static final Policy EMPTY = new Policy(TrustedNetworks.NONE, true, Verification.NONE, Map.of(), "",
            ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST);

    public Policy {
        domains = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(domains));
    }

    public static Policy from(PolicyConfig config) {
        Map<String, ProtectedDomain> domains = new LinkedHashMap<>();
        for (PolicyConfig.DomainConfig domain : config.domains()) {
            domains.put(domain.name(), new ProtectedDomain(domain.name(), domain.backend(),
                    domain.verification(), ValidRecipients.of(domain.validRecipients()), domain.directories()));
        }
        return new Policy(TrustedNetworks.parse(config.trustedNetworks()), config.rejectUnknownRecipientDomains(),
                config.recipientVerification(), domains, config.subAddressDelimiter(), config.cache(), config.harvest());
    }

    /** The protected domain for an ASCII, lower-case domain name. */
    @Override
    public Optional<ProtectedDomain> domain(String asciiDomain) {
        return Optional.ofNullable(domains.get(asciiDomain));
    }

    public boolean isTrusted(InetAddress client) {
        return trustedNetworks.contains(client);
    }

    /** The verification mode in force for a domain, resolving {@code inherit}. */
    public Verification verificationFor(ProtectedDomain domain) {
        return domain.verification() == Verification.INHERIT ? recipientVerification : domain.verification();
    }

    /** Where mail for the bare {@code <postmaster>} goes: the first protected domain. */
    public Optional<ProtectedDomain> postmasterDomain() {
        return domains.values().stream().findFirst();
    }
}
