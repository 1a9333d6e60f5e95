package net.gatehouse.admin;

import java.time.Clock;
import java.util.Optional;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.store.Actor;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.users.Passwords;
import net.gatehouse.users.Role;

/**
 * Changes to the console's users: add, set a role, set a password, remove; and a user's change of
 * their own password. The last administrator can be neither removed nor made a viewer, so that
 * nobody can lock the console out. Each change and its audit entry ({@code user.add},
 * {@code user.role}, {@code user.password}, {@code user.remove}) are one transaction of
 * {@link ConsoleUsers}; a password is hashed ({@link Passwords}) before it gets there.
 */
public final class Users {

    /** What a notice of a change of the users names. */
    static final String USERS = "users";

    private final ConsoleUsers store;
    private final Clock clock;
    private final ChangeNotifier notifier;
    /**
     * Users and roles change one at a time in this process. The last-administrator check also
     * holds across processes and nodes: it runs inside the store's write transaction.
     */
    private final Object changes = new Object();

    /** @param notifier told of each change made, for the other nodes */
    public Users(ConsoleUsers store, Clock clock, ChangeNotifier notifier) {
        this.store = store;
        this.clock = clock;
        this.notifier = notifier;
    }

    /**
     * Adds a user.
     *
     * @throws Refusal INVALID for a bad name, role or a weak password; CONFLICT if the name is taken
     */
    public void add(Actor actor, String name, String roleWord, String password) {
        String checked = name(name);
        Role role = role(roleWord);
        requireStrong(password);
        String hash = Passwords.hash(password);
        synchronized (changes) {
            if (!store.add(checked, role.word(), hash, clock.instant(), actor)) {
                throw Refusal.conflict("there is already a user " + checked);
            }
        }
        notifier.changed(USERS);
    }

    /**
     * Gives a user another role; giving the role they have changes and records nothing.
     *
     * @throws Refusal INVALID for a bad role; NOT_FOUND; CONFLICT for the last administrator
     */
    public void setRole(Actor actor, String name, String roleWord) {
        change(actor, name, roleWord, null);
    }

    /**
     * Sets a user's password; their sessions end.
     *
     * @throws Refusal INVALID for a weak password; NOT_FOUND
     */
    public void setPassword(Actor actor, String name, String password) {
        change(actor, name, null, password);
    }

    /**
     * Changes a user's role and/or password (null: unchanged), both checked before either is made;
     * each is a change of its own, with its audit entry.
     *
     * @throws Refusal INVALID for a bad role or a weak password, or neither given; NOT_FOUND;
     *                 CONFLICT for the last administrator
     */
    public void change(Actor actor, String name, String roleWord, String password) {
        if (roleWord == null && password == null) {
            throw Refusal.invalid("give a role, a password or both");
        }
        Role role = roleWord == null ? null : role(roleWord);
        if (password != null) {
            requireStrong(password);
        }
        String hash = password == null ? null : Passwords.hash(password);
        synchronized (changes) {
            ConsoleUsers.User user = store.user(name).orElseThrow(() -> noSuchUser(name));
            if (role != null && !role.word().equals(user.role())) {
                refuseLastAdmin(store.setRole(name, role.word(), clock.instant(), actor), name, "made a viewer");
            }
            if (hash != null && !store.setPassword(name, hash, clock.instant(), actor)) {
                throw noSuchUser(name);
            }
        }
        notifier.changed(USERS);
    }

    /**
     * A user changes their own password ({@code actor.name()}), proving they know the current one.
     *
     * @throws Refusal INVALID if the current password is wrong or the new one weak
     */
    public void changeOwnPassword(Actor actor, String current, String next) {
        Optional<ConsoleUsers.User> user = store.user(actor.name());
        if (user.isEmpty() || !Passwords.verify(current, user.get().passwordHash())) {
            throw Refusal.invalid("The current password is wrong.");
        }
        String weakness = Passwords.weakness(next);
        if (weakness != null) {
            throw Refusal.invalid("Not changed: " + weakness + ".");
        }
        setPassword(actor, actor.name(), next);
    }

    /**
     * Removes a user with their sessions and tokens.
     *
     * @throws Refusal NOT_FOUND; CONFLICT for the last administrator
     */
    public void remove(Actor actor, String name) {
        synchronized (changes) {
            refuseLastAdmin(store.remove(name, clock.instant(), actor), name, "removed");
        }
        notifier.changed(USERS);
    }

    /** @throws Refusal INVALID unless it is a valid user name ({@link ConsoleUsers#validName}) */
    public static String name(String name) {
        String stripped = name == null ? "" : name.strip();
        if (!ConsoleUsers.validName(stripped)) {
            throw Refusal.invalid("a user name has 1 to 64 letters, digits and . _ @ + -, starting with "
                    + "a letter or digit");
        }
        return stripped;
    }

    /** @throws Refusal INVALID unless it is admin or viewer */
    public static Role role(String word) {
        return Role.parse(word == null ? "" : word.strip())
                .orElseThrow(() -> Refusal.invalid("role must be admin or viewer, got \"" + word + "\""));
    }

    private static void requireStrong(String password) {
        String weakness = Passwords.weakness(password == null ? "" : password);
        if (weakness != null) {
            throw Refusal.invalid(weakness);
        }
    }

    private static void refuseLastAdmin(ConsoleUsers.Change change, String name, String what) {
        switch (change) {
            case DONE -> { }
            case NO_SUCH_USER -> throw noSuchUser(name);
            case LAST_ADMIN -> throw Refusal.conflict(name + " is the last administrator and cannot be " + what
                    + "; make another user an administrator first");
        }
    }

    static Refusal noSuchUser(String name) {
        return Refusal.notFound("no user " + name);
    }
}
