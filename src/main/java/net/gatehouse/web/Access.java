package net.gatehouse.web;

import net.gatehouse.users.Role;

/** Who may use a route. Every route of the console and the API declares one. */
public enum Access {
    /** Anyone: the login page, static files, health and metrics (docs/CONSOLE.md says why). */
    PUBLIC,
    /** Any signed-in user or API token. */
    VIEWER,
    /** Users and tokens with the admin role. */
    ADMIN;

    boolean allows(Role role) {
        return this != ADMIN || role == Role.ADMIN;
    }
}
