package net.gatehouse.web;

import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.HttpStatus;
import java.util.Map;

/**
 * Trusted networks on the API: {@code /api/v1/networks}. Add with {@code {"cidr": "192.0.2.0/24"}};
 * remove with {@code DELETE /api/v1/networks?cidr=192.0.2.0/24} (a network has a slash, which a
 * path segment cannot carry plainly). Each network in an answer says its {@code source}: file
 * (read-only) or console.
 */
final class NetworksApi {

    private NetworksApi() {
    }

    static void register(RouteTable table, Console console) {
        table.api(GET, "/api/v1/networks", Access.VIEWER, "Lists the trusted networks", (ctx, who) ->
                ctx.json(Map.of("networks", NetworksPage.networks(console).stream().map(NetworksPage.Network::json)
                        .toList())));
        table.api(POST, "/api/v1/networks", Access.ADMIN, "Trusts a network", (ctx, who) -> {
            JsonBody body = JsonBody.of(ctx);
            body.allowOnly("cidr");
            String network = console.admin().networks().add(who.actor(), body.requiredText("cidr"));
            ctx.status(HttpStatus.CREATED).json(new NetworksPage.Network(network, false).json());
        });
        table.api(DELETE, "/api/v1/networks", Access.ADMIN, "Stops trusting a network (?cidr=)", (ctx, who) -> {
            console.admin().networks().remove(who.actor(), ctx.queryParam("cidr"));
            ctx.status(HttpStatus.NO_CONTENT);
        });
    }
}
