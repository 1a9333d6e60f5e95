package net.gatehouse.admin;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.store.Actor;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.users.Role;
import net.gatehouse.users.Secrets;

/**
 * API tokens: created for a user (shown once: {@code gh_} and 256 random bits; the store keeps only
 * its hash) and revoked. Anyone may create and revoke their own; only an administrator those of
 * another user. Each change and its audit entry ({@code token.create}, {@code token.revoke}) are
 * one transaction of {@link ConsoleUsers}.
 */
public final class Tokens {

    /** Longest label, so that listings stay readable. */
    public static final int MAX_LABEL = 100;

    /** A token just created: the only time its value is known. */
    public record Created(String id, String user, String label, Instant createdAt, String token) {
    }

    /** What a notice of a change of the tokens names. */
    static final String TOKENS = "tokens";

    private final ConsoleUsers store;
    private final Clock clock;
    private final ChangeNotifier changes;

    /** @param changes told of each change made, for the other nodes */
    public Tokens(ConsoleUsers store, Clock clock, ChangeNotifier changes) {
        this.store = store;
        this.clock = clock;
        this.changes = changes;
    }

    /**
     * Creates a token for {@code user}.
     *
     * @param role what the actor may do (the command line acts as an administrator)
     * @param label what the token is for ("backup script"): 1 to {@value #MAX_LABEL} printable characters
     * @throws Refusal INVALID for a bad label; FORBIDDEN for a viewer asking for another user; NOT_FOUND
     */
    public Created create(Actor actor, Role role, String user, String label) {
        String cleanLabel = label == null ? "" : label.strip();
        if (cleanLabel.isEmpty() || cleanLabel.length() > MAX_LABEL || cleanLabel.chars().anyMatch(c -> c < 0x20)) {
            throw Refusal.invalid("a token needs a label of 1 to " + MAX_LABEL + " printable characters "
                    + "(what it is for: \"backup script\")");
        }
        if (!user.equals(actor.name()) && role != Role.ADMIN) {
            throw Refusal.forbidden("only an administrator may create a token for another user");
        }
        if (store.user(user).isEmpty()) {
            throw Users.noSuchUser(user);
        }
        String token = Secrets.random("gh_");
        Instant now = clock.instant();
        ConsoleUsers.Token stored = new ConsoleUsers.Token(Secrets.shortId(), user, cleanLabel, now, now);
        store.createToken(stored, Secrets.sha256(token), actor);
        changes.changed(TOKENS);
        return new Created(stored.id(), user, cleanLabel, now, token);
    }

    /**
     * Revokes a token: it stops working at once.
     *
     * @throws Refusal NOT_FOUND; FORBIDDEN for a viewer revoking another user's token
     */
    public void revoke(Actor actor, Role role, String id) {
        Optional<ConsoleUsers.Token> token = store.tokens().stream().filter(t -> t.id().equals(id)).findFirst();
        if (token.isEmpty()) {
            throw Refusal.notFound("no API token " + id);
        }
        if (!token.get().userName().equals(actor.name()) && role != Role.ADMIN) {
            throw Refusal.forbidden("only an administrator may revoke another user's token");
        }
        if (!store.revokeToken(id, clock.instant(), actor)) {
            throw Refusal.notFound("no API token " + id);
        }
        changes.changed(TOKENS);
    }
}
