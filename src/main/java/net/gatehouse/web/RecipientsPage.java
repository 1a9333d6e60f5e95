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
import net.gatehouse.admin.Refusal;
import net.gatehouse.admin.ValidLists;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.store.ValidRecipientStore.ImportResult;

/**
 * Valid recipients: per domain, the store's valid list (used by domains whose verification is
 * valid_list) with its count, a search, adding and deleting entries, and the import of a list file
 * (the format of {@code gatehouse recipients import}: one address per line, or CSV).
 *
 * <p>Changes go through the administration ({@code admin.ValidLists}): audited, and in force on
 * this node before the answer (the directory is reloaded at once, so the very next RCPT sees it).
 */
public final class RecipientsPage {

    /** Entries shown by a search when none is asked for. */
    static final int DEFAULT_LIMIT = 100;

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
                int added = console.admin().validLists().add(who.actor(), domain, addresses);
                show(ctx, console, view(who).withNotice("Added " + added + " of " + addresses.size()
                        + (added < addresses.size() ? " (the others were listed already)." : ".")), domain, "");
            } catch (ApiException | Refusal e) {
                ApiException answer = Console.answer(e);
                ctx.status(answer.status());
                show(ctx, console, view(who).withError(answer.getMessage()), domain, "");
            }
        });
        table.page(POST, "/recipients/delete", Access.ADMIN, "Deletes a valid recipient", (ctx, who) -> {
            String domain = ctx.formParam("domain");
            String address = SessionPages.orEmpty(ctx.formParam("address"));
            try {
                if (console.admin().validLists().remove(who.actor(), domain, List.of(address)) == 0) {
                    throw notListed(domain, address);
                }
                show(ctx, console, view(who).withNotice("Deleted " + address + "."), domain, ctx.formParam("q"));
            } catch (ApiException | Refusal e) {
                ApiException answer = Console.answer(e);
                ctx.status(answer.status());
                show(ctx, console, view(who).withError(answer.getMessage()), domain, ctx.formParam("q"));
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
                    result = importFile(console, who, domain, in, "on".equals(ctx.formParam("replace")),
                            file.filename());
                }
                show(ctx, console, view(who).withNotice(describe(result)), domain, "");
            } catch (ApiException | Refusal e) {
                ApiException answer = Console.answer(e);
                ctx.status(answer.status());
                show(ctx, console, view(who).withError(answer.getMessage()), domain, "");
            }
        });
    }

    /** The answer to removing an entry that the store's list does not have. */
    static ApiException notListed(String domain, String address) {
        return ApiException.notFound(Authenticator.printable(address) + " is not in the valid list of "
                + listDomain(domain) + " in the store (entries of the configuration file are changed there)");
    }

    private static View view(Principal who) {
        return View.of("Valid recipients", "recipients", who);
    }

    /** @throws ApiException 400 if the text is not a valid domain name */
    static String listDomain(String text) {
        try {
            return ValidLists.domain(text);
        } catch (Refusal e) {
            throw ApiException.of(e);
        }
    }

    /**
     * Imports a list file (UTF-8) through the administration: all or nothing, audited, in force on return.
     *
     * @throws ApiException 400 if the file is not UTF-8 text or cannot be read
     * @throws Refusal INVALID naming the invalid lines
     */
    static ImportResult importFile(Console console, Principal who, String domain, InputStream in, boolean replace,
                                   String source) {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        try {
            return console.admin().validLists().importLines(who.actor(), domain, reader.lines().iterator(), replace,
                    source);
        } catch (UncheckedIOException e) {
            throw ApiException.badRequest(e.getCause() instanceof CharacterCodingException
                    ? "the file is not UTF-8 text; nothing imported"
                    : "reading the file failed (" + e.getCause().getMessage() + "); nothing imported");
        }
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

    private static String entries(long count) {
        return count == 1 ? "1 entry" : count + " entries";
    }

    /** The domains to choose from: the protected ones, and any other that has a list in the store. */
    static List<DomainChoice> choices(Console console) {
        Map<String, Long> counts = console.parts().validRecipients().counts();
        List<DomainChoice> choices = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (var domain : console.parts().policy().effective().domains()) {
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
        ValidRecipientStore store = console.parts().validRecipients();
        long count = domain.isEmpty() ? 0 : store.count(domain);
        List<String> entries = domain.isEmpty() ? List.of() : store.search(domain, q, DEFAULT_LIMIT);
        String verification = "";
        if (!domain.isEmpty()) {
            String name = domain;
            var effective = console.parts().policy().effective();
            verification = effective.domain(name).map(d -> d.verification() == Verification.INHERIT
                    ? effective.recipientVerification() : d.verification()).map(Verification::configName).orElse("");
        }
        Console.page(ctx, "recipients.jte", Map.of("view", view, "recipients",
                new Recipients(choices, domain, count, q, entries, DEFAULT_LIMIT, verification)));
    }
}
