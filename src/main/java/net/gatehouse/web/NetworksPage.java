package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.LivePolicy.RefusedChangeException;
import net.gatehouse.policy.PolicyEdits;

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
                String added = add(console, who.user(), cidr);
                show(ctx, console, view(who).withNotice("Trusted " + added + ". Its clients relay from their next "
                        + "recipient on."), "");
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, console, view(who).withError(e.getMessage()), cidr);
            }
        });
        table.page(POST, "/networks/delete", Access.ADMIN, "Stops trusting a network", (ctx, who) -> {
            try {
                String removed = remove(console, who.user(), ctx.formParam("cidr"));
                show(ctx, console, view(who).withNotice("No longer trusted: " + removed + "."), "");
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, console, view(who).withError(e.getMessage()), "");
            }
        });
    }

    private static View view(Principal who) {
        return View.of("Trusted networks", "networks", who);
    }

    static List<Network> networks(Console console) {
        LivePolicy policy = console.gateway().policy();
        return policy.effective().trustedNetworks().stream()
                .map(cidr -> new Network(cidr, policy.pinnedNetwork(cidr))).toList();
    }

    /**
     * Trusts a network.
     *
     * @return the network in normal form
     * @throws ApiException 400 if it is not a network, 409 if it is trusted already
     */
    static String add(Console console, String actor, String cidr) {
        String network = normalize(cidr);
        if (console.gateway().policy().pinnedNetwork(network)) {
            throw ApiException.conflict(network + " is trusted by the configuration file already");
        }
        PolicyEditor.edit(console, actor, "network.add", network, stored -> PolicyEdits.addNetwork(stored, network));
        return network;
    }

    /**
     * Stops trusting a network that the console added.
     *
     * @throws ApiException 400 if it is not a network, 404 if it is not trusted, 409 if the file trusts it
     */
    static String remove(Console console, String actor, String cidr) {
        String network = normalize(cidr);
        LivePolicy policy = console.gateway().policy();
        if (policy.pinnedNetwork(network)) {
            throw ApiException.conflict(network + " is trusted by the configuration file; remove it there and reload (gatehouse reload)");
        }
        if (!policy.stored().trustedNetworks().contains(network)) {
            throw ApiException.notFound(network + " is not a trusted network");
        }
        PolicyEditor.edit(console, actor, "network.remove", network, stored -> PolicyEdits.removeNetwork(stored, network));
        return network;
    }

    /** @throws ApiException 400 saying what is wrong with the text */
    private static String normalize(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            throw ApiException.badRequest("cidr is required: a network such as 192.0.2.0/24 or 2001:db8::/32, "
                    + "or one address");
        }
        try {
            return PolicyEdits.normalize(cidr);
        } catch (RefusedChangeException e) {
            throw ApiException.badRequest("cidr: " + e.getMessage());
        }
    }

    private static void show(Context ctx, Console console, View view, String typed) {
        Console.page(ctx, "networks.jte", Map.of("view", view, "networks", networks(console), "typed", typed));
    }
}
