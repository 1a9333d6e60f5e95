package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import net.gatehouse.admin.Refusal;
import net.gatehouse.policy.LivePolicy;

/**
 * Trusted networks: the clients that relay outbound through Gatehouse and whose recipients are
 * never verified (the seed: "trusted network hosts are exempt"). Those the configuration file
 * lists are shown read-only.
 */
public final class NetworksPage {

    /** A trusted network, in normal form, and whether the configuration file declares it. */
    public record Network(String cidr, boolean pinned) {

        Map<String, Object> json() {
            Map<String, Object> json = new java.util.LinkedHashMap<>();
            json.put("cidr", cidr);
            json.put("source", pinned ? "file" : "console");
            return json;
        }
    }

    private NetworksPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/networks", Access.VIEWER, "Trusted networks", (ctx, who) ->
                show(ctx, console, view(who), ""));
        table.page(POST, "/networks", Access.ADMIN, "Trusts a network", (ctx, who) -> {
            String cidr = SessionPages.orEmpty(ctx.formParam("cidr"));
            try {
                String added = console.admin().networks().add(who.actor(), cidr);
                show(ctx, console, view(who).withNotice("Trusted " + added + ". Its clients relay from their next "
                        + "recipient on."), "");
            } catch (Refusal e) {
                ctx.status(ApiException.of(e).status());
                show(ctx, console, view(who).withError(e.getMessage()), cidr);
            }
        });
        table.page(POST, "/networks/delete", Access.ADMIN, "Stops trusting a network", (ctx, who) -> {
            try {
                String removed = console.admin().networks().remove(who.actor(), ctx.formParam("cidr"));
                show(ctx, console, view(who).withNotice("No longer trusted: " + removed + "."), "");
            } catch (Refusal e) {
                ctx.status(ApiException.of(e).status());
                show(ctx, console, view(who).withError(e.getMessage()), "");
            }
        });
    }

    private static View view(Principal who) {
        return View.of("Trusted networks", "networks", who);
    }

    static List<Network> networks(Console console) {
        LivePolicy policy = console.parts().policy();
        return policy.effective().trustedNetworks().stream()
                .map(cidr -> new Network(cidr, policy.pinnedNetwork(cidr))).toList();
    }

    private static void show(Context ctx, Console console, View view, String typed) {
        Console.page(ctx, "networks.jte", Map.of("view", view, "networks", networks(console), "typed", typed));
    }
}
