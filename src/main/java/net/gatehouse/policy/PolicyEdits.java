package net.gatehouse.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.gatehouse.config.Cidr;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.config.HarvestConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.Rollout;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.policy.LivePolicy.RefusedChangeException;

/**
 * The edits the console, the API and the CLI make to the store's policy document, as pure
 * functions from one {@link PolicyConfig} to the next. A setting edited becomes declared in the
 * document (it no longer follows the default). {@link LivePolicy#edit} validates and writes them.
 */
public final class PolicyEdits {

    private PolicyEdits() {
    }

    public static PolicyConfig rejectUnknownRecipientDomains(PolicyConfig p, boolean value) {
        return carry(p, new PolicyConfig(p.trustedNetworks(), value, p.recipientVerification(), p.domains(),
                p.subAddressDelimiter(), p.cache(), p.harvest(), p.directories(), declare(p, PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS)));
    }

    /** @param value none, callout, valid_list or directory; never inherit */
    public static PolicyConfig recipientVerification(PolicyConfig p, Verification value) throws RefusedChangeException {
        if (value == Verification.INHERIT) {
            throw new RefusedChangeException("the global verification must be none, callout, valid_list or directory");
        }
        return carry(p, new PolicyConfig(p.trustedNetworks(), p.rejectUnknownRecipientDomains(), value, p.domains(),
                p.subAddressDelimiter(), p.cache(), p.harvest(), p.directories(), declare(p, PolicyConfig.RECIPIENT_VERIFICATION)));
    }

    public static PolicyConfig subAddressDelimiter(PolicyConfig p, String value) {
        return carry(p, new PolicyConfig(p.trustedNetworks(), p.rejectUnknownRecipientDomains(), p.recipientVerification(),
                p.domains(), value, p.cache(), p.harvest(), p.directories(), declare(p, PolicyConfig.SUB_ADDRESS_DELIMITER)));
    }

    public static PolicyConfig cache(PolicyConfig p, VerificationCacheConfig value) {
        return carry(p, new PolicyConfig(p.trustedNetworks(), p.rejectUnknownRecipientDomains(), p.recipientVerification(),
                p.domains(), p.subAddressDelimiter(), value, p.harvest(), p.directories(), declare(p, PolicyConfig.CACHE)));
    }

    public static PolicyConfig harvest(PolicyConfig p, HarvestConfig value) {
        return carry(p, new PolicyConfig(p.trustedNetworks(), p.rejectUnknownRecipientDomains(), p.recipientVerification(),
                p.domains(), p.subAddressDelimiter(), p.cache(), value, p.directories(), declare(p, PolicyConfig.HARVEST)));
    }

    /** Adds the domain, or replaces the one of the same name. */
    public static PolicyConfig putDomain(PolicyConfig p, DomainConfig domain) {
        List<DomainConfig> domains = new ArrayList<>();
        boolean replaced = false;
        for (DomainConfig existing : p.domains()) {
            if (existing.name().equals(domain.name())) {
                domains.add(domain);
                replaced = true;
            } else {
                domains.add(existing);
            }
        }
        if (!replaced) {
            domains.add(domain);
        }
        return withDomains(p, domains);
    }

    public static PolicyConfig removeDomain(PolicyConfig p, String name) throws RefusedChangeException {
        if (p.domain(name).isEmpty()) {
            throw new RefusedChangeException("there is no domain " + name + " in the console's policy");
        }
        return withDomains(p, p.domains().stream().filter(d -> !d.name().equals(name)).toList());
    }

    /** Adds the directory, or replaces the one of the same name, in its place. */
    public static PolicyConfig putDirectory(PolicyConfig p, DirectoryConfig directory) {
        List<DirectoryConfig> directories = new ArrayList<>();
        boolean replaced = false;
        for (DirectoryConfig existing : p.directories()) {
            replaced |= existing.name().equals(directory.name());
            directories.add(existing.name().equals(directory.name()) ? directory : existing);
        }
        if (!replaced) {
            directories.add(directory);
        }
        return withDirectories(p, directories);
    }

    public static PolicyConfig removeDirectory(PolicyConfig p, String name) throws RefusedChangeException {
        if (p.directory(name).isEmpty()) {
            throw new RefusedChangeException("there is no directory " + name + " in the console's policy");
        }
        return withDirectories(p, p.directories().stream().filter(d -> !d.name().equals(name)).toList());
    }

    /** @param cidr any form {@link Cidr#normalize} takes; stored in normal form */
    public static PolicyConfig addNetwork(PolicyConfig p, String cidr) throws RefusedChangeException {
        String network = normalize(cidr);
        if (p.trustedNetworks().contains(network)) {
            throw new RefusedChangeException(network + " is trusted already");
        }
        List<String> networks = new ArrayList<>(p.trustedNetworks());
        networks.add(network);
        return withNetworks(p, networks);
    }

    public static PolicyConfig removeNetwork(PolicyConfig p, String cidr) throws RefusedChangeException {
        String network = normalize(cidr);
        if (!p.trustedNetworks().contains(network)) {
            throw new RefusedChangeException(network + " is not among the console's trusted networks");
        }
        return withNetworks(p, p.trustedNetworks().stream().filter(n -> !n.equals(network)).toList());
    }

    /** The normal form of a network ({@code 10.1.2.3/8} → {@code 10.0.0.0/8}). */
    public static String normalize(String cidr) throws RefusedChangeException {
        try {
            return Cidr.normalize(cidr.strip());
        } catch (IllegalArgumentException e) {
            throw new RefusedChangeException(e.getMessage());
        }
    }

    private static PolicyConfig withDomains(PolicyConfig p, List<DomainConfig> domains) {
        return carry(p, new PolicyConfig(p.trustedNetworks(), p.rejectUnknownRecipientDomains(), p.recipientVerification(),
                domains, p.subAddressDelimiter(), p.cache(), p.harvest(), p.directories(), declare(p, PolicyConfig.DOMAINS)));
    }

    private static PolicyConfig withNetworks(PolicyConfig p, List<String> networks) {
        return carry(p, new PolicyConfig(networks, p.rejectUnknownRecipientDomains(), p.recipientVerification(),
                p.domains(), p.subAddressDelimiter(), p.cache(), p.harvest(), p.directories(), declare(p, PolicyConfig.TRUSTED_NETWORKS)));
    }

    private static PolicyConfig withDirectories(PolicyConfig p, List<DirectoryConfig> directories) {
        Set<String> declared = declare(p, PolicyConfig.DIRECTORIES);
        if (directories.isEmpty()) {
            declared.remove(PolicyConfig.DIRECTORIES);
        }
        return carry(p, new PolicyConfig(p.trustedNetworks(), p.rejectUnknownRecipientDomains(), p.recipientVerification(),
                p.domains(), p.subAddressDelimiter(), p.cache(), p.harvest(), directories, declared));
    }

    /** The edited policy with {@code p}'s rollout settings, which the constructors above leave at the defaults. */
    private static PolicyConfig carry(PolicyConfig p, PolicyConfig edited) {
        return edited.withRollout(p.rollout(), Set.of());
    }

    /** Sets the global rollout settings; each key of {@code keys} becomes declared. */
    public static PolicyConfig rollout(PolicyConfig p, Rollout value, Set<String> keys) {
        return p.withRollout(value, keys);
    }

    private static Set<String> declare(PolicyConfig p, String key) {
        Set<String> declared = new HashSet<>(p.declared());
        declared.add(key);
        return declared;
    }
}
