package net.gatehouse.web;

import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.admin.VerdictCacheTools;
import net.gatehouse.callout.CalloutResult;
import net.gatehouse.callout.VerdictCache;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.store.Actor;

/**
 * The verification cache through the API (SPEC §9): look an address up, flush an address, a
 * domain or everything, probe an address again now. In a cluster these act on the shared cache.
 * The back-end's reply shown here is for administrators; an SMTP client never sees it.
 *
 * <p>{@code gatehouse cache} calls these routes with a token and says so in the header
 * {@value #DOOR_HEADER}{@code : cli}: its changes are audited as made through the command line, by
 * the token's user.
 */
final class CacheApi {

    /** The header by which {@code gatehouse cache} names its door for the audit log. */
    static final String DOOR_HEADER = "X-Gatehouse-Door";

    private CacheApi() {
    }

    static void register(RouteTable table, Console console) {
        table.api(GET, "/api/v1/cache/{address}", Access.VIEWER, "The cached verification verdict of an address: "
                + "verdict, source, age, remaining lifetime, the probe's timing and the back-end's reply as received "
                + "(for administrators only); 404 when not cached", (ctx, who) -> {
                    MailboxAddress address = VerdictCacheTools.mailbox(ctx.pathParam("address"));
                    Optional<VerdictCache.Entry> entry = console.parts().callout().cached(address);
                    if (entry.isEmpty()) {
                        throw ApiException.notFound("no cached verdict for " + address.address());
                    }
                    ctx.json(entry(console, address, entry.get()));
                });
        table.api(DELETE, "/api/v1/cache/{address}", Access.ADMIN, "Flushes an address's cached verdict (and its "
                + "hold-down after a temporary failure): its next RCPT probes again; audited (cache.flush)",
                (ctx, who) -> {
                    MailboxAddress address = VerdictCacheTools.mailbox(ctx.pathParam("address"));
                    boolean cached = console.parts().callout().cached(address).isPresent();
                    console.admin().cache().flush(actor(ctx, who), address);
                    ctx.json(flushed("address", address.address().toLowerCase(Locale.ROOT), cached ? 1 : 0));
                });
        table.api(DELETE, "/api/v1/cache", Access.ADMIN, "Flushes the cached verdicts of a domain's addresses "
                + "(?domain=example.com; not its subdomains'), or without ?domain= every cached verdict; audited "
                + "(cache.flush_domain, cache.flush_all)", (ctx, who) -> {
                    String domain = ctx.queryParam("domain");
                    if (domain != null) {
                        long count = console.admin().cache().flushDomain(actor(ctx, who), domain);
                        ctx.json(flushed("domain", MailboxAddress.asciiDomain(domain.strip()), count));
                    } else {
                        long count = console.admin().cache().flushAll(actor(ctx, who));
                        ctx.json(flushed("all", "*", count));
                    }
                });
        table.api(POST, "/api/v1/cache/{address}/probe", Access.ADMIN, "Probes the address's back-end now, whatever "
                + "the cache holds, and answers with the result and the new cache entry; audited (cache.probe)",
                (ctx, who) -> {
                    MailboxAddress address = VerdictCacheTools.mailbox(ctx.pathParam("address"));
                    VerdictCacheTools.Reprobe reprobe = console.admin().cache().probe(actor(ctx, who), address);
                    ctx.json(reprobe(console, address, reprobe));
                });
    }

    /** The token's user through the API, or through the command line when {@code gatehouse cache} calls. */
    static Actor actor(Context ctx, Principal who) {
        return who.viaToken() && "cli".equalsIgnoreCase(ctx.header(DOOR_HEADER))
                ? new Actor(who.user(), Actor.Door.CLI) : who.actor();
    }

    /** An entry as the API, the console's tester and {@code gatehouse cache show} give it. */
    static Map<String, Object> entry(Console console, MailboxAddress address, VerdictCache.Entry entry) {
        VerificationCacheConfig settings = console.parts().policy().current().cache();
        Instant now = console.clock().instant();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("address", address.address().toLowerCase(Locale.ROOT));
        json.put("verdict", entry.word());
        json.put("source", entry.source());
        json.put("node", entry.node());
        json.put("written", entry.written().toString());
        json.put("ageSeconds", entry.age(now).toSeconds());
        json.put("lifetimeSeconds", entry.lifetime(settings).toSeconds());
        json.put("remainingSeconds", entry.remaining(settings, now).toSeconds());
        json.put("refreshAfterSeconds", positive(entry.refreshAge(settings).minus(entry.age(now))).toSeconds());
        json.put("probeMillis", entry.probeTime().map(Duration::toMillis).orElse(null));
        json.put("backendReply", entry.backendReply().orElse(null));
        return json;
    }

    static Map<String, Object> reprobe(Console console, MailboxAddress address, VerdictCacheTools.Reprobe reprobe) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("address", address.address().toLowerCase(Locale.ROOT));
        json.put("result", switch (reprobe.result()) {
            case CalloutResult.Accepted accepted -> "accepted";
            case CalloutResult.Rejected rejected -> "rejected";
            case CalloutResult.TemporaryFailure failure -> "tempfail";
            case CalloutResult.Unverifiable unverifiable -> "unverifiable";
        });
        json.put("how", reprobe.result().how());
        json.put("reason", switch (reprobe.result()) {
            case CalloutResult.TemporaryFailure failure -> failure.reason();
            case CalloutResult.Unverifiable unverifiable -> unverifiable.reason();
            default -> "";
        });
        json.put("entry", reprobe.entry().map(entry -> entry(console, address, entry)).orElse(null));
        return json;
    }

    private static Map<String, Object> flushed(String scope, String target, long count) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("scope", scope);
        json.put("target", target);
        json.put("flushed", count);
        return json;
    }

    private static Duration positive(Duration duration) {
        return duration.isNegative() ? Duration.ZERO : duration;
    }

    /** The schemas of the answers, by name, for {@link OpenApi}. */
    static Map<String, Object> schemas() {
        Map<String, Object> schemas = new LinkedHashMap<>();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("address", Map.of("type", "string", "description", "lower-cased, the cache's key"));
        entry.put("verdict", Map.of("type", "string", "enum", List.of("accepted", "rejected")));
        entry.put("source", Map.of("type", "string", "description",
                "the probe that gave it: \"probe to backend 1 of 2 (mail1.internal:25), 4 ms\""));
        entry.put("node", Map.of("type", "string", "description", "the node that probed; empty if not recorded"));
        entry.put("written", Map.of("type", "string", "format", "date-time"));
        entry.put("ageSeconds", Map.of("type", "integer"));
        entry.put("lifetimeSeconds", Map.of("type", "integer", "description", "positive_ttl or negative_ttl"));
        entry.put("remainingSeconds", Map.of("type", "integer"));
        entry.put("refreshAfterSeconds", Map.of("type", "integer",
                "description", "until the next RCPT for it probes again in the background; 0: due"));
        entry.put("probeMillis", Map.of("type", List.of("integer", "null"),
                "description", "how long the probe took; null for an entry written by an older version"));
        entry.put("backendReply", Map.of("type", List.of("string", "null"), "description",
                "the back-end's reply to RCPT as received (for administrators; never sent to SMTP clients)"));
        schemas.put("CacheEntry", object(entry));
        Map<String, Object> flush = new LinkedHashMap<>();
        flush.put("scope", Map.of("type", "string", "enum", List.of("address", "domain", "all")));
        flush.put("target", Map.of("type", "string"));
        flush.put("flushed", Map.of("type", "integer", "description", "cached verdicts dropped"));
        schemas.put("CacheFlush", object(flush));
        Map<String, Object> probe = new LinkedHashMap<>();
        probe.put("address", Map.of("type", "string"));
        probe.put("result", Map.of("type", "string", "enum", List.of("accepted", "rejected", "tempfail", "unverifiable")));
        probe.put("how", Map.of("type", "string"));
        probe.put("reason", Map.of("type", "string", "description", "why a tempfail or unverifiable; empty otherwise"));
        probe.put("entry", Map.of("oneOf", List.of(Map.of("$ref", "#/components/schemas/CacheEntry"),
                Map.of("type", "null")), "description", "the entry the probe left; null when it left none"));
        schemas.put("CacheProbe", object(probe));
        return schemas;
    }

    /** Which answers the schemas describe: method and path. */
    static Map<String, String> responses() {
        return Map.of("GET /api/v1/cache/{address}", "CacheEntry", "DELETE /api/v1/cache/{address}", "CacheFlush",
                "DELETE /api/v1/cache", "CacheFlush", "POST /api/v1/cache/{address}/probe", "CacheProbe");
    }

    /** The query parameters of a route ("METHOD path"), for {@link OpenApi}; none for most. */
    static List<Map<String, Object>> queryParameters(String route) {
        return route.equals("DELETE /api/v1/cache")
                ? List.of(Map.of("name", "domain", "in", "query", "required", false, "schema", Map.of("type", "string"),
                        "description", "flush only this domain's addresses (not its subdomains'); without it, everything"))
                : List.of();
    }

    private static Map<String, Object> object(Map<String, Object> properties) {
        return Map.of("type", "object", "required", List.copyOf(properties.keySet()), "properties", properties);
    }
}
