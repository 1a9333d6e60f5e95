package net.gatehouse.users;

import java.util.Locale;
import java.util.Optional;

/** What a console user or API token may do. */
public enum Role {
    /** Reads everything: dashboards, policy, lists, the log, the queue. */
    VIEWER,
    /** Reads and changes everything, users included. */
    ADMIN;

    /** The word in the store, the API and the CLI. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> parse(String word) {
        for (Role role : values()) {
            if (role.word().equals(word)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }

    public boolean mayChange() {
        return this == ADMIN;
    }
}
