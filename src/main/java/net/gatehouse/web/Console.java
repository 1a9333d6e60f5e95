package net.gatehouse.web;

import io.javalin.http.Context;
import java.time.Clock;
import java.util.Map;
import net.gatehouse.admin.Administration;
import net.gatehouse.admin.Refusal;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.ConsoleUsers;

/**
 * What the console's pages and the API work with: the {@link ConsoleParts} of the gateway they are
 * given, and the authenticator. One instance per console; the page and API classes register their
 * routes with it. Every change goes through {@link #admin()}.
 */
public final class Console {

    private final ConsoleParts parts;
    private final Authenticator authenticator;

    public Console(ConsoleParts parts) {
        this.parts = parts;
        this.authenticator = new Authenticator(parts.users(), parts.clock(), parts.metrics().registry());
    }

    /** Every route of the console and the API. */
    public RouteTable routes() {
        RouteTable table = new RouteTable();
        SessionPages.register(table, this);
        DashboardPage.register(table, this);
        SettingsPage.register(table, this);
        SettingsApi.register(table, this);
        DomainsPage.register(table, this);
        DomainsApi.register(table, this);
        RecipientsPage.register(table, this);
        RecipientsApi.register(table, this);
        DirectoriesPage.register(table, this);
        DirectorySettingsPage.register(table, this);
        DirectoriesApi.register(table, this);
        NetworksPage.register(table, this);
        NetworksApi.register(table, this);
        TesterPage.register(table, this);
        CacheApi.register(table, this);
        LogPage.register(table, this);
        QueuePage.register(table, this);
        NodesPage.register(table, this);
        UsersPage.register(table, this);
        AuditPage.register(table, this);
        OpenApi.register(table); // last, though it reads the table at each request
        return table;
    }

    /** What the pages read of the gateway. */
    public ConsoleParts parts() {
        return parts;
    }

    /** Every change: validated, made and audited there, whichever door (page or API) asked. */
    public Administration admin() {
        return parts.admin();
    }

    public ConsoleUsers users() {
        return parts.users();
    }

    public AuditLog audit() {
        return parts.audit();
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    public Clock clock() {
        return parts.clock();
    }

    /** Renders a page template into the response. */
    static void page(Context ctx, String template, Map<String, Object> params) {
        ctx.contentType("text/html; charset=utf-8").result(ConsoleServer.render(template, params));
    }

    /** A refused change as the API answers it, for the pages that show the refusal on the page itself. */
    static ApiException answer(RuntimeException e) {
        return e instanceof Refusal refusal ? ApiException.of(refusal) : (ApiException) e;
    }
}
