package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Map;
import net.gatehouse.config.ConfigException;
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

    /** The page's model: the values in force and which of them the file pins. */
    public record Settings(boolean rejectUnknownDomains, String verification, String subAddressDelimiter,
                           boolean unknownDomainsPinned, boolean verificationPinned, boolean delimiterPinned) {
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
                policy.pinned(PolicyConfig.RECIPIENT_VERIFICATION), policy.pinned(PolicyConfig.SUB_ADDRESS_DELIMITER));
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
