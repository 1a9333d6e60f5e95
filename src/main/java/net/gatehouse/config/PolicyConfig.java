package net.gatehouse.config;

import java.util.List;

/**
 * The {@code policy} section of the file (SPEC §2).
 *
 * @param trustedNetworks               CIDR blocks whose clients relay outbound and are never verified
 * @param rejectUnknownRecipientDomains "Reject messages for unknown recipient domains" (seed default yes)
 * @param recipientVerification         "Reject messages for unverified recipients", global default
 * @param subAddressDelimiter           {@code "+"} lets {@code user+tag@} match {@code user@} in valid
 *                                      lists (Postfix {@code recipient_delimiter}); empty: off
 * @param cache                         lifetimes of callout results
 * @param harvest                       directory-harvest thresholds
 * @param directories                   the LDAP directories of {@code verification: directory} (SPEC §8):
 *                                      the file's, and those added in the console or the API (whose
 *                                      passwords are kept apart, in the store)
 * @param declared                      the keys of {@link #KEYS} that the document states; the others
 *                                      hold their defaults. The console may change a setting only when
 *                                      the configuration file does not declare it (docs/CONSOLE.md)
 * @param rollout                       {@code enforce}, {@code unknown_recipient_reply} and
 *                                      {@code when_backend_down}, the global defaults (SPEC §9); never inherit
 */
public record PolicyConfig(
        List<String> trustedNetworks,
        boolean rejectUnknownRecipientDomains,
        Verification recipientVerification,
        List<DomainConfig> domains,
        String subAddressDelimiter,
        VerificationCacheConfig cache,
        HarvestConfig harvest,
        List<DirectoryConfig> directories,
        java.util.Set<String> declared,
        Rollout rollout) {

    /** The keys of a {@code policy} section. */
    public static final String TRUSTED_NETWORKS = "trusted_networks";
    public static final String REJECT_UNKNOWN_RECIPIENT_DOMAINS = "reject_unknown_recipient_domains";
    public static final String RECIPIENT_VERIFICATION = "recipient_verification";
    public static final String DOMAINS = "domains";
    public static final String SUB_ADDRESS_DELIMITER = "sub_address_delimiter";
    public static final String CACHE = "cache";
    public static final String HARVEST = "harvest";
    public static final String DIRECTORIES = "directories";
    public static final java.util.Set<String> KEYS = java.util.Set.of(TRUSTED_NETWORKS,
            REJECT_UNKNOWN_RECIPIENT_DOMAINS, RECIPIENT_VERIFICATION, DOMAINS, SUB_ADDRESS_DELIMITER, CACHE, HARVEST,
            DIRECTORIES, Rollout.ENFORCE, Rollout.UNKNOWN_RECIPIENT_REPLY, Rollout.WHEN_BACKEND_DOWN);

    /** No networks, no domains, every setting at its default, nothing declared. */
    public static final PolicyConfig DEFAULTS = new PolicyConfig(List.of(), true, Verification.NONE, List.of(), "",
            ConfigLoader.DEFAULT_CACHE, ConfigLoader.DEFAULT_HARVEST, List.of(), java.util.Set.of(), Rollout.DEFAULTS);

    public PolicyConfig {
        trustedNetworks = List.copyOf(trustedNetworks);
        domains = List.copyOf(domains);
        directories = List.copyOf(directories);
        declared = java.util.Set.copyOf(declared);
        if (!KEYS.containsAll(declared)) {
            throw new IllegalArgumentException("unknown policy keys in " + declared);
        }
        if (rollout.enforce() == Rollout.Enforce.INHERIT
                || rollout.unknownRecipientReply() == Rollout.UnknownRecipientReply.INHERIT
                || rollout.whenBackendDown() == Rollout.BackendDown.INHERIT) {
            throw new IllegalArgumentException("the global rollout settings cannot inherit: " + rollout);
        }
    }

    /** A policy with the rollout settings at their defaults. */
    public PolicyConfig(List<String> trustedNetworks, boolean rejectUnknownRecipientDomains,
                        Verification recipientVerification, List<DomainConfig> domains, String subAddressDelimiter,
                        VerificationCacheConfig cache, HarvestConfig harvest, List<DirectoryConfig> directories,
                        java.util.Set<String> declared) {
        this(trustedNetworks, rejectUnknownRecipientDomains, recipientVerification, domains, subAddressDelimiter,
                cache, harvest, directories, declared, Rollout.DEFAULTS);
    }

    /**
     * This policy with other global rollout settings, each of {@code keys} declared (an edit: the
     * settings no longer follow the default). Pass the current rollout and no keys to carry it over.
     */
    public PolicyConfig withRollout(Rollout other, java.util.Set<String> keys) {
        java.util.Set<String> all = new java.util.HashSet<>(declared);
        all.addAll(keys);
        return new PolicyConfig(trustedNetworks, rejectUnknownRecipientDomains, recipientVerification, domains,
                subAddressDelimiter, cache, harvest, directories, all, other);
    }

    /** A policy without directories. */
    public PolicyConfig(List<String> trustedNetworks, boolean rejectUnknownRecipientDomains,
                        Verification recipientVerification, List<DomainConfig> domains, String subAddressDelimiter,
                        VerificationCacheConfig cache, HarvestConfig harvest, java.util.Set<String> declared) {
        this(trustedNetworks, rejectUnknownRecipientDomains, recipientVerification, domains, subAddressDelimiter,
                cache, harvest, List.of(), declared);
    }

    /** A policy that declares every key but {@code directories} (as a complete stored document does). */
    public PolicyConfig(List<String> trustedNetworks, boolean rejectUnknownRecipientDomains,
                        Verification recipientVerification, List<DomainConfig> domains, String subAddressDelimiter,
                        VerificationCacheConfig cache, HarvestConfig harvest) {
        this(trustedNetworks, rejectUnknownRecipientDomains, recipientVerification, domains, subAddressDelimiter,
                cache, harvest, List.of(), KEYS.stream().filter(k -> !k.equals(DIRECTORIES))
                        .collect(java.util.stream.Collectors.toSet()));
    }

    /** The directory of that name, if this policy has it. */
    public java.util.Optional<DirectoryConfig> directory(String name) {
        return directories.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /** Whether the document states {@code key}, one of {@link #KEYS}. */
    public boolean declares(String key) {
        return declared.contains(key);
    }

    /** The domain of that name, if this policy has it. */
    public java.util.Optional<DomainConfig> domain(String name) {
        return domains.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /** Each domain's {@code valid_recipients}, by domain name. */
    public java.util.Map<String, List<String>> validRecipientsByDomain() {
        java.util.Map<String, List<String>> lists = new java.util.LinkedHashMap<>();
        domains.forEach(domain -> lists.put(domain.name(), domain.validRecipients()));
        return lists;
    }

    /** Recipient verification modes; {@link #INHERIT} only on a domain. */
    public enum Verification {
        INHERIT, NONE, CALLOUT, VALID_LIST, DIRECTORY;

        /** The word used in the file, the console and the API. */
        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A protected domain: where its mail goes and how its recipients are verified.
     *
     * @param directories the directories its recipients are looked up in under {@code verification:
     *                    directory}, by name; empty: every directory of the policy
     * @param rollout     its {@code enforce}, {@code unknown_recipient_reply} and {@code when_backend_down};
     *                    each may inherit the global setting
     */
    public record DomainConfig(
            String name,
            List<ListenAddress> backend,
            Verification verification,
            List<String> validRecipients,
            List<String> directories,
            Rollout rollout) {

        public DomainConfig {
            backend = List.copyOf(backend);
            validRecipients = List.copyOf(validRecipients);
            directories = List.copyOf(directories);
        }

        /** A domain that inherits the global rollout settings. */
        public DomainConfig(String name, List<ListenAddress> backend, Verification verification,
                            List<String> validRecipients, List<String> directories) {
            this(name, backend, verification, validRecipients, directories, Rollout.INHERIT);
        }

        /** This domain with other rollout settings. */
        public DomainConfig withRollout(Rollout other) {
            return new DomainConfig(name, backend, verification, validRecipients, directories, other);
        }

        /** A domain that names no directory. */
        public DomainConfig(String name, List<ListenAddress> backend, Verification verification,
                            List<String> validRecipients) {
            this(name, backend, verification, validRecipients, List.of());
        }
    }
}
