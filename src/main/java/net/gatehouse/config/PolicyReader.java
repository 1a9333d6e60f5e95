package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;

/**
 * Reads a {@code policy} section: the one of the configuration file, and the document in which the
 * console keeps its part of the policy ({@link ConfigLoader#parsePolicy}). Both are read here, key by
 * key with the default next to it, so that a policy means the same wherever it was written. The
 * policy records which keys the text states: when two policies are combined, a key left out is not
 * the same as a key set to its default.
 */
final class PolicyReader {

    private PolicyReader() {
    }

    static PolicyConfig read(ConfigSection policy) throws ConfigException {
        List<String> trustedNetworks = policy.get("trusted_networks",
                v -> v.distinctList(n -> n.parse("an IP network such as 10.0.0.0/8", Cidr::normalize)), List.of());
        boolean rejectUnknownRecipientDomains = policy.get("reject_unknown_recipient_domains", ConfigValue::bool, true);
        Verification recipientVerification = policy.get("recipient_verification",
                v -> v.parse("none, callout or valid_list", PolicyReader::globalVerification), Verification.NONE);
        Map<String, String> domainPaths = new HashMap<>(); // name → path of the domain that has it
        List<DomainConfig> domains = policy.get("domains",
                v -> v.list(d -> d.section(domain -> domain(domain, domainPaths))), List.of());
        String subAddressDelimiter = policy.get("sub_address_delimiter", PolicyReader::subAddressDelimiter, "");
        VerificationCacheConfig cache = policy.section("cache", PolicyReader::verificationCache);
        HarvestConfig harvest = policy.section("harvest", PolicyReader::harvest);
        Set<String> declared = new HashSet<>();
        for (String key : PolicyConfig.KEYS) {
            if (policy.value(key).isPresent()) {
                declared.add(key);
            }
        }
        return new PolicyConfig(trustedNetworks, rejectUnknownRecipientDomains, recipientVerification, domains,
                subAddressDelimiter, cache, harvest, declared);
    }

    private static VerificationCacheConfig verificationCache(ConfigSection cache) throws ConfigException {
        VerificationCacheConfig d = ConfigLoader.DEFAULT_CACHE;
        VerificationCacheConfig config = new VerificationCacheConfig(
                cache.get("positive_ttl", ConfigValue::positiveDuration, d.positiveTtl()),
                cache.get("positive_refresh", ConfigValue::positiveDuration, d.positiveRefresh()),
                cache.get("negative_ttl", ConfigValue::positiveDuration, d.negativeTtl()),
                cache.get("negative_refresh", ConfigValue::positiveDuration, d.negativeRefresh()),
                cache.get("tempfail_hold", ConfigValue::duration, d.tempfailHold()),
                cache.get("max_entries", ConfigValue::positiveNumber, d.maxEntries()));
        if (config.positiveRefresh().compareTo(config.positiveTtl()) > 0) {
            throw cache.error("positive_refresh", "must not be longer than positive_ttl");
        }
        if (config.negativeRefresh().compareTo(config.negativeTtl()) > 0) {
            throw cache.error("negative_refresh", "must not be longer than negative_ttl");
        }
        return config;
    }

    private static HarvestConfig harvest(ConfigSection harvest) throws ConfigException {
        HarvestConfig d = ConfigLoader.DEFAULT_HARVEST;
        HarvestConfig config = new HarvestConfig(
                harvest.get("window", ConfigValue::positiveDuration, d.window()),
                harvest.get("tarpit_after", v -> v.wholeNumber(0, Integer.MAX_VALUE), d.tarpitAfter()),
                harvest.get("tarpit_delay", ConfigValue::duration, d.tarpitDelay()),
                harvest.get("block_after", v -> v.wholeNumber(0, Integer.MAX_VALUE), d.blockAfter()),
                harvest.get("block_for", ConfigValue::positiveDuration, d.blockFor()));
        if (config.blockAfter() > 0 && config.tarpitAfter() > config.blockAfter()) {
            throw harvest.error("tarpit_after", "must not be more than block_after (" + config.blockAfter() + ")");
        }
        return config;
    }

    private static String subAddressDelimiter(ConfigValue value) throws ConfigException {
        String delimiter = value.string();
        if (delimiter.length() > 1 || (!delimiter.isEmpty() && "+-_=".indexOf(delimiter.charAt(0)) < 0)) {
            throw value.error("expected one of + - _ = or \"\" (off), got \"" + delimiter + "\"");
        }
        return delimiter;
    }

    private static DomainConfig domain(ConfigSection domain, Map<String, String> domainPaths) throws ConfigException {
        ConfigValue nameValue = domain.required("name", v -> v);
        String name = nameValue.domainName();
        String earlier = domainPaths.putIfAbsent(name, domain.path());
        if (earlier != null) {
            throw nameValue.error("duplicate of " + earlier);
        }
        return new DomainConfig(
                name,
                domain.required("backend", v -> v.addresses(
                        b -> b.parse("a host:port", text -> HostPort.server(text, 25)))),
                domain.get("verification", v -> v.parse("inherit, none, callout or valid_list",
                        PolicyReader::domainVerification), Verification.INHERIT),
                domain.get("valid_recipients", v -> v.list(
                        r -> r.parse("an address", text -> validRecipient(text, name))), List.of()));
    }

    private static Verification domainVerification(String word) {
        for (Verification verification : Verification.values()) {
            if (verification.configName().equalsIgnoreCase(word)) {
                return verification;
            }
        }
        throw new IllegalArgumentException("expected inherit, none, callout or valid_list, got " + quote(word));
    }

    private static Verification globalVerification(String word) {
        Verification verification;
        try {
            verification = domainVerification(word);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected none, callout or valid_list, got " + quote(word));
        }
        if (verification == Verification.INHERIT) {
            throw new IllegalArgumentException("inherit is for a domain's verification, which then follows this "
                    + "setting; here, choose none, callout or valid_list");
        }
        return verification;
    }

    /**
     * An entry of a domain's valid list: {@code local@domain}, or {@code @domain} for every address
     * of the domain. Its domain must be the one the list belongs to, since an entry for another
     * domain could never match. The local part is kept as written (matching ignores case, SPEC §3).
     */
    private static String validRecipient(String text, String domain) {
        int at = text.lastIndexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("expected an address such as alice@" + domain + ", or @" + domain
                    + " for every address of the domain, got " + quote(text));
        }
        String local = text.substring(0, at);
        String addressDomain = DomainName.normalize(text.substring(at + 1));
        if (!addressDomain.equals(domain)) {
            throw new IllegalArgumentException(quote(text) + " is not an address of " + domain);
        }
        // RFC 5321 4.5.3.1.1: at most 64 octets; no blanks or controls, which no address contains
        if (local.getBytes(StandardCharsets.UTF_8).length > 64
                || local.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException(quote(text) + " is not a valid address");
        }
        return local + "@" + addressDomain;
    }
}
