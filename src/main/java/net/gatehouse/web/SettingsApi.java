package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.PUT;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.gatehouse.admin.PolicySettings;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.config.Rollout;
import net.gatehouse.policy.LivePolicy;

/**
 * The MTA advanced settings on the API: {@code /api/v1/settings}, with the file's names
 * ({@code reject_unknown_recipient_domains}, {@code recipient_verification},
 * {@code sub_address_delimiter}); {@code pinned} lists those the configuration file sets, which
 * cannot be changed here; {@code cache} (verification cache lifetimes) and {@code harvest}
 * (directory-harvest thresholds) are objects with the file's keys, any of which may be changed.
 * The rollout settings (SPEC §9): {@code enforce} (true, or false for observe mode),
 * {@code unknown_recipient_reply} (550 or 450) and {@code when_backend_down} (defer or accept_known).
 */
final class SettingsApi {

    private static final List<String> VERIFICATION_WORDS = List.of("none", "callout", "valid_list", "directory");

    private SettingsApi() {
    }

    static void register(RouteTable table, Console console) {
        table.api(GET, "/api/v1/settings", Access.VIEWER, "The MTA advanced settings, with the rollout settings enforce, "
                + "unknown_recipient_reply and when_backend_down", (ctx, who) ->
                ctx.json(settings(console.parts().policy())));
        table.api(PUT, "/api/v1/settings", Access.ADMIN, "Changes MTA advanced settings (any of them; enforce: "
                + "true or false (observe mode), unknown_recipient_reply: 550 or 450, when_backend_down: defer or accept_known)", (ctx, who) -> {
            JsonBody body = JsonBody.of(ctx);
            body.allowOnly(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS, PolicyConfig.RECIPIENT_VERIFICATION,
                    PolicyConfig.SUB_ADDRESS_DELIMITER, PolicyConfig.CACHE, PolicyConfig.HARVEST, Rollout.ENFORCE,
                    Rollout.UNKNOWN_RECIPIENT_REPLY, Rollout.WHEN_BACKEND_DOWN);
            Map<String, String> cache = section(body, PolicyConfig.CACHE, PolicySettings.cacheKeys());
            Map<String, String> harvest = section(body, PolicyConfig.HARVEST, PolicySettings.harvestKeys());
            String reject = body.bool(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS).map(b -> b ? "yes" : "no")
                    .orElse(null);
            String verification = body.text(PolicyConfig.RECIPIENT_VERIFICATION).map(String::strip).orElse(null);
            if (verification != null && !VERIFICATION_WORDS.contains(verification)) {
                throw ApiException.badRequest(PolicyConfig.RECIPIENT_VERIFICATION + " must be none, callout, "
                        + "valid_list or directory, got \"" + Authenticator.printable(verification) + "\"");
            }
            String delimiter = body.text(PolicyConfig.SUB_ADDRESS_DELIMITER).orElse(null);
            console.admin().settings().change(who.actor(), reject, verification, delimiter);
            console.admin().settings().changeLimits(who.actor(), cache, harvest);
            Map<String, String> rollout = new LinkedHashMap<>();
            for (String key : PolicySettings.rolloutKeys()) {
                body.word(key).ifPresent(value -> rollout.put(key, value));
            }
            console.admin().settings().changeRollout(who.actor(), rollout);
            ctx.json(settings(console.parts().policy()));
        });
    }

    /** The given keys of a {@code cache} or {@code harvest} object, as text; unknown keys are refused. */
    private static Map<String, String> section(JsonBody body, String name, java.util.Set<String> keys) {
        Map<String, String> given = new LinkedHashMap<>();
        body.object(name).ifPresent(section -> {
            section.allowOnly(keys.toArray(String[]::new));
            for (String key : keys) {
                section.scalar(key).ifPresent(value -> given.put(key, value));
            }
        });
        return given;
    }

    static Map<String, Object> settings(LivePolicy policy) {
        PolicyConfig effective = policy.effective();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS, effective.rejectUnknownRecipientDomains());
        json.put(PolicyConfig.RECIPIENT_VERIFICATION, effective.recipientVerification().configName());
        json.put(PolicyConfig.SUB_ADDRESS_DELIMITER, effective.subAddressDelimiter());
        json.put(PolicyConfig.CACHE, PolicyDocument.cache(effective.cache()));
        json.put(PolicyConfig.HARVEST, PolicyDocument.harvest(effective.harvest()));
        json.put(Rollout.ENFORCE, effective.rollout().enforces());
        json.put(Rollout.UNKNOWN_RECIPIENT_REPLY, Integer.valueOf(effective.rollout().unknownRecipientReply().configName()));
        json.put(Rollout.WHEN_BACKEND_DOWN, effective.rollout().whenBackendDown().configName());
        List<String> pinned = new ArrayList<>();
        for (String key : List.of(PolicyConfig.REJECT_UNKNOWN_RECIPIENT_DOMAINS, PolicyConfig.RECIPIENT_VERIFICATION,
                PolicyConfig.SUB_ADDRESS_DELIMITER, PolicyConfig.CACHE, PolicyConfig.HARVEST, Rollout.ENFORCE,
                Rollout.UNKNOWN_RECIPIENT_REPLY, Rollout.WHEN_BACKEND_DOWN)) {
            if (policy.pinned(key)) {
                pinned.add(key);
            }
        }
        json.put("pinned", pinned);
        return json;
    }
}
