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
 */
public record PolicyConfig(
        List<String> trustedNetworks,
        boolean rejectUnknownRecipientDomains,
        Verification recipientVerification,
        List<DomainConfig> domains,
        String subAddressDelimiter,
        VerificationCacheConfig cache,
        HarvestConfig harvest) {

    public PolicyConfig {
        trustedNetworks = List.copyOf(trustedNetworks);
        domains = List.copyOf(domains);
    }

    /** Each domain's {@code valid_recipients}, by domain name. */
    public java.util.Map<String, List<String>> validRecipientsByDomain() {
        java.util.Map<String, List<String>> lists = new java.util.LinkedHashMap<>();
        domains.forEach(domain -> lists.put(domain.name(), domain.validRecipients()));
        return lists;
    }

    /** Recipient verification modes; {@link #INHERIT} only on a domain. */
    public enum Verification {
        INHERIT, NONE, CALLOUT, VALID_LIST;

        /** The word used in the file, the console and the API. */
        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A protected domain: where its mail goes and how its recipients are verified. */
    public record DomainConfig(
            String name,
            List<ListenAddress> backend,
            Verification verification,
            List<String> validRecipients) {

        public DomainConfig {
            backend = List.copyOf(backend);
            validRecipients = List.copyOf(validRecipients);
        }
    }
}
