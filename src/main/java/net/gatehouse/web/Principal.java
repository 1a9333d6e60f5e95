package net.gatehouse.web;

import net.gatehouse.store.Actor;
import net.gatehouse.users.Role;

/**
 * Who is making a request, once authenticated, and through which door.
 *
 * @param user the user name, recorded in the audit log as the author of changes
 * @param csrf the session's CSRF token; empty for an API token (requests carrying a bearer token
 *             are not sent by browsers on their own, so they need none)
 * @param door {@link Actor.Door#API} on the routes of {@code /api/v1}, whether called with a token
 *             or a session; {@link Actor.Door#CONSOLE} on the console's pages
 */
public record Principal(String user, Role role, String csrf, boolean viaToken, Actor.Door door) {

    /** The same principal on a route of that door. */
    Principal through(Actor.Door door) {
        return new Principal(user, role, csrf, viaToken, door);
    }

    /** Who the audit log records for the changes of this request. */
    public Actor actor() {
        return new Actor(user, door);
    }
}
