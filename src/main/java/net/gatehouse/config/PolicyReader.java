package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
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

    /** The console's document (the store's), whose directories keep their passwords in the store. */
    static PolicyConfig read(ConfigSection policy) throws ConfigException {
        return read(policy, Optional.empty());
    }

    /**
     * @param fileDir the directory of the configuration file, against which the directories' files
     *                are resolved; empty for the console's document, whose directories name absolute
     *                files and whose domains may name the file's directories (checked on the merged
     *                policy, {@code policy.LivePolicy})
     */
    static PolicyConfig read(ConfigSection policy, Optional<Path> fileDir) throws ConfigException {
        List<String> trustedNetworks = policy.get("trusted_networks",
                v -> v.distinctList(n -> n.parse("an IP network such as 10.0.0.0/8", Cidr::normalize)), List.of());
        boolean rejectUnknownRecipientDomains = policy.get("reject_unknown_recipient_domains", ConfigValue::bool, true);
        Verification recipientVerification = policy.get("recipient_verification",
                v -> v.parse("none, callout, valid_list or directory", PolicyReader::globalVerification), Verification.NONE);
        List<DirectoryConfig> directories = directories(policy, fileDir);
        Map<String, String> domainPaths = new HashMap<>(); // name → path of the domain that has it
        List<DomainConfig> domains = policy.get("domains",
                v -> v.list(d -> d.section(domain -> domain(domain, domainPaths, directories, fileDir.isPresent()))),
                List.of());
        if (fileDir.isPresent() && recipientVerification == Verification.DIRECTORY && directories.isEmpty()) {
            throw policy.error("recipient_verification", "directory needs at least one directory in policy.directories");
        }
        String subAddressDelimiter = policy.get("sub_address_delimiter", PolicyReader::subAddressDelimiter, "");
        VerificationCacheConfig cache = policy.section("cache", PolicyReader::verificationCache);
        HarvestConfig harvest = policy.section("harvest", PolicyReader::harvest);
        Rollout rollout = Rollout.read(policy, Rollout.DEFAULTS, false);
        Set<String> declared = new HashSet<>();
        for (String key : PolicyConfig.KEYS) {
            if (policy.value(key).isPresent()) {
                declared.add(key);
            }
        }
        return new PolicyConfig(trustedNetworks, rejectUnknownRecipientDomains, recipientVerification, domains,
                subAddressDelimiter, cache, harvest, directories, declared, rollout);
    }

    private static List<DirectoryConfig> directories(ConfigSection policy, Optional<Path> fileDir) throws ConfigException {
        Set<String> names = new HashSet<>();
        return policy.get(PolicyConfig.DIRECTORIES, v -> v.list(d -> d.section(
                directory -> DirectoryReader.read(directory, fileDir, System.getenv(), names))), List.of());
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

    private static DomainConfig domain(ConfigSection domain, Map<String, String> domainPaths,
                                       List<DirectoryConfig> directories, boolean inFile) throws ConfigException {
        ConfigValue nameValue = domain.required("name", v -> v);
        String name = nameValue.domainName();
        String earlier = domainPaths.putIfAbsent(name, domain.path());
        if (earlier != null) {
            throw nameValue.error("duplicate of " + earlier);
        }
        List<ListenAddress> backend = domain.required("backend", v -> v.addresses(
                b -> b.parse("a host:port", text -> HostPort.server(text, 25))));
        Verification verification = domain.get("verification", v -> v.parse("inherit, none, callout, valid_list or directory",
                PolicyReader::domainVerification), Verification.INHERIT);
        List<String> validRecipients = domain.get("valid_recipients", v -> v.list(
                r -> r.parse("an address", text -> validRecipient(text, name))), List.of());
        List<String> names = domain.get("directory", v -> v.distinctList(d -> directoryName(d, directories, inFile)),
                List.of());
        if (!names.isEmpty() && verification != Verification.DIRECTORY && verification != Verification.INHERIT) {
            throw domain.error("directory", "is used only with verification: directory (here: "
                    + verification.configName() + ")");
        }
        if (inFile && verification == Verification.DIRECTORY && directories.isEmpty()) {
            throw domain.error("verification", "directory needs at least one directory in policy.directories");
        }
        Rollout rollout = Rollout.read(domain, Rollout.INHERIT, true);
        return new DomainConfig(name, backend, verification, validRecipients, names, rollout);
    }

    /** A directory's name; in the file, one of its {@code policy.directories}. */
    private static String directoryName(ConfigValue value, List<DirectoryConfig> directories, boolean inFile)
            throws ConfigException {
        String name = value.string().strip();
        if (inFile && directories.stream().noneMatch(d -> d.name().equals(name))) {
            List<String> known = directories.stream().map(DirectoryConfig::name).toList();
            throw value.error("no directory " + quote(name) + " in policy.directories"
                    + (known.isEmpty() ? " (it has none)" : " (it has " + String.join(", ", known) + ")"));
        }
        return name;
    }

    private static Verification domainVerification(String word) {
        for (Verification verification : Verification.values()) {
            if (verification.configName().equalsIgnoreCase(word)) {
                return verification;
            }
        }
        throw new IllegalArgumentException("expected inherit, none, callout, valid_list or directory, got " + quote(word));
    }

    private static Verification globalVerification(String word) {
        Verification verification;
        try {
            verification = domainVerification(word);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected none, callout, valid_list or directory, got " + quote(word));
        }
        if (verification == Verification.INHERIT) {
            throw new IllegalArgumentException("inherit is for a domain's verification, which then follows this "
                    + "setting; here, choose none, callout, valid_list or directory");
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
