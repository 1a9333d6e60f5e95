package net.gatehouse.store;

import java.util.Locale;

/**
 * Who made a change, and through which door: what the audit log records with every change to the
 * policy, the valid lists, the console's users and tokens, and the queue (the team's rule: every
 * change is audited, whichever door it came through).
 *
 * @param name the console user (for the console and the API), the operating-system user who ran
 *             the command (for the command line), or {@code system} (the gateway itself)
 */
public record Actor(String name, Door door) {

    /** The ways in. */
    public enum Door {
        /** A form of the web console. */
        CONSOLE,
        /** The REST API, {@code /api/v1}. */
        API,
        /** A {@code gatehouse} command. */
        CLI,
        /** The gateway itself, on its own initiative (its first administrator). */
        GATEWAY;

        /** The word in the audit log. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The gateway's own changes. */
    public static final Actor GATEWAY = new Actor("system", Door.GATEWAY);

    public Actor {
        if (name.isBlank()) {
            throw new IllegalArgumentException("an actor has a name");
        }
    }

    /**
     * The operating-system user running this command, as the command line's actor; under sudo,
     * with the user who ran sudo ({@code root (sudo: alice)}), so that the entry names a person.
     */
    public static Actor commandLine() {
        String user = System.getProperty("user.name", "");
        String sudo = System.getenv("SUDO_USER");
        String name = user.isBlank() ? "cli" : user;
        if (sudo != null && !sudo.isBlank() && !sudo.equals(name)) {
            name = name + " (sudo: " + sudo + ")";
        }
        return new Actor(name, Door.CLI);
    }

    @Override
    public String toString() {
        return name + " (" + door.word() + ")";
    }
}
