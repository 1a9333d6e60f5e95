package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.policy.AddressTester;

/**
 * The address tester: an address and a client IP in, the verdict the gateway would give at RCPT TO
 * and the chain of reasons out, decided by the running gateway's own policy, valid lists and
 * callouts (as {@code gatehouse check} decides with its own). It changes nothing, but it may probe
 * a back-end, so it is a POST with the CSRF token, open to viewers.
 */
public final class TesterPage {

    /** Longest address accepted: RFC 5321 4.5.3.1.3, a path of 256 octets, with room for brackets. */
    private static final int MAX_ADDRESS = 300;

    /** The form as filled in, and the result if there is one. */
    public record Test(String address, String client, Optional<AddressTester.Result> result) {
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
                show(ctx, view(who), new Test(address, client, Optional.of(result)));
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, view(who).withError(e.getMessage()), new Test(address, client, Optional.empty()));
            }
        });
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
        return json;
    }

    private static void show(Context ctx, View view, Test test) {
        Console.page(ctx, "tester.jte", Map.of("view", view, "test", test));
    }
}
