package net.gatehouse.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * A {@link PolicyConfig} written back as the body of a {@code policy} section: the form in which
 * the console keeps its part of the policy in the store and {@code gatehouse policy export} prints
 * it. Only the keys the policy declares are written, so the document read back by
 * {@link ConfigLoader#parsePolicy} is the same policy, declaring the same keys.
 */
public final class PolicyDocument {

    private PolicyDocument() {
    }

    /** The YAML text of {@code policy}; {@code "{}\n"} when it declares nothing. */
    public static String write(PolicyConfig policy) {
        Map<String, Object> root = new LinkedHashMap<>();
        if (policy.declares(PolicyConfig.TRUSTED_NETWORKS)) {
            root.put(PolicyConfig.TRUSTED_NETWORKS, policy.trustedNetworks());
        }
        if (policy.declares(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS)) {
            root.put(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS, policy.rejectUnknownRecipientDomains());
        }
        if (policy.declares(PolicyConfig.RECIPIENT_VERIFICATION)) {
            root.put(PolicyConfig.RECIPIENT_VERIFICATION, policy.recipientVerification().configName());
        }
        if (policy.declares(PolicyConfig.SUB_ADDRESS_DELIMITER)) {
            root.put(PolicyConfig.SUB_ADDRESS_DELIMITER, policy.subAddressDelimiter());
        }
        if (policy.declares(PolicyConfig.CACHE)) {
            root.put(PolicyConfig.CACHE, cache(policy.cache()));
        }
        if (policy.declares(PolicyConfig.HARVEST)) {
            root.put(PolicyConfig.HARVEST, harvest(policy.harvest()));
        }
        if (policy.declares(Rollout.ENFORCE)) {
            root.put(Rollout.ENFORCE, policy.rollout().enforces());
        }
        if (policy.declares(Rollout.UNKNOWN_RECIPIENT_REPLY)) {
            root.put(Rollout.UNKNOWN_RECIPIENT_REPLY, Integer.valueOf(policy.rollout().unknownRecipientReply().configName()));
        }
        if (policy.declares(Rollout.WHEN_BACKEND_DOWN)) {
            root.put(Rollout.WHEN_BACKEND_DOWN, policy.rollout().whenBackendDown().configName());
        }
        if (policy.declares(PolicyConfig.DOMAINS)) {
            List<Object> domains = new ArrayList<>();
            policy.domains().forEach(domain -> domains.add(domain(domain)));
            root.put(PolicyConfig.DOMAINS, domains);
        }
        if (policy.declares(PolicyConfig.DIRECTORIES)) {
            root.put(PolicyConfig.DIRECTORIES, policy.directories().stream().map(PolicyDocument::directory).toList());
        }
        if (root.isEmpty()) {
            return "{}\n";
        }
        return dump(root);
    }

    /**
     * Reads a directory of the store's document from the words of a form or an API call: its keys as
     * the file names them ({@code servers} and {@code attributes} lists, the others text), validated
     * with the file's messages ({@code policy.directories[0].base_dn: ...}). The bind password is not
     * among them: it is kept apart, write-only ({@code store.DirectoryPasswords}).
     */
    public static DirectoryConfig directory(Map<String, Object> keys) throws ConfigException {
        return ConfigLoader.parsePolicy(dump(Map.of(PolicyConfig.DIRECTORIES, List.of(keys)))).directories().getFirst();
    }

    /**
     * A directory's keys as the file writes them: every key it needs, and the others only where they
     * differ from their defaults (so that {@code attributes} and {@code filter} follow {@code kind}).
     */
    public static Map<String, Object> directory(DirectoryConfig directory) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", directory.name());
        map.put("servers", directory.servers().stream().map(Object::toString).toList());
        if (directory.startTls()) {
            map.put("start_tls", true);
        }
        directory.caFile().ifPresent(file -> map.put("ca_file", file.toString()));
        if (!directory.bindDn().isEmpty()) {
            map.put("bind_dn", directory.bindDn());
        }
        directory.bindPasswordFile().ifPresent(file -> map.put("bind_password_file", file.toString()));
        map.put("base_dn", directory.baseDn());
        map.put("kind", directory.kind().configName());
        if (!directory.attributes().equals(directory.kind().defaultAttributes())) {
            map.put("attributes", directory.attributes());
        }
        if (!directory.filter().equals(directory.kind().defaultFilter())) {
            map.put("filter", directory.filter());
        }
        if (directory.excludeDisabled()) {
            map.put("exclude_disabled", true);
        }
        map.put("sync_every", Durations.format(directory.syncEvery()));
        map.put("max_shrink", DirectoryConfig.percent(directory.maxShrink()));
        putIfNot(map, "page_size", directory.pageSize(), DirectoryConfig.DEFAULT_PAGE_SIZE);
        putIfNot(map, "connect_timeout", Durations.format(directory.connectTimeout()),
                Durations.format(DirectoryConfig.DEFAULT_CONNECT_TIMEOUT));
        putIfNot(map, "search_timeout", Durations.format(directory.searchTimeout()),
                Durations.format(DirectoryConfig.DEFAULT_SEARCH_TIMEOUT));
        return map;
    }

    private static void putIfNot(Map<String, Object> map, String key, Object value, Object byDefault) {
        if (!value.equals(byDefault)) {
            map.put(key, value);
        }
    }

    /**
     * Reads a protected domain from the words of a form or an API call, with the validation and the
     * messages of the configuration file (keys named {@code policy.domains[0].backend[1]}).
     *
     * @param verification inherit, none, callout, valid_list or directory
     */
    public static DomainConfig domain(String name, List<String> backends, String verification) throws ConfigException {
        return domain(name, backends, verification, Map.of());
    }

    /**
     * As above, with the domain's rollout settings ({@code enforce}, {@code unknown_recipient_reply},
     * {@code when_backend_down}, each {@code inherit} or a value), by key; a key left out inherits.
     */
    public static DomainConfig domain(String name, List<String> backends, String verification,
                                      Map<String, String> rollout) throws ConfigException {
        Map<String, Object> domain = new LinkedHashMap<>();
        domain.put("name", name);
        domain.put("backend", backends);
        domain.put("verification", verification);
        domain.putAll(scalars(rollout));
        return ConfigLoader.parsePolicy(dump(Map.of(PolicyConfig.DOMAINS, List.of(domain)))).domains().getFirst();
    }

    /**
     * Reads the {@code cache} and {@code harvest} sections from the words of a form or an API call
     * (durations such as {@code 7d}, whole numbers), with the file's validation and messages
     * ({@code policy.cache.positive_ttl: ...}). An empty map leaves its section at the defaults.
     */
    public static PolicyConfig limits(Map<String, String> cache, Map<String, String> harvest) throws ConfigException {
        Map<String, Object> root = new LinkedHashMap<>();
        if (!cache.isEmpty()) {
            root.put(PolicyConfig.CACHE, scalars(cache));
        }
        if (!harvest.isEmpty()) {
            root.put(PolicyConfig.HARVEST, scalars(harvest));
        }
        return ConfigLoader.parsePolicy(root.isEmpty() ? "{}" : dump(root));
    }

    /**
     * Reads the global rollout settings from the words of a form or an API call ({@code enforce:
     * false}, {@code unknown_recipient_reply: 450}), with the file's validation and messages; a key
     * left out keeps its value in {@code current}.
     */
    public static Rollout rollout(Rollout current, Map<String, String> words) throws ConfigException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put(Rollout.ENFORCE, current.enforces());
        root.put(Rollout.UNKNOWN_RECIPIENT_REPLY, current.unknownRecipientReply().configName());
        root.put(Rollout.WHEN_BACKEND_DOWN, current.whenBackendDown().configName());
        root.putAll(scalars(words));
        return ConfigLoader.parsePolicy(dump(root)).rollout();
    }

    /** Whole numbers as numbers, everything else as text: as they would be written in the file. */
    private static Map<String, Object> scalars(Map<String, String> words) {
        Map<String, Object> values = new LinkedHashMap<>();
        words.forEach((key, word) -> {
            String text = word.strip();
            values.put(key, text.matches("[0-9]{1,9}") ? (Object) Integer.valueOf(text) : text);
        });
        return values;
    }

    private static String dump(Map<String, Object> root) {
        DumpSettings settings = DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).setIndent(2)
                .setIndicatorIndent(2).setIndentWithIndicator(true).build();
        return new Dump(settings).dumpToString(root);
    }

    private static Map<String, Object> domain(DomainConfig domain) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", domain.name());
        map.put("backend", domain.backend().stream().map(ListenAddress::toString).toList());
        if (domain.verification() != Verification.INHERIT) {
            map.put("verification", domain.verification().configName());
        }
        if (!domain.validRecipients().isEmpty()) {
            map.put("valid_recipients", domain.validRecipients());
        }
        if (!domain.directories().isEmpty()) {
            map.put("directory", domain.directories());
        }
        Rollout rollout = domain.rollout();
        if (rollout.enforce() != Rollout.Enforce.INHERIT) {
            map.put(Rollout.ENFORCE, rollout.enforces());
        }
        if (rollout.unknownRecipientReply() != Rollout.UnknownRecipientReply.INHERIT) {
            map.put(Rollout.UNKNOWN_RECIPIENT_REPLY, Integer.valueOf(rollout.unknownRecipientReply().configName()));
        }
        if (rollout.whenBackendDown() != Rollout.BackendDown.INHERIT) {
            map.put(Rollout.WHEN_BACKEND_DOWN, rollout.whenBackendDown().configName());
        }
        return map;
    }

    /** The {@code cache} section's keys and values as the file writes them (also the API's form). */
    public static Map<String, Object> cache(VerificationCacheConfig cache) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("positive_ttl", Durations.format(cache.positiveTtl()));
        map.put("positive_refresh", Durations.format(cache.positiveRefresh()));
        map.put("negative_ttl", Durations.format(cache.negativeTtl()));
        map.put("negative_refresh", Durations.format(cache.negativeRefresh()));
        map.put("tempfail_hold", Durations.format(cache.tempfailHold()));
        map.put("max_entries", cache.maxEntries());
        return map;
    }

    /** The {@code harvest} section's keys and values as the file writes them (also the API's form). */
    public static Map<String, Object> harvest(HarvestConfig harvest) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("window", Durations.format(harvest.window()));
        map.put("tarpit_after", harvest.tarpitAfter());
        map.put("tarpit_delay", Durations.format(harvest.tarpitDelay()));
        map.put("block_after", harvest.blockAfter());
        map.put("block_for", Durations.format(harvest.blockFor()));
        return map;
    }
}
