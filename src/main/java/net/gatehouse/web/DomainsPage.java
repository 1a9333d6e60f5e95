package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.gatehouse.admin.Refusal;
import net.gatehouse.config.Durations;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.config.Rollout;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.store.ValidRecipientEntry;

/**
 * Domains: the protected domains with their back-ends and verification mode, added, edited and
 * deleted here (those the configuration file declares are shown read-only), and for each domain
 * whose back-end turned out to accept any address, the catch-all warning with the fix for the
 * back-end (seeds/004: make it reject unknown users at RCPT TO).
 */
public final class DomainsPage {

    /**
     * One protected domain as the console shows it.
     *
     * @param verification          as set on the domain: inherit, none, callout, valid_list or directory
     * @param effectiveVerification what applies: the global setting when the domain inherits it
     * @param pinned                declared in the configuration file: read-only here
     * @param catchAll              the last check found that its back-end accepts any address
     * @param validListEntries      entries of its valid list in the store
     * @param rollout               its rollout settings by key (SPEC §9) as set: inherit or a value
     * @param effectiveRollout      the rollout settings in force for it, inherited ones resolved
     */
    public record DomainRow(String name, List<String> backends, String verification, String effectiveVerification,
                            boolean pinned, boolean catchAll, long validListEntries, Map<String, String> rollout,
                            Map<String, String> effectiveRollout) {

        /** Whether observe mode is in force for the domain. */
        public boolean observing() {
            return "false".equals(effectiveRollout.get(Rollout.ENFORCE));
        }

        /** The back-ends one per line, as the edit form takes them. */
        public String backendLines() {
            return String.join("\n", backends);
        }

        Map<String, Object> json() {
            Map<String, Object> json = new java.util.LinkedHashMap<>();
            json.put("name", name);
            json.put("backends", backends);
            json.put("verification", verification);
            json.put("effective_verification", effectiveVerification);
            json.put("source", pinned ? "file" : "console");
            json.put("catch_all", catchAll);
            json.put("valid_list_entries", validListEntries);
            rollout.forEach(json::put);
            Map<String, Object> inForce = new java.util.LinkedHashMap<>(effectiveRollout);
            json.put("effective_rollout", inForce);
            return json;
        }
    }

    /** A choice of verification mode for a domain, with the seed's words. */
    public record Mode(String value, String label) {
    }

    /** The domains page: the domains, the choices, the global mode, how often catch-alls are checked. */
    public record Domains(List<DomainRow> rows, List<Mode> modes, String globalVerification, String catchAllRecheck) {

        public List<DomainRow> catchAll() {
            return rows.stream().filter(DomainRow::catchAll).toList();
        }
    }

    static final List<Mode> MODES = List.of(
            new Mode("inherit", "Inherit the global setting"),
            new Mode("none", "None"),
            new Mode("callout", "Reject for unverified recipients (ask the back-end)"),
            new Mode("valid_list", "Reject for recipients not in valid list"),
            new Mode("directory", "Reject for recipients not in the directory"));

    private DomainsPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/domains", Access.VIEWER, "Protected domains", (ctx, who) ->
                list(ctx, console, view(who), ""));
        table.page(POST, "/domains", Access.ADMIN, "Adds a protected domain", (ctx, who) -> {
            String name = SessionPages.orEmpty(ctx.formParam("name")).strip();
            try {
                DomainRow added = put(console, who, name, backendList(ctx.formParam("backends")),
                        ctx.formParam("verification"), rolloutFields(ctx), true);
                list(ctx, console, view(who).withNotice("Added " + added.name() + ". Its mail is accepted from the "
                        + "next recipient on."), "");
            } catch (Refusal e) {
                ctx.status(ApiException.of(e).status());
                list(ctx, console, view(who).withError(e.getMessage()), name);
            }
        });
        table.page(GET, "/domains/{name}", Access.VIEWER, "A protected domain, with its edit form", (ctx, who) -> {
            DomainRow row = find(console, ctx.pathParam("name"));
            edit(ctx, console, View.of("Domain " + row.name(), "domains", who), row);
        });
        table.page(POST, "/domains/{name}", Access.ADMIN, "Changes a protected domain", (ctx, who) -> {
            DomainRow row = find(console, ctx.pathParam("name"));
            View view = View.of("Domain " + row.name(), "domains", who);
            try {
                DomainRow changed = put(console, who, row.name(), backendList(ctx.formParam("backends")),
                        ctx.formParam("verification"), rolloutFields(ctx), false);
                edit(ctx, console, view.withNotice("Saved. The change applies to the next recipient."), changed);
            } catch (Refusal e) {
                ctx.status(ApiException.of(e).status());
                edit(ctx, console, view.withError(e.getMessage()), row);
            }
        });
        table.page(POST, "/domains/{name}/delete", Access.ADMIN, "Deletes a protected domain", (ctx, who) -> {
            String name = find(console, ctx.pathParam("name")).name();
            try {
                console.admin().domains().remove(who.actor(), name);
                list(ctx, console, view(who).withNotice("Deleted " + name + ". Its mail is refused as relaying "
                        + "from the next recipient on."), "");
            } catch (Refusal e) {
                ctx.status(ApiException.of(e).status());
                list(ctx, console, view(who).withError(e.getMessage()), "");
            }
        });
    }

    private static View view(Principal who) {
        return View.of("Domains", "domains", who);
    }

    /** Every protected domain in force: the file's first, then the console's. */
    static List<DomainRow> rows(Console console) {
        LivePolicy policy = console.parts().policy();
        PolicyConfig effective = policy.effective();
        Map<String, Long> counts = console.parts().validRecipients().counts();
        List<DomainRow> rows = new ArrayList<>();
        for (DomainConfig domain : effective.domains()) {
            Verification mode = domain.verification() == Verification.INHERIT
                    ? effective.recipientVerification() : domain.verification();
            rows.add(new DomainRow(domain.name(), domain.backend().stream().map(ListenAddress::toString).toList(),
                    domain.verification().configName(), mode.configName(), policy.pinnedDomain(domain.name()),
                    console.parts().callout().isCatchAll(domain.name()), counts.getOrDefault(domain.name(), 0L),
                    rollout(domain.rollout()), rollout(domain.rollout().over(effective.rollout()))));
        }
        return rows;
    }

    /** A domain's rollout settings by key, as the file writes them; {@code inherit} for those it leaves to the global ones. */
    static Map<String, String> rollout(Rollout rollout) {
        Map<String, String> words = new java.util.LinkedHashMap<>();
        words.put(Rollout.ENFORCE, rollout.enforce().configName());
        words.put(Rollout.UNKNOWN_RECIPIENT_REPLY, rollout.unknownRecipientReply().configName());
        words.put(Rollout.WHEN_BACKEND_DOWN, rollout.whenBackendDown().configName());
        return words;
    }

    /** The rollout fields of a form or a JSON body, by key. */
    static final List<String> ROLLOUT_KEYS = List.of(Rollout.ENFORCE, Rollout.UNKNOWN_RECIPIENT_REPLY,
            Rollout.WHEN_BACKEND_DOWN);

    /** @throws ApiException 404 if the domain is not protected */
    static DomainRow find(Console console, String name) {
        String wanted = normalizeName(name);
        return rows(console).stream().filter(row -> row.name().equals(wanted)).findFirst()
                .orElseThrow(() -> ApiException.notFound("no protected domain " + printable(name)));
    }

    /**
     * Adds a domain, or with {@code create} false adds or replaces it, through the administration.
     *
     * @throws Refusal as {@code admin.ProtectedDomains#put} does
     */
    static DomainRow put(Console console, Principal who, String name, List<String> backends, String verification,
                         Map<String, String> rollout, boolean create) {
        return find(console, console.admin().domains().put(who.actor(), name, backends, verification, rollout,
                create));
    }

    /** The rollout fields the form sent, by key. */
    private static Map<String, String> rolloutFields(Context ctx) {
        Map<String, String> given = new java.util.LinkedHashMap<>();
        for (String key : ROLLOUT_KEYS) {
            String value = ctx.formParam(key);
            if (value != null) {
                given.put(key, value);
            }
        }
        return given;
    }

    /** Back-ends as typed in the form: one per line, or separated by commas or spaces. */
    static List<String> backendList(String text) {
        if (text == null) {
            return List.of();
        }
        return Arrays.stream(text.split("[,\\s]+")).filter(s -> !s.isEmpty()).toList();
    }

    /** The stored form of a domain name, for lookups; the text itself if it is not a valid name. */
    static String normalizeName(String name) {
        try {
            return ValidRecipientEntry.domain(name);
        } catch (IllegalArgumentException e) {
            return name.strip().toLowerCase(Locale.ROOT);
        }
    }

    private static String printable(String text) {
        return Authenticator.printable(text);
    }

    private static Domains model(Console console) {
        return new Domains(rows(console), MODES,
                console.parts().policy().effective().recipientVerification().configName(),
                Durations.format(console.parts().catchAllRecheck()));
    }

    private static void list(Context ctx, Console console, View view, String typedName) {
        Console.page(ctx, "domains.jte", Map.of("view", view, "domains", model(console), "typedName", typedName));
    }

    private static void edit(Context ctx, Console console, View view, DomainRow row) {
        Console.page(ctx, "domain.jte", Map.of("view", view, "domain", row, "domains", model(console)));
    }
}
