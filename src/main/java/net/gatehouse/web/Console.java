package net.gatehouse.web;

import io.javalin.http.Context;
import java.time.Clock;
import java.util.Map;
import net.gatehouse.Gateway;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.ConsoleUsers;

/**
 * What the console's pages and the API work with: the running gateway, the users, the audit log,
 * the clock. One instance per console; the page and API classes register their routes with it.
 */
public final class Console {

    private final Gateway gateway;
    private final ConsoleUsers users;
    private final AuditLog audit;
    private final Authenticator authenticator;
    private final Clock clock;

    public Console(Gateway gateway, ConsoleUsers users, AuditLog audit, Clock clock) {
        this.gateway = gateway;
        this.users = users;
        this.audit = audit;
        this.clock = clock;
        this.authenticator = new Authenticator(users, clock, gateway.metrics().registry());
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
        NetworksPage.register(table, this);
        NetworksApi.register(table, this);
        TesterPage.register(table, this);
        LogPage.register(table, this);
        QueuePage.register(table, this);
        UsersPage.register(table, this);
        AuditPage.register(table, this);
        OpenApi.register(table); // last, though it reads the table at each request
        return table;
    }

    public Gateway gateway() {
        return gateway;
    }

    public ConsoleUsers users() {
        return users;
    }

    public AuditLog audit() {
        return audit;
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    public Clock clock() {
        return clock;
    }

    /** Renders a page template into the response. */
    static void page(Context ctx, String template, Map<String, Object> params) {
        ctx.contentType("text/html; charset=utf-8").result(ConsoleServer.render(template, params));
    }
}
