package net.gatehouse.web;

import net.gatehouse.users.Role;
import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;
import static io.javalin.http.HandlerType.PUT;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.gatehouse.admin.Refusal;
import net.gatehouse.admin.Tokens;
import net.gatehouse.store.ConsoleUsers;

/**
 * Console users and API tokens. Viewers see the users and their own tokens and may change their
 * own password (with the current one) and create and revoke their own tokens; administrators
 * change everything. The last administrator can be neither removed nor made a viewer (409), so
 * the console cannot lock itself out.
 *
 * <p>A token is shown once, when it is created ({@code gh_} and 256 random bits); the store keeps
 * only its hash. It acts with its user's role, as that role is at each request. Every change goes
 * through the administration ({@code admin.Users}, {@code admin.Tokens}), which audits it.
 */
public final class UsersPage {


    /** A user as listed (never the password hash). */
    public record User(String name, String role, Instant createdAt) {
        static User of(ConsoleUsers.User user) {
            return new User(user.name(), user.role(), user.createdAt());
        }
    }

    /** A token as listed (never the token). */
    public record Token(String id, String user, String label, Instant createdAt, Instant lastUsedAt) {
        static Token of(ConsoleUsers.Token token) {
            return new Token(token.id(), token.userName(), token.label(), token.createdAt(), token.lastUsedAt());
        }
    }

    /** A token just created: the only time its value is shown. */
    public record CreatedToken(String id, String user, String label, Instant createdAt, String token) {
    }

    /** What the page shows. */
    public record Model(List<User> users, List<Token> tokens, CreatedToken created, List<String> roles) {
    }

    private UsersPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/users", Access.VIEWER, "Users and API tokens", (ctx, who) ->
                show(ctx, console, view(who), null));
        table.page(POST, "/users", Access.ADMIN, "Adds a user", (ctx, who) -> page(ctx, console, who, () -> {
            String name = RequestValues.form(ctx, "name").strip();
            console.admin().users().add(who.actor(), name, RequestValues.form(ctx, "role"),
                    RequestValues.form(ctx, "password"));
            return "User " + name + " added.";
        }));
        table.page(POST, "/users/{name}/role", Access.ADMIN, "Changes a user's role", (ctx, who) ->
                page(ctx, console, who, () -> {
                    console.admin().users().setRole(who.actor(), ctx.pathParam("name"), RequestValues.form(ctx, "role"));
                    return "Role of " + ctx.pathParam("name") + " changed.";
                }));
        table.page(POST, "/users/{name}/password", Access.ADMIN, "Sets a user's password", (ctx, who) ->
                page(ctx, console, who, () -> {
                    console.admin().users().setPassword(who.actor(), ctx.pathParam("name"),
                            RequestValues.form(ctx, "password"));
                    return "Password of " + ctx.pathParam("name") + " set; their sessions have ended.";
                }));
        table.page(POST, "/users/{name}/remove", Access.ADMIN, "Removes a user", (ctx, who) ->
                page(ctx, console, who, () -> {
                    console.admin().users().remove(who.actor(), ctx.pathParam("name"));
                    return "User " + ctx.pathParam("name") + " removed, with their sessions and tokens.";
                }));
        table.page(POST, "/account/password", Access.VIEWER, "Changes one's own password", (ctx, who) ->
                changeOwnPassword(ctx, console, who));
        table.page(POST, "/tokens", Access.VIEWER, "Creates an API token, shown once", (ctx, who) -> {
            try {
                String user = RequestValues.form(ctx, "user").strip();
                CreatedToken created = createToken(console, who, RequestValues.form(ctx, "label"),
                        user.isEmpty() ? who.user() : user);
                show(ctx, console, view(who).withNotice("Token created. Copy it now: it is not shown again."), created);
            } catch (ApiException | Refusal e) {
                ApiException answer = Console.answer(e);
                ctx.status(answer.status());
                show(ctx, console, view(who).withError(answer.getMessage()), null);
            }
        });
        table.page(POST, "/tokens/{id}/revoke", Access.VIEWER, "Revokes an API token", (ctx, who) ->
                page(ctx, console, who, () -> {
                    console.admin().tokens().revoke(who.actor(), who.role(), ctx.pathParam("id"));
                    return "Token " + ctx.pathParam("id") + " revoked.";
                }));

        table.api(GET, "/api/v1/users", Access.VIEWER, "Lists the console users and their roles", (ctx, who) ->
                ctx.json(users(console)));
        table.api(POST, "/api/v1/users", Access.ADMIN, "Adds a user: {name, role (admin or viewer), password}",
                (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly("name", "role", "password");
                    String name = body.requiredText("name").strip();
                    console.admin().users().add(who.actor(), name, body.requiredText("role"),
                            body.requiredText("password"));
                    ctx.status(HttpStatus.CREATED).json(user(console, name));
                });
        table.api(PUT, "/api/v1/users/{name}", Access.ADMIN, "Changes a user's role and/or password: {role, password}",
                (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly("role", "password");
                    console.admin().users().change(who.actor(), ctx.pathParam("name"), body.text("role").orElse(null),
                            body.text("password").orElse(null));
                    ctx.json(user(console, ctx.pathParam("name")));
                });
        table.api(DELETE, "/api/v1/users/{name}", Access.ADMIN, "Removes a user with their sessions and tokens",
                (ctx, who) -> {
                    console.admin().users().remove(who.actor(), ctx.pathParam("name"));
                    ctx.status(HttpStatus.NO_CONTENT);
                });
        table.api(GET, "/api/v1/tokens", Access.VIEWER, "Lists API tokens (administrators: all; others: their own), "
                + "never their values", (ctx, who) -> ctx.json(tokens(console, who)));
        table.api(POST, "/api/v1/tokens", Access.VIEWER, "Creates an API token: {label, user (default: oneself; "
                + "another user: administrators only)}; the answer holds the token, shown this once", (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly("label", "user");
                    String user = body.text("user").orElse("").strip();
                    ctx.status(HttpStatus.CREATED).json(createToken(console, who, body.text("label").orElse(""),
                            user.isEmpty() ? who.user() : user));
                });
        table.api(DELETE, "/api/v1/tokens/{id}", Access.VIEWER, "Revokes an API token (one's own; administrators: any)",
                (ctx, who) -> {
                    console.admin().tokens().revoke(who.actor(), who.role(), ctx.pathParam("id"));
                    ctx.status(HttpStatus.NO_CONTENT);
                });
    }

    // ---- what the page and the API share

    static List<User> users(Console console) {
        return console.users().users().stream().map(User::of).toList();
    }

    private static User user(Console console, String name) {
        return console.users().user(name).map(User::of).orElseThrow(() -> noSuchUser(name));
    }

    static List<Token> tokens(Console console, Principal who) {
        return console.users().tokens().stream()
                .filter(t -> who.role() == Role.ADMIN || t.userName().equals(who.user()))
                .map(Token::of).toList();
    }

    static CreatedToken createToken(Console console, Principal who, String label, String user) {
        Tokens.Created created = console.admin().tokens().create(who.actor(), who.role(), user, label);
        return new CreatedToken(created.id(), created.user(), created.label(), created.createdAt(), created.token());
    }

    private static void changeOwnPassword(Context ctx, Console console, Principal who) {
        String current = RequestValues.form(ctx, "current_password");
        String next = RequestValues.form(ctx, "new_password");
        View view = view(who);
        try {
            if (!next.equals(RequestValues.form(ctx, "new_password_again"))) {
                throw ApiException.badRequest("The new password and its repetition differ.");
            }
            console.admin().users().changeOwnPassword(who.actor(), current, next);
        } catch (ApiException | Refusal e) {
            ApiException answer = Console.answer(e);
            ctx.status(answer.status());
            show(ctx, console, view.withError(answer.getMessage()), null);
            return;
        }
        // the change ended every session of the user, this one too: sign in again with the new password
        if (console.authenticator().login(ctx, who.user(), next) instanceof Authenticator.Login.Success success) {
            show(ctx, console, view(success.principal()).withNotice("Password changed; your other sessions have ended."),
                    null);
        } else {
            ctx.redirect("/login?next=/users", HttpStatus.SEE_OTHER);
        }
    }

    private static ApiException noSuchUser(String name) {
        return ApiException.notFound("no user " + name);
    }

    // ---- the page

    private interface Change {
        String apply();
    }

    private static View view(Principal who) {
        return View.of("Users and API tokens", "users", who);
    }

    /** Runs a change from a form and shows the page with its outcome. */
    private static void page(Context ctx, Console console, Principal who, Change change) {
        View view = view(who);
        try {
            show(ctx, console, view.withNotice(change.apply()), null);
        } catch (ApiException | Refusal e) {
            ApiException answer = Console.answer(e);
            ctx.status(answer.status());
            show(ctx, console, view.withError(answer.getMessage()), null);
        }
    }

    private static void show(Context ctx, Console console, View view, CreatedToken created) {
        Console.page(ctx, "users.jte", Map.of("view", view, "model", new Model(users(console),
                tokens(console, view.who()), created, List.of(Role.VIEWER.word(), Role.ADMIN.word()))));
    }
}
