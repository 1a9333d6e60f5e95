package net.gatehouse.admin;

import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.PolicyConfig.DomainConfig;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.PolicyDocument;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.PolicyEdits;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.store.Actor;
import net.gatehouse.store.ValidRecipientEntry;

/**
 * Changes to the protected domains of the console's policy (the store's document): add, change
 * (back-ends, verification mode), remove. A domain that the configuration file declares is pinned:
 * in force as written and not changed here. Each change is audited ({@code domain.add},
 * {@code domain.change}, {@code domain.remove}) in the transaction that writes it.
 */
public final class ProtectedDomains {

    /** Why {@code verification: directory} is refused while the policy has no directory. */
    static final String NO_DIRECTORY = "verification: directory needs a directory: add one on the Directories page "
            + "(or POST /api/v1/directories), or under policy.directories in the configuration file";

    private final LivePolicy policy;
    private final Consumer<ProtectedDomain> verifiedByCallout;
    private final ChangeNotifier changes;

    /**
     * @param verifiedByCallout told of a domain added or changed that is verified by callout, once
     *                          the change is in force: a gateway checks its back-end for a
     *                          catch-all now rather than at its first RCPT
     * @param changes           told of each change made, for the other nodes
     */
    public ProtectedDomains(LivePolicy policy, Consumer<ProtectedDomain> verifiedByCallout, ChangeNotifier changes) {
        this.policy = policy;
        this.verifiedByCallout = verifiedByCallout;
        this.changes = changes;
    }

    /**
     * Adds a domain, or (unless {@code create}) replaces the console's domain of that name, which
     * keeps its {@code valid_recipients}.
     *
     * @param verification inherit (the default when null or blank), none, callout, valid_list or directory
     * @return the domain's name in its stored form
     * @throws Refusal INVALID for a bad name, back-end or mode; CONFLICT if the file declares the
     *                 domain, or if {@code create} and the console protects it already
     */
    public String put(Actor actor, String name, List<String> backends, String verification, boolean create) {
        return put(actor, name, backends, verification, java.util.Map.of(), create);
    }

    /**
     * As above, with the domain's rollout settings (SPEC §9) by key: {@code enforce} (inherit, true
     * or false), {@code unknown_recipient_reply} (inherit, 550 or 450), {@code when_backend_down}
     * (inherit, defer or accept_known); a key left out, null or blank inherits the global setting.
     */
    public String put(Actor actor, String name, List<String> backends, String verification,
                      java.util.Map<String, String> rollout, boolean create) {
        java.util.Map<String, String> given = new java.util.LinkedHashMap<>();
        rollout.forEach((key, value) -> {
            if (value != null && !value.isBlank()) {
                given.put(key, value);
            }
        });
        DomainConfig parsed;
        try {
            parsed = PolicyDocument.domain(name == null ? "" : name.strip(), backends,
                    verification == null || verification.isBlank() ? "inherit" : verification.strip(), given);
        } catch (ConfigException e) {
            throw Refusal.invalid(plainKeys(e.getMessage()));
        }
        String domain = parsed.name();
        if (parsed.verification() == Verification.DIRECTORY && policy.effective().directories().isEmpty()) {
            throw Refusal.invalid(NO_DIRECTORY);
        }
        if (policy.pinnedDomain(domain)) {
            throw Refusal.conflict(domain + " is declared in the configuration file; change it there and reload "
                    + "(gatehouse reload)");
        }
        boolean exists = policy.stored().domain(domain).isPresent();
        if (create && exists) {
            throw Refusal.conflict(domain + " is protected already; edit it instead");
        }
        PolicyEdit.apply(policy, changes, actor, exists ? "domain.change" : "domain.add", domain, stored -> {
            List<String> kept = stored.domain(domain).map(DomainConfig::validRecipients).orElse(List.of());
            return PolicyEdits.putDomain(stored, new DomainConfig(domain, parsed.backend(), parsed.verification(), kept)
                    .withRollout(parsed.rollout()));
        });
        policy.current().domain(domain).filter(d -> policy.current().verificationFor(d) == Verification.CALLOUT)
                .ifPresent(verifiedByCallout);
        return domain;
    }

    /**
     * Removes a domain of the console's policy (its valid list in the store stays).
     *
     * @return the domain's name in its stored form
     * @throws Refusal INVALID for a bad name; CONFLICT if the file declares it; NOT_FOUND if the
     *                 console's policy has no such domain
     */
    public String remove(Actor actor, String name) {
        String domain = name(name);
        if (policy.pinnedDomain(domain)) {
            throw Refusal.conflict(domain + " is declared in the configuration file; remove it there and reload "
                    + "(gatehouse reload)");
        }
        if (policy.stored().domain(domain).isEmpty()) {
            throw Refusal.notFound("no protected domain " + domain);
        }
        PolicyEdit.apply(policy, changes, actor, "domain.remove", domain, stored -> PolicyEdits.removeDomain(stored, domain));
        return domain;
    }

    /** @throws Refusal INVALID if the text is not a domain name */
    private static String name(String text) {
        if (text == null || text.isBlank()) {
            throw Refusal.invalid("name is required");
        }
        try {
            return ValidRecipientEntry.domain(text.strip().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw Refusal.invalid("name: " + e.getMessage());
        }
    }

    /** The loader names keys as in the file ({@code policy.domains[0].backend[1]}); a single domain has no list. */
    private static String plainKeys(String message) {
        return message.replace("policy.domains[0].", "").replace("policy.domains[0]", "domain");
    }
}
