package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import net.gatehouse.store.NodeTable;
import net.gatehouse.store.StoreException;

/**
 * The nodes of the cluster (SPEC §6), from the heartbeats in the store: the console's Nodes page
 * and {@code GET /api/v1/nodes}. A node is {@code up} while it keeps writing its heartbeat, and
 * {@code stale} once it has missed {@value NodeTable#STALE_AFTER_BEATS} of them. With the embedded
 * store the list holds this node only.
 */
public final class NodesPage {

    /** A node with state {@code up}. */
    public static final String UP = "up";
    /** A node that has missed {@value NodeTable#STALE_AFTER_BEATS} heartbeats. */
    public static final String STALE = "stale";

    /**
     * One node as the API and the page show it.
     *
     * @param lastHeartbeat when the node last wrote its row
     * @param ageSeconds    whole seconds since then, by the clock of the node that answers
     * @param state         {@value #UP} or {@value #STALE}
     * @param self          whether this is the node that answers the request
     */
    public record Node(String name, String version, Instant startedAt, Instant lastHeartbeat, long ageSeconds,
                       String state, long sessions, long queueSize, List<String> degraded, boolean self) {

        public boolean stale() {
            return STALE.equals(state);
        }
    }

    /**
     * The answer of {@code GET /api/v1/nodes}.
     *
     * @param self            the name of the node that answers
     * @param staleAfterBeats heartbeats a node may miss before it is listed as stale
     * @param complete        false when the store could not be read: then {@code nodes} holds this
     *                        node alone, from its own figures, and {@code problem} says why
     * @param nodes           every node, by name
     */
    public record Nodes(String self, int staleAfterBeats, boolean complete, String problem, List<Node> nodes) {

        public List<Node> up() {
            return nodes.stream().filter(node -> !node.stale()).toList();
        }
    }

    private NodesPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/nodes", Access.VIEWER, "The nodes of the cluster", (ctx, who) ->
                Console.page(ctx, "nodes.jte", Map.of("view", View.of("Nodes", "nodes", who), "nodes", nodes(console))));
        table.api(GET, "/api/v1/nodes", Access.VIEWER, "The nodes of the cluster from their heartbeats: name, version, "
                + "startedAt, lastHeartbeat, ageSeconds, state (up, or stale after " + NodeTable.STALE_AFTER_BEATS
                + " missed heartbeats), sessions, queueSize, degraded, self", (ctx, who) -> ctx.json(nodes(console)));
    }

    /** Every node, from the store; this node alone, from its own figures, when the store cannot be read. */
    static Nodes nodes(Console console) {
        ConsoleParts parts = console.parts();
        Instant now = console.clock().instant();
        List<Node> nodes = new ArrayList<>();
        boolean complete = true;
        String problem = "";
        try {
            for (NodeTable.Node row : parts.nodes().all()) {
                nodes.add(new Node(row.name(), row.version(), row.startedAt(), row.heartbeatAt(), row.ageSeconds(now),
                        row.stale(now) ? STALE : UP, row.sessions(), row.queueSize(), row.degraded(),
                        row.name().equals(parts.node())));
            }
        } catch (StoreException e) {
            complete = false;
            problem = "the store cannot be read, so only this node is listed: " + e.getMessage();
        }
        if (nodes.stream().noneMatch(Node::self)) { // before its first heartbeat, or without the store
            NodeTable.Node self = parts.self().get();
            nodes.add(new Node(self.name(), self.version(), self.startedAt(), self.heartbeatAt(), 0, UP,
                    self.sessions(), self.queueSize(), self.degraded(), true));
            nodes.sort(Comparator.comparing(Node::name));
        }
        return new Nodes(parts.node(), NodeTable.STALE_AFTER_BEATS, complete, problem, List.copyOf(nodes));
    }
}
