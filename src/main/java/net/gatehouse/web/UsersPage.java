package net.gatehouse.web;

import net.gatehouse.users.Secrets;
import net.gatehouse.users.Role;
import net.gatehouse.users.Passwords;
import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;
import static io.javalin.http.HandlerType.PUT;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.store.ConsoleUsers;

/**
 * Console users and API tokens. Viewers see the users and their own tokens and may change their
 * own password (with the current one) and create and revoke their own tokens; administrators
 * change everything. The last administrator can be neither removed nor made a viewer (409), so
 * the console cannot lock itself out.
 *
 * <p>A token is shown once, when it is created ({@code gh_} and 256 random bits); the store keeps
 * only its hash. It acts with its user's role, as that role is at each request. Every change is
 * audited by {@link ConsoleUsers}.
 */
public final class UsersPage {

    /** Letters, digits and {@code . _ @ -}, starting with a letter or digit, at most 64 characters (as the CLI's). */
    private static final int MAX_LABEL = 100;
    /** Users and roles change one at a time on this node, so that the last-administrator check holds. */
    private static final Object USER_CHANGES = new Object();

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
            add(console, who, name, RequestValues.form(ctx, "role"), RequestValues.form(ctx, "password"));
            return "User " + name + " added.";
        }));
        table.page(POST, "/users/{name}/role", Access.ADMIN, "Changes a user's role", (ctx, who) ->
                page(ctx, console, who, () -> {
                    change(console, who, ctx.pathParam("name"), RequestValues.form(ctx, "role"), null);
                    return "Role of " + ctx.pathParam("name") + " changed.";
                }));
        table.page(POST, "/users/{name}/password", Access.ADMIN, "Sets a user's password", (ctx, who) ->
                page(ctx, console, who, () -> {
                    change(console, who, ctx.pathParam("name"), null, RequestValues.form(ctx, "password"));
                    return "Password of " + ctx.pathParam("name") + " set; their sessions have ended.";
                }));
        table.page(POST, "/users/{name}/remove", Access.ADMIN, "Removes a user", (ctx, who) ->
                page(ctx, console, who, () -> {
                    remove(console, who, ctx.pathParam("name"));
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
            } catch (ApiException e) {
                ctx.status(e.status());
                show(ctx, console, view(who).withError(e.getMessage()), null);
            }
        });
        table.page(POST, "/tokens/{id}/revoke", Access.VIEWER, "Revokes an API token", (ctx, who) ->
                page(ctx, console, who, () -> {
                    revokeToken(console, who, ctx.pathParam("id"));
                    return "Token " + ctx.pathParam("id") + " revoked.";
                }));

        table.api(GET, "/api/v1/users", Access.VIEWER, "Lists the console users and their roles", (ctx, who) ->
                ctx.json(users(console)));
        table.api(POST, "/api/v1/users", Access.ADMIN, "Adds a user: {name, role (admin or viewer), password}",
                (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly("name", "role", "password");
                    String name = body.requiredText("name").strip();
                    add(console, who, name, body.requiredText("role"), body.requiredText("password"));
                    ctx.status(HttpStatus.CREATED).json(user(console, name));
                });
        table.api(PUT, "/api/v1/users/{name}", Access.ADMIN, "Changes a user's role and/or password: {role, password}",
                (ctx, who) -> {
                    JsonBody body = JsonBody.of(ctx);
                    body.allowOnly("role", "password");
                    change(console, who, ctx.pathParam("name"), body.text("role").orElse(null),
                            body.text("password").orElse(null));
                    ctx.json(user(console, ctx.pathParam("name")));
                });
        table.api(DELETE, "/api/v1/users/{name}", Access.ADMIN, "Removes a user with their sessions and tokens",
                (ctx, who) -> {
                    remove(console, who, ctx.pathParam("name"));
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
                    revokeToken(console, who, ctx.pathParam("id"));
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

    static void add(Console console, Principal who, String name, String roleWord, String password) {
        if (!ConsoleUsers.validName(name)) {
            throw ApiException.badRequest("a user name has 1 to 64 letters, digits and . _ @ + -, starting with "
                    + "a letter or digit");
        }
        Role role = role(roleWord);
        requireStrong(password);
        String hash = Passwords.hash(password);
        synchronized (USER_CHANGES) {
            if (!console.users().add(name, role.word(), hash, console.clock().instant(), who.user())) {
                throw ApiException.conflict("there is already a user " + name);
            }
        }
    }

    /** Changes the role and/or the password (null: unchanged). */
    static void change(Console console, Principal who, String name, String roleWord, String password) {
        if (roleWord == null && password == null) {
            throw ApiException.badRequest("give a role, a password or both");
        }
        Role role = roleWord == null ? null : role(roleWord);
        if (password != null) {
            requireStrong(password);
        }
        String hash = password == null ? null : Passwords.hash(password);
        Instant now = console.clock().instant();
        synchronized (USER_CHANGES) {
            ConsoleUsers.User user = console.users().user(name).orElseThrow(() -> noSuchUser(name));
            if (role != null && !role.word().equals(user.role())) {
                refuseLastAdmin(console.users().setRole(name, role.word(), now, who.user()), name, "made a viewer");
            }
            if (hash != null) {
                console.users().setPassword(name, hash, now, who.user());
            }
        }
    }

    static void remove(Console console, Principal who, String name) {
        synchronized (USER_CHANGES) {
            refuseLastAdmin(console.users().remove(name, console.clock().instant(), who.user()), name, "removed");
        }
    }

    private static void refuseLastAdmin(ConsoleUsers.Change change, String name, String what) {
        switch (change) {
            case DONE -> { }
            case NO_SUCH_USER -> throw noSuchUser(name);
            case LAST_ADMIN -> throw ApiException.conflict(name + " is the last administrator and cannot be " + what
                    + "; make another user an administrator first");
        }
    }

    static CreatedToken createToken(Console console, Principal who, String label, String user) {
        String cleanLabel = label.strip();
        if (cleanLabel.isEmpty() || cleanLabel.length() > MAX_LABEL || cleanLabel.chars().anyMatch(c -> c < 0x20)) {
            throw ApiException.badRequest("a token needs a label of 1 to " + MAX_LABEL + " printable characters "
                    + "(what it is for: \"backup script\")");
        }
        if (!user.equals(who.user()) && who.role() != Role.ADMIN) {
            throw new ApiException(HttpStatus.FORBIDDEN, "only an administrator may create a token for another user");
        }
        if (console.users().user(user).isEmpty()) {
            throw noSuchUser(user);
        }
        String token = Secrets.random("gh_");
        Instant now = console.clock().instant();
        ConsoleUsers.Token stored = new ConsoleUsers.Token(Secrets.shortId(), user, cleanLabel, now, now);
        console.users().createToken(stored, Secrets.sha256(token), who.user());
        return new CreatedToken(stored.id(), user, cleanLabel, now, token);
    }

    static void revokeToken(Console console, Principal who, String id) {
        Optional<ConsoleUsers.Token> token = console.users().tokens().stream().filter(t -> t.id().equals(id))
                .findFirst();
        if (token.isEmpty()) {
            throw ApiException.notFound("no API token " + id);
        }
        if (!token.get().userName().equals(who.user()) && who.role() != Role.ADMIN) {
            throw new ApiException(HttpStatus.FORBIDDEN, "only an administrator may revoke another user's token");
        }
        if (!console.users().revokeToken(id, console.clock().instant(), who.user())) {
            throw ApiException.notFound("no API token " + id);
        }
    }

    private static void changeOwnPassword(Context ctx, Console console, Principal who) {
        String current = RequestValues.form(ctx, "current_password");
        String next = RequestValues.form(ctx, "new_password");
        View view = view(who);
        Optional<ConsoleUsers.User> user = console.users().user(who.user());
        String refusal = null;
        if (user.isEmpty() || !Passwords.verify(current, user.get().passwordHash())) {
            refusal = "The current password is wrong.";
        } else if (!next.equals(RequestValues.form(ctx, "new_password_again"))) {
            refusal = "The new password and its repetition differ.";
        } else if (Passwords.weakness(next) != null) {
            refusal = "Not changed: " + Passwords.weakness(next) + ".";
        }
        if (refusal != null) {
            ctx.status(HttpStatus.BAD_REQUEST);
            show(ctx, console, view.withError(refusal), null);
            return;
        }
        console.users().setPassword(who.user(), Passwords.hash(next), console.clock().instant(), who.user());
        // the change ended every session of the user, this one too: sign in again with the new password
        if (console.authenticator().login(ctx, who.user(), next) instanceof Authenticator.Login.Success success) {
            show(ctx, console, view(success.principal()).withNotice("Password changed; your other sessions have ended."),
                    null);
        } else {
            ctx.redirect("/login?next=/users", HttpStatus.SEE_OTHER);
        }
    }

    private static Role role(String word) {
        return Role.parse(word == null ? "" : word.strip())
                .orElseThrow(() -> ApiException.badRequest("role must be admin or viewer, got \"" + word + "\""));
    }

    private static void requireStrong(String password) {
        String weakness = Passwords.weakness(password);
        if (weakness != null) {
            throw ApiException.badRequest(weakness);
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
        } catch (ApiException e) {
            ctx.status(e.status());
            show(ctx, console, view.withError(e.getMessage()), null);
        }
    }

    private static void show(Context ctx, Console console, View view, CreatedToken created) {
        Console.page(ctx, "users.jte", Map.of("view", view, "model", new Model(users(console),
                tokens(console, view.who()), created, List.of(Role.VIEWER.word(), Role.ADMIN.word()))));
    }
}
