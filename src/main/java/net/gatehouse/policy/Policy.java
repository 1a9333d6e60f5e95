package net.gatehouse.policy;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.HarvestConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.Rollout;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.route.Routes;

/**
 * One immutable snapshot of the policy: read by every RCPT decision without locks, replaced
 * whole when the policy changes (sessions in progress keep the snapshot they started with).
 *
 * @param rollout the global rollout settings (SPEC §9), which domains inherit
 */
public record Policy(TrustedNetworks trustedNetworks, boolean rejectUnknownRecipientDomains,
                     Verification recipientVerification, Map<String, ProtectedDomain> domains,
                     String subAddressDelimiter, VerificationCacheConfig cache, HarvestConfig harvest,
                     Rollout rollout) implements Routes {

    /** No protected domain, nobody trusted: every recipient is a relay attempt. */
    public static final Policy EMPTY = new Policy(TrustedNetworks.NONE, true, Verification.NONE, Map.of(), "",
            ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST);

    public Policy {
        domains = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(domains));
    }

    /** A snapshot with the rollout settings at their defaults. */
    public Policy(TrustedNetworks trustedNetworks, boolean rejectUnknownRecipientDomains,
                  Verification recipientVerification, Map<String, ProtectedDomain> domains,
                  String subAddressDelimiter, VerificationCacheConfig cache, HarvestConfig harvest) {
        this(trustedNetworks, rejectUnknownRecipientDomains, recipientVerification, domains, subAddressDelimiter,
                cache, harvest, Rollout.DEFAULTS);
    }

    public static Policy from(PolicyConfig config) {
        Map<String, ProtectedDomain> domains = new LinkedHashMap<>();
        for (PolicyConfig.DomainConfig domain : config.domains()) {
            domains.put(domain.name(), new ProtectedDomain(domain.name(), domain.backend(),
                    domain.verification(), ValidRecipients.of(domain.validRecipients()), domain.directories(),
                    domain.rollout()));
        }
        return new Policy(TrustedNetworks.parse(config.trustedNetworks()), config.rejectUnknownRecipientDomains(),
                config.recipientVerification(), domains, config.subAddressDelimiter(), config.cache(), config.harvest(),
                config.rollout());
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

    /** The rollout settings in force for a domain: its own, with what it inherits from the global ones. */
    public Rollout rolloutFor(ProtectedDomain domain) {
        return domain.rollout().over(rollout);
    }

    /** Where mail for the bare {@code <postmaster>} goes: the first protected domain. */
    public Optional<ProtectedDomain> postmasterDomain() {
        return domains.values().stream().findFirst();
    }
}
