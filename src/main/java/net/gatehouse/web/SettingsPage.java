package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Map;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.ConfigLoader;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.LivePolicy.RefusedChangeException;
import net.gatehouse.policy.PolicyEdits;

/**
 * "MTA advanced settings", with the seed's labels and defaults: "Reject messages for unknown
 * recipient domains" (Yes / No, default Yes) and "Reject messages for unverified recipients"
 * (None / Reject for unverified recipients / Reject for recipients not in valid list). A setting
 * the configuration file declares is shown, not editable.
 */
public final class SettingsPage {

    /**
     * The page's model: the values in force and which of them the file pins.
     *
     * @param cache   the verification cache's settings by key, as written in the file ({@code positive_ttl: 7d})
     * @param harvest the directory-harvest thresholds by key
     */
    public record Settings(boolean rejectUnknownDomains, String verification, String subAddressDelimiter,
                           boolean unknownDomainsPinned, boolean verificationPinned, boolean delimiterPinned,
                           Map<String, Object> cache, boolean cachePinned, Map<String, Object> harvest,
                           boolean harvestPinned) {
    }

    /** The seed's choices for "Reject messages for unverified recipients", in its order. */
    public record Choice(String value, String label) {
    }

    public static final java.util.List<Choice> VERIFICATION_CHOICES = java.util.List.of(
            new Choice("none", "None"),
            new Choice("callout", "Reject for unverified recipients"),
            new Choice("valid_list", "Reject for recipients not in valid list"));

    private SettingsPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/settings", Access.VIEWER, "MTA advanced settings", (ctx, who) ->
                show(ctx, console, View.of("MTA advanced settings", "settings", who)));
        table.page(POST, "/settings/limits", Access.ADMIN, "Changes the verification cache and harvest thresholds",
                (ctx, who) -> {
                    View view = View.of("MTA advanced settings", "settings", who);
                    try {
                        changeLimits(console.gateway().policy(), who.user(),
                                fields(ctx, PolicyDocument.cache(ConfigLoader.DEFAULT_CACHE).keySet(), "cache."),
                                fields(ctx, PolicyDocument.harvest(ConfigLoader.DEFAULT_HARVEST).keySet(), "harvest."));
                        show(ctx, console, view.withNotice("Saved. The new limits apply from now on."));
                    } catch (RefusedChangeException | ConfigException e) {
                        ctx.status(HttpStatus.BAD_REQUEST);
                        show(ctx, console, view.withError(e.getMessage()));
                    }
                });
        table.page(POST, "/settings", Access.ADMIN, "Changes the MTA advanced settings", (ctx, who) -> {
            View view = View.of("MTA advanced settings", "settings", who);
            try {
                change(console.gateway().policy(), who.user(), ctx.formParam("reject_unknown_recipient_domains"),
                        ctx.formParam("recipient_verification"), ctx.formParam("sub_address_delimiter"));
                show(ctx, console, view.withNotice("Saved. The new settings apply to the next recipient."));
            } catch (RefusedChangeException | ConfigException e) {
                ctx.status(HttpStatus.BAD_REQUEST);
                show(ctx, console, view.withError(e.getMessage()));
            }
        });
    }

    static Settings settings(LivePolicy policy) {
        PolicyConfig effective = policy.effective();
        return new Settings(effective.rejectUnknownRecipientDomains(), effective.recipientVerification().configName(),
                effective.subAddressDelimiter(), policy.pinned(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS),
                policy.pinned(PolicyConfig.RECIPIENT_VERIFICATION), policy.pinned(PolicyConfig.SUB_ADDRESS_DELIMITER),
                PolicyDocument.cache(effective.cache()), policy.pinned(PolicyConfig.CACHE),
                PolicyDocument.harvest(effective.harvest()), policy.pinned(PolicyConfig.HARVEST));
    }

    /**
     * Applies the settings given (null: leave as is) in one change. Values are the API's words:
     * yes/no (or true/false), none/callout/valid_list, one of + - _ = or empty.
     */
    static void change(LivePolicy policy, String actor, String rejectUnknownDomains, String verification,
                       String delimiter) throws RefusedChangeException, ConfigException {
        Boolean reject = rejectUnknownDomains == null ? null : yesNo(rejectUnknownDomains);
        Verification mode = verification == null ? null : verification(verification);
        PolicyConfig in = policy.effective();
        // only what differs from what is in force: submitting a form unchanged must not trip over pins
        boolean changeReject = reject != null && reject != in.rejectUnknownRecipientDomains();
        boolean changeMode = mode != null && mode != in.recipientVerification();
        boolean changeDelimiter = delimiter != null && !delimiter.equals(in.subAddressDelimiter());
        if (!changeReject && !changeMode && !changeDelimiter) {
            return;
        }
        policy.edit(actor, "settings.change", "settings", stored -> {
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
    }

    /**
     * Changes the verification cache and harvest settings given (by key, as in the file; keys left
     * out keep their value in force), each section only if it differs from what is in force.
     */
    static void changeLimits(LivePolicy policy, String actor, Map<String, String> cache, Map<String, String> harvest)
            throws RefusedChangeException, ConfigException {
        PolicyConfig in = policy.effective();
        PolicyConfig asked = PolicyDocument.limits(overlay(PolicyDocument.cache(in.cache()), cache),
                overlay(PolicyDocument.harvest(in.harvest()), harvest));
        boolean changeCache = !asked.cache().equals(in.cache());
        boolean changeHarvest = !asked.harvest().equals(in.harvest());
        if (!changeCache && !changeHarvest) {
            return;
        }
        policy.edit(actor, "settings.change", "settings", stored -> {
            PolicyConfig next = stored;
            if (changeCache) {
                next = PolicyEdits.cache(next, asked.cache());
            }
            if (changeHarvest) {
                next = PolicyEdits.harvest(next, asked.harvest());
            }
            return next;
        });
    }

    private static Map<String, String> overlay(Map<String, Object> current, Map<String, String> given) {
        Map<String, String> words = new java.util.LinkedHashMap<>();
        current.forEach((key, value) -> words.put(key, String.valueOf(value)));
        words.putAll(given);
        return words;
    }

    /** The form fields {@code prefix + key} that were sent, by key. */
    private static Map<String, String> fields(Context ctx, java.util.Set<String> keys, String prefix) {
        Map<String, String> given = new java.util.LinkedHashMap<>();
        for (String key : keys) {
            String value = ctx.formParam(prefix + key);
            if (value != null) {
                given.put(key, value);
            }
        }
        return given;
    }

    private static boolean yesNo(String word) throws RefusedChangeException {
        return switch (word.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "yes", "true" -> true;
            case "no", "false" -> false;
            default -> throw new RefusedChangeException("reject_unknown_recipient_domains must be yes or no, got \""
                    + word + "\"");
        };
    }

    private static Verification verification(String word) throws RefusedChangeException {
        return switch (word.strip()) {
            case "none" -> Verification.NONE;
            case "callout" -> Verification.CALLOUT;
            case "valid_list" -> Verification.VALID_LIST;
            default -> throw new RefusedChangeException("recipient_verification must be none, callout or valid_list, "
                    + "got \"" + word + "\"");
        };
    }

    private static void show(Context ctx, Console console, View view) {
        Console.page(ctx, "settings.jte", Map.of("view", view, "settings", settings(console.gateway().policy()),
                "choices", VERIFICATION_CHOICES));
    }
}
