package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.gatehouse.Gateway;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.store.ValidRecipientEntry;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.store.ValidRecipientStore.ImportResult;

/**
 * Valid recipients: per domain, the store's valid list (used by domains whose verification is
 * valid_list) with its count, a search, adding and deleting entries, and the import of a list file
 * (the format of {@code gatehouse recipients import}: one address per line, or CSV).
 *
 * <p>Every change is in the audit log, and is in force on this node before the answer: the
 * directory is reloaded at once rather than at its next poll, so the very next RCPT sees it.
 */
public final class RecipientsPage {

    /** Entries shown by a search when none is asked for. */
    static final int DEFAULT_LIMIT = 100;
    /** Entries named in an audit entry; the rest are counted. */
    private static final int AUDIT_NAMES = 20;

    /** A domain to choose in the page's selector. */
    public record DomainChoice(String name, long entries, boolean protectedDomain) {
    }

    /**
     * The page's model.
     *
     * @param domain  the domain shown, empty for none
     * @param entries the search's results, at most {@code limit}
     */
    public record Recipients(List<DomainChoice> domains, String domain, long count, String query, List<String> entries,
                             int limit, String verification) {

        public boolean truncated() {
            return entries.size() >= limit;
        }
    }

    private RecipientsPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/recipients", Access.VIEWER, "Valid recipients of a domain, with a search", (ctx, who) ->
                show(ctx, console, view(who), ctx.queryParam("domain"), ctx.queryParam("q")));
        table.page(POST, "/recipients/add", Access.ADMIN, "Adds valid recipients", (ctx, who) -> {
            String domain = ctx.formParam("domain");
            try {
                List<String> addresses = lines(ctx.formParam("addresses"));
                int added = add(console, who.user(), domain, addresses);
                show(ctx, console, view(who).withNotice("Added " + added + " of " + addresses.size()
                        + (added < addresses.size() ? " (the others were listed already)." : ".")), domain, "");
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, console, view(who).withError(e.getMessage()), domain, "");
            }
        });
        table.page(POST, "/recipients/delete", Access.ADMIN, "Deletes a valid recipient", (ctx, who) -> {
            String domain = ctx.formParam("domain");
            String address = SessionPages.orEmpty(ctx.formParam("address"));
            try {
                remove(console, who.user(), domain, address);
                show(ctx, console, view(who).withNotice("Deleted " + address + "."), domain, ctx.formParam("q"));
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, console, view(who).withError(e.getMessage()), domain, ctx.formParam("q"));
            }
        });
        table.page(POST, "/recipients/import", Access.ADMIN, "Imports a list file into a valid list", (ctx, who) -> {
            String domain = ctx.formParam("domain");
            try {
                UploadedFile file = ctx.uploadedFile("file");
                if (file == null) {
                    throw ApiException.badRequest("choose a file to import");
                }
                ImportResult result;
                try (InputStream in = file.content()) {
                    result = importFile(console, who.user(), domain, in, "on".equals(ctx.formParam("replace")),
                            file.filename());
                }
                show(ctx, console, view(who).withNotice(describe(result)), domain, "");
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, console, view(who).withError(e.getMessage()), domain, "");
            }
        });
    }

    private static View view(Principal who) {
        return View.of("Valid recipients", "recipients", who);
    }

    /** @throws ApiException 400 if the text is not a valid domain name */
    static String listDomain(String text) {
        if (text == null || text.isBlank()) {
            throw ApiException.badRequest("domain is required");
        }
        try {
            return ValidRecipientEntry.domain(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("domain: " + e.getMessage());
        }
    }

    /**
     * Adds entries to a domain's list, audited, in force on return.
     *
     * @return how many were new
     * @throws ApiException 400 naming the invalid entries; nothing is added then
     */
    static int add(Console console, String actor, String domainText, List<String> addresses) {
        String domain = listDomain(domainText);
        if (addresses.isEmpty()) {
            throw ApiException.badRequest("give at least one address (alice@" + domain + ", or @" + domain
                    + " for every address)");
        }
        Gateway gateway = console.gateway();
        int added;
        try {
            added = gateway.validRecipientStore().add(domain, addresses);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (added > 0) {
            console.audit().record(console.clock().instant(), actor, "recipients.add", domain, "",
                    names(addresses));
            gateway.validLists().refreshNow();
        }
        return added;
    }

    /**
     * Removes one entry from a domain's list, audited, in force on return.
     *
     * @throws ApiException 400 for an invalid entry, 404 if it is not in the store's list
     */
    static void remove(Console console, String actor, String domainText, String address) {
        String domain = listDomain(domainText);
        Gateway gateway = console.gateway();
        int removed;
        try {
            removed = gateway.validRecipientStore().remove(domain, List.of(address));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (removed == 0) {
            throw ApiException.notFound(Authenticator.printable(address) + " is not in the valid list of " + domain
                    + " in the store (entries of the configuration file are changed there)");
        }
        console.audit().record(console.clock().instant(), actor, "recipients.remove", domain, address.strip(), "");
        gateway.validLists().refreshNow();
    }

    /**
     * Imports a list file (UTF-8) into a domain's list, all or nothing, audited, in force on return.
     *
     * @param replace make the list exactly the file's entries
     * @throws ApiException 400 naming the invalid lines, or if the file is not UTF-8 text
     */
    static ImportResult importFile(Console console, String actor, String domainText, InputStream in, boolean replace,
                                   String source) {
        String domain = listDomain(domainText);
        Gateway gateway = console.gateway();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        ImportResult result;
        try {
            result = gateway.validRecipientStore().importLines(domain, reader.lines().iterator(), replace);
        } catch (UncheckedIOException e) {
            throw ApiException.badRequest(e.getCause() instanceof CharacterCodingException
                    ? "the file is not UTF-8 text; nothing imported"
                    : "reading the file failed (" + e.getCause().getMessage() + "); nothing imported");
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        console.audit().record(console.clock().instant(), actor, replace ? "recipients.replace" : "recipients.import",
                domain, entries(result.before()), entries(result.after()) + " after importing "
                        + entries(result.entries()) + (source == null || source.isBlank() ? "" : " from "
                        + Authenticator.printable(source)));
        gateway.validLists().refreshNow();
        return result;
    }

    static String describe(ImportResult result) {
        return result.replaced()
                ? "Replaced the valid list with " + entries(result.after()) + " (it had " + result.before() + ")."
                : entries(result.entries()) + " read, " + result.added() + " new; the list has "
                        + entries(result.after()) + ".";
    }

    /** Addresses as typed in the form: one per line, or separated by commas, semicolons or spaces. */
    static List<String> lines(String text) {
        if (text == null) {
            return List.of();
        }
        Set<String> addresses = new LinkedHashSet<>();
        Arrays.stream(text.split("[,;\\s]+")).filter(s -> !s.isEmpty()).forEach(addresses::add);
        return new ArrayList<>(addresses);
    }

    private static String names(List<String> addresses) {
        String named = String.join(", ", addresses.stream().limit(AUDIT_NAMES).map(String::strip).toList());
        return addresses.size() > AUDIT_NAMES ? named + " and " + (addresses.size() - AUDIT_NAMES) + " more" : named;
    }

    private static String entries(long count) {
        return count == 1 ? "1 entry" : count + " entries";
    }

    /** The domains to choose from: the protected ones, and any other that has a list in the store. */
    static List<DomainChoice> choices(Console console) {
        Map<String, Long> counts = console.gateway().validRecipientStore().counts();
        List<DomainChoice> choices = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (var domain : console.gateway().policy().effective().domains()) {
            choices.add(new DomainChoice(domain.name(), counts.getOrDefault(domain.name(), 0L), true));
            seen.add(domain.name());
        }
        counts.forEach((name, count) -> {
            if (seen.add(name)) {
                choices.add(new DomainChoice(name, count, false));
            }
        });
        return choices;
    }

    private static void show(Context ctx, Console console, View view, String domainText, String query) {
        List<DomainChoice> choices = choices(console);
        String domain = "";
        if (domainText != null && !domainText.isBlank()) {
            try {
                domain = listDomain(domainText);
            } catch (ApiException e) {
                view = view.withError(e.getMessage());
            }
        } else if (!choices.isEmpty()) {
            domain = choices.getFirst().name();
        }
        String q = query == null ? "" : query;
        ValidRecipientStore store = console.gateway().validRecipientStore();
        long count = domain.isEmpty() ? 0 : store.count(domain);
        List<String> entries = domain.isEmpty() ? List.of() : store.search(domain, q, DEFAULT_LIMIT);
        String verification = "";
        if (!domain.isEmpty()) {
            String name = domain;
            var effective = console.gateway().policy().effective();
            verification = effective.domain(name).map(d -> d.verification() == Verification.INHERIT
                    ? effective.recipientVerification() : d.verification()).map(Verification::configName).orElse("");
        }
        Console.page(ctx, "recipients.jte", Map.of("view", view, "recipients",
                new Recipients(choices, domain, count, q, entries, DEFAULT_LIMIT, verification)));
    }
}
