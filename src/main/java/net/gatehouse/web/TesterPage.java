package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.time.Instant;
import net.gatehouse.admin.Refusal;
import net.gatehouse.admin.VerdictCacheTools;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.policy.AddressTester;
import net.gatehouse.smtp.protocol.MailboxAddress;

/**
 * The address tester: an address and a client IP in, the verdict the gateway would give at RCPT TO
 * and the chain of reasons out, decided by the running gateway's own policy, valid lists and
 * callouts (as {@code gatehouse check} decides with its own). It changes nothing, but it may probe
 * a back-end, so it is a POST with the CSRF token, open to viewers.
 */
public final class TesterPage {

    /** Longest address accepted: RFC 5321 4.5.3.1.3, a path of 256 octets, with room for brackets. */
    private static final int MAX_ADDRESS = 300;

    /**
     * The form as filled in, the result if there is one, and the tested address's cache entry.
     *
     * @param cache the callout's cached verdict for the address; empty when none (or no address)
     */
    public record Test(String address, String client, Optional<AddressTester.Result> result, Optional<CacheView> cache) {

        Test(String address, String client, Optional<AddressTester.Result> result) {
            this(address, client, result, Optional.empty());
        }
    }

    /** A cache entry in words, for the page (the raw reply is for administrators, who sign in here). */
    public record CacheView(String address, String verdict, String source, String node, String written, String age,
                            String remaining, String probeTime, String backendReply) {
    }

    private TesterPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/tester", Access.VIEWER, "The address tester", (ctx, who) ->
                show(ctx, view(who), new Test(SessionPages.orEmpty(ctx.queryParam("address")),
                        AddressTester.UNTRUSTED_CLIENT, Optional.empty())));
        table.page(POST, "/tester", Access.VIEWER, "Tests an address against the policy in force", (ctx, who) -> {
            String address = SessionPages.orEmpty(ctx.formParam("address")).strip();
            String client = SessionPages.orEmpty(ctx.formParam("client")).strip();
            try {
                AddressTester.Result result = test(console, address, client);
                show(ctx, view(who), new Test(address, client, Optional.of(result), cacheView(console, address)));
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, view(who).withError(e.getMessage()), new Test(address, client, Optional.empty()));
            }
        });
        table.page(POST, "/tester/flush", Access.ADMIN, "Flushes the tested address's cached verdict; audited",
                (ctx, who) -> cacheAction(ctx, console, who, address -> {
                    console.admin().cache().flush(who.actor(), VerdictCacheTools.mailbox(address));
                    return "Flushed the cached verdict of " + address + ": its next RCPT probes the back-end again.";
                }));
        table.page(POST, "/tester/probe", Access.ADMIN, "Probes the tested address's back-end now; audited",
                (ctx, who) -> cacheAction(ctx, console, who, address -> {
                    VerdictCacheTools.Reprobe reprobe = console.admin().cache().probe(who.actor(),
                            VerdictCacheTools.mailbox(address));
                    return "Probed " + address + " again: " + reprobe.result().how() + ".";
                }));
        table.page(POST, "/tester/flush-cache", Access.ADMIN, "Flushes a domain's cached verdicts, or all; audited",
                (ctx, who) -> cacheAction(ctx, console, who, address -> {
                    String domain = SessionPages.orEmpty(ctx.formParam("domain")).strip();
                    if ("all".equals(ctx.formParam("scope"))) {
                        return "Flushed every cached verdict (" + console.admin().cache().flushAll(who.actor()) + ").";
                    }
                    if (domain.isEmpty()) {
                        throw ApiException.badRequest("give a domain, or flush everything");
                    }
                    return "Flushed " + console.admin().cache().flushDomain(who.actor(), domain)
                            + " cached verdict(s) of " + domain + ".";
                }));
        table.api(POST, "/api/v1/check", Access.VIEWER,
                "The verdict at RCPT TO for an address and a client, and why ({\"address\", \"client\"})",
                (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly("address", "client");
                    AddressTester.Result result = test(console, body.requiredText("address").strip(),
                            body.text("client").map(String::strip).orElse(""));
                    ctx.json(json(result));
                });
    }

    /** A cache tool from the tester's forms; the page shows the notice and the address's entry afterwards. */
    private static void cacheAction(Context ctx, Console console, Principal who, CacheTool tool) {
        String address = SessionPages.orEmpty(ctx.formParam("address")).strip();
        String client = SessionPages.orEmpty(ctx.formParam("client")).strip();
        View view = view(who);
        try {
            view = view.withNotice(tool.apply(address));
        } catch (Refusal | ApiException e) {
            ApiException failure = Console.answer(e);
            ctx.status(failure.status());
            view = view.withError(failure.getMessage());
        }
        show(ctx, view, new Test(address, client.isEmpty() ? AddressTester.UNTRUSTED_CLIENT : client, Optional.empty(),
                address.isEmpty() ? Optional.empty() : cacheView(console, address)));
    }

    @FunctionalInterface
    private interface CacheTool {
        String apply(String address);
    }

    /** The address's cached verdict, if it has one; none for an address that is not one. */
    static Optional<CacheView> cacheView(Console console, String address) {
        MailboxAddress mailbox;
        try {
            mailbox = VerdictCacheTools.mailbox(address);
        } catch (Refusal e) {
            return Optional.empty();
        }
        return console.parts().callout().cached(mailbox).map(entry -> {
            VerificationCacheConfig settings = console.parts().policy().current().cache();
            Instant now = console.clock().instant();
            return new CacheView(mailbox.address().toLowerCase(java.util.Locale.ROOT), entry.word(), entry.source(),
                    entry.node(), Display.time(entry.written()), seconds(entry.age(now)),
                    seconds(entry.remaining(settings, now)) + " of " + seconds(entry.lifetime(settings)),
                    entry.probeTime().map(time -> time.toMillis() + " ms").orElse("not recorded"),
                    entry.backendReply().orElse("not recorded"));
        });
    }

    private static String seconds(Duration duration) {
        long s = duration.toSeconds();
        return s < 120 ? s + " s" : s < 7200 ? s / 60 + " min" : s < 172_800 ? s / 3600 + " h" : s / 86_400 + " d";
    }

    private static View view(Principal who) {
        return View.of("Address tester", "tester", who);
    }

    /**
     * @param client empty for an untrusted client (TEST-NET-1)
     * @throws ApiException 400 for an empty or overlong address or a client that is not an IP address
     */
    static AddressTester.Result test(Console console, String address, String client) throws InterruptedException {
        if (address.isEmpty()) {
            throw ApiException.badRequest("address is required, e.g. alice@example.com");
        }
        if (address.length() > MAX_ADDRESS) {
            throw ApiException.badRequest("address is longer than an SMTP path may be (256 octets)");
        }
        InetAddress clientAddress;
        try {
            clientAddress = AddressTester.client(client.isEmpty() ? AddressTester.UNTRUSTED_CLIENT : client);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        return console.parts().tester().test(address, clientAddress);
    }

    static Map<String, Object> json(AddressTester.Result result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("recipient", result.recipient());
        json.put("client", result.client());
        json.put("verdict", result.word());
        json.put("code", result.reply().code());
        json.put("enhanced_code", result.reply().enhanced());
        json.put("text", result.reply().text());
        json.put("reply", result.reply().toString());
        json.put("chain", result.chain());
        json.put("source", result.source());
        return json;
    }

    private static void show(Context ctx, View view, Test test) {
        Console.page(ctx, "tester.jte", Map.of("view", view, "test", test));
    }
}
