package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.util.Map;
import net.gatehouse.admin.PolicySettings;
import net.gatehouse.admin.Refusal;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.Rollout;
import net.gatehouse.policy.LivePolicy;

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
     * @param rollout the global rollout settings (SPEC §9) by key, as the file writes them
     *                ({@code enforce: true}, {@code unknown_recipient_reply: 550}, {@code when_backend_down: defer})
     * @param rolloutPinned those of them the configuration file sets
     */
    public record Settings(boolean rejectUnknownDomains, String verification, String subAddressDelimiter,
                           boolean unknownDomainsPinned, boolean verificationPinned, boolean delimiterPinned,
                           Map<String, Object> cache, boolean cachePinned, Map<String, Object> harvest,
                           boolean harvestPinned, Map<String, String> rollout, java.util.Set<String> rolloutPinned) {

        /** Whether observe mode is on globally ({@code enforce: false}). */
        public boolean observing() {
            return "false".equals(rollout.get(Rollout.ENFORCE));
        }
    }

    /** The seed's choices for "Reject messages for unverified recipients", in its order. */
    public record Choice(String value, String label) {
    }

    public static final java.util.List<Choice> VERIFICATION_CHOICES = java.util.List.of(
            new Choice("none", "None"),
            new Choice("callout", "Reject for unverified recipients"),
            new Choice("valid_list", "Reject for recipients not in valid list"),
            new Choice("directory", "Reject for recipients not in the directory"));

    private SettingsPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/settings", Access.VIEWER, "MTA advanced settings", (ctx, who) ->
                show(ctx, console, View.of("MTA advanced settings", "settings", who)));
        table.page(POST, "/settings/limits", Access.ADMIN, "Changes the verification cache and harvest thresholds",
                (ctx, who) -> {
                    View view = View.of("MTA advanced settings", "settings", who);
                    try {
                        console.admin().settings().changeLimits(who.actor(),
                                fields(ctx, PolicySettings.cacheKeys(), "cache."),
                                fields(ctx, PolicySettings.harvestKeys(), "harvest."));
                        show(ctx, console, view.withNotice("Saved. The new limits apply from now on."));
                    } catch (Refusal e) {
                        ctx.status(ApiException.of(e).status());
                        show(ctx, console, view.withError(e.getMessage()));
                    }
                });
        table.page(POST, "/settings", Access.ADMIN, "Changes the MTA advanced settings", (ctx, who) -> {
            View view = View.of("MTA advanced settings", "settings", who);
            try {
                console.admin().settings().change(who.actor(), ctx.formParam("reject_unknown_recipient_domains"),
                        ctx.formParam("recipient_verification"), ctx.formParam("sub_address_delimiter"));
                console.admin().settings().changeRollout(who.actor(),
                        fields(ctx, new java.util.LinkedHashSet<>(PolicySettings.rolloutKeys()), ""));
                show(ctx, console, view.withNotice("Saved. The new settings apply to the next recipient."));
            } catch (Refusal e) {
                ctx.status(ApiException.of(e).status());
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
                PolicyDocument.harvest(effective.harvest()), policy.pinned(PolicyConfig.HARVEST),
                rollout(effective.rollout()), rolloutPinned(policy));
    }

    /** The global rollout settings by key, as the file writes them. */
    static Map<String, String> rollout(Rollout rollout) {
        Map<String, String> words = new java.util.LinkedHashMap<>();
        words.put(Rollout.ENFORCE, String.valueOf(rollout.enforces()));
        words.put(Rollout.UNKNOWN_RECIPIENT_REPLY, rollout.unknownRecipientReply().configName());
        words.put(Rollout.WHEN_BACKEND_DOWN, rollout.whenBackendDown().configName());
        return words;
    }

    /** The rollout keys the configuration file sets. */
    static java.util.Set<String> rolloutPinned(LivePolicy policy) {
        java.util.Set<String> pinned = new java.util.LinkedHashSet<>();
        for (String key : PolicySettings.rolloutKeys()) {
            if (policy.pinned(key)) {
                pinned.add(key);
            }
        }
        return pinned;
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

    private static void show(Context ctx, Console console, View view) {
        Console.page(ctx, "settings.jte", Map.of("view", view, "settings", settings(console.parts().policy()),
                "choices", VERIFICATION_CHOICES));
    }
}
