package net.gatehouse.admin;

import net.gatehouse.cluster.ChangeNotifier;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.config.Rollout;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.PolicyEdits;
import net.gatehouse.store.Actor;

/**
 * Changes to the policy's settings in the console's document: the MTA advanced settings (the
 * seed's two, and the sub-address delimiter), the verification cache's lifetimes and the harvest
 * thresholds, and the replacement of the whole document ({@code gatehouse policy import}). A
 * setting that the configuration file declares is pinned. Each change is one audit entry
 * ({@code settings.change}, {@code policy.import}) in the transaction that writes it.
 */
public final class PolicySettings {

    private final LivePolicy policy;
    private final ChangeNotifier changes;

    /** @param changes told of each change made, for the other nodes */
    public PolicySettings(LivePolicy policy, ChangeNotifier changes) {
        this.policy = policy;
        this.changes = changes;
    }

    /**
     * Applies the settings given (null: leave as is) in one change; what equals the value in force
     * is left alone, so that submitting a form unchanged changes and records nothing.
     *
     * @param rejectUnknownDomains yes/no (or true/false)
     * @param verification         none, callout, valid_list or directory (this one only when the file declares a directory)
     * @param delimiter            one of {@code + - _ =}, or empty for none
     * @return whether anything changed
     * @throws Refusal INVALID for a value that is not one of these; CONFLICT for a setting the file pins
     */
    public boolean change(Actor actor, String rejectUnknownDomains, String verification, String delimiter) {
        Boolean reject = rejectUnknownDomains == null ? null : yesNo(rejectUnknownDomains);
        Verification mode = verification == null ? null : verification(verification);
        PolicyConfig in = policy.effective();
        if (mode == Verification.DIRECTORY && in.directories().isEmpty()) {
            throw Refusal.invalid(ProtectedDomains.NO_DIRECTORY);
        }
        boolean changeReject = reject != null && reject != in.rejectUnknownRecipientDomains();
        boolean changeMode = mode != null && mode != in.recipientVerification();
        boolean changeDelimiter = delimiter != null && !delimiter.equals(in.subAddressDelimiter());
        if (!changeReject && !changeMode && !changeDelimiter) {
            return false;
        }
        PolicyEdit.apply(policy, changes, actor, "settings.change", "settings", stored -> {
            PolicyConfig next = stored;
            if (changeReject) {
                next = PolicyEdits.rejectUnknownRecipientDomains(next, reject);
            }
            if (changeMode) {
                next = PolicyEdits.recipientVerification(next, mode);
            }
            if (changeDelimiter) {
                next = PolicyEdits.subAddressDelimiter(next, delimiter);
            }
            return next;
        });
        return true;
    }

    /**
     * Changes the verification cache and harvest settings given (by key, as in the file:
     * {@code positive_ttl: 7d}; keys left out keep their value in force), in one change, each
     * section only if it differs from what is in force.
     *
     * @return whether anything changed
     * @throws Refusal INVALID for a value the file would refuse (the message names the key);
     *                 CONFLICT for a section the file pins
     */
    public boolean changeLimits(Actor actor, Map<String, String> cache, Map<String, String> harvest) {
        PolicyConfig in = policy.effective();
        PolicyConfig asked;
        try {
            asked = PolicyDocument.limits(overlay(PolicyDocument.cache(in.cache()), cache),
                    overlay(PolicyDocument.harvest(in.harvest()), harvest));
        } catch (ConfigException e) {
            throw Refusal.invalid(e.getMessage());
        }
        boolean changeCache = !asked.cache().equals(in.cache());
        boolean changeHarvest = !asked.harvest().equals(in.harvest());
        if (!changeCache && !changeHarvest) {
            return false;
        }
        PolicyEdit.apply(policy, changes, actor, "settings.change", "settings", stored -> {
            PolicyConfig next = stored;
            if (changeCache) {
                next = PolicyEdits.cache(next, asked.cache());
            }
            if (changeHarvest) {
                next = PolicyEdits.harvest(next, asked.harvest());
            }
            return next;
        });
        return true;
    }

    /**
     * Changes the global rollout settings given (by key, as in the file: {@code enforce: false},
     * {@code unknown_recipient_reply: 450}, {@code when_backend_down: accept_known}; keys left out
     * or null keep their value in force), in one change; what equals the value in force is left alone.
     *
     * @return whether anything changed
     * @throws Refusal INVALID for a value the file would refuse (the message names the key);
     *                 CONFLICT for a setting the file pins
     */
    public boolean changeRollout(Actor actor, Map<String, String> words) {
        Map<String, String> given = new LinkedHashMap<>();
        words.forEach((key, value) -> {
            if (value != null) {
                given.put(key, value);
            }
        });
        PolicyConfig in = policy.effective();
        Rollout asked;
        try {
            asked = PolicyDocument.rollout(in.rollout(), given);
        } catch (ConfigException e) {
            throw Refusal.invalid(e.getMessage());
        }
        java.util.Set<String> changed = new java.util.HashSet<>();
        if (asked.enforce() != in.rollout().enforce()) {
            changed.add(Rollout.ENFORCE);
        }
        if (asked.unknownRecipientReply() != in.rollout().unknownRecipientReply()) {
            changed.add(Rollout.UNKNOWN_RECIPIENT_REPLY);
        }
        if (asked.whenBackendDown() != in.rollout().whenBackendDown()) {
            changed.add(Rollout.WHEN_BACKEND_DOWN);
        }
        if (changed.isEmpty()) {
            return false;
        }
        PolicyEdit.apply(policy, changes, actor, "settings.change", "settings", stored -> {
            Rollout kept = stored.rollout();
            Rollout next = new Rollout(
                    changed.contains(Rollout.ENFORCE) ? asked.enforce() : kept.enforce(),
                    changed.contains(Rollout.UNKNOWN_RECIPIENT_REPLY) ? asked.unknownRecipientReply()
                            : kept.unknownRecipientReply(),
                    changed.contains(Rollout.WHEN_BACKEND_DOWN) ? asked.whenBackendDown() : kept.whenBackendDown());
            return PolicyEdits.rollout(stored, next, changed);
        });
        return true;
    }

    /** The global rollout settings' keys, as the file, the form and the API name them. */
    public static java.util.List<String> rolloutKeys() {
        return java.util.List.of(Rollout.ENFORCE, Rollout.UNKNOWN_RECIPIENT_REPLY, Rollout.WHEN_BACKEND_DOWN);
    }

    /**
     * Replaces the console's whole document with {@code document} (the body of a {@code policy}
     * section), validated as the file is.
     *
     * @throws Refusal INVALID if the document is not valid (the message names the key); CONFLICT
     *                 if it sets what the file pins
     */
    public void importDocument(Actor actor, String document) {
        PolicyConfig imported;
        try {
            imported = ConfigLoader.parsePolicy(document);
        } catch (ConfigException e) {
            throw Refusal.invalid(e.getMessage());
        }
        PolicyEdit.apply(policy, changes, actor, "policy.import", "policy", stored -> imported);
    }

    /** The keys of the cache and harvest sections, as the file and the API name them. */
    public static java.util.Set<String> cacheKeys() {
        return PolicyDocument.cache(ConfigLoader.DEFAULT_CACHE).keySet();
    }

    public static java.util.Set<String> harvestKeys() {
        return PolicyDocument.harvest(ConfigLoader.DEFAULT_HARVEST).keySet();
    }

    private static Map<String, String> overlay(Map<String, Object> current, Map<String, String> given) {
        Map<String, String> words = new LinkedHashMap<>();
        current.forEach((key, value) -> words.put(key, String.valueOf(value)));
        words.putAll(given);
        return words;
    }

    private static boolean yesNo(String word) {
        return switch (word.strip().toLowerCase(Locale.ROOT)) {
            case "yes", "true" -> true;
            case "no", "false" -> false;
            default -> throw Refusal.invalid(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS + " must be yes or no, got \""
                    + word + "\"");
        };
    }

    private static Verification verification(String word) {
        return switch (word.strip()) {
            case "none" -> Verification.NONE;
            case "callout" -> Verification.CALLOUT;
            case "valid_list" -> Verification.VALID_LIST;
            case "directory" -> Verification.DIRECTORY;
            default -> throw Refusal.invalid(PolicyConfig.RECIPIENT_VERIFICATION + " must be none, callout, "
                    + "valid_list or directory, got \"" + word + "\"");
        };
    }
}
