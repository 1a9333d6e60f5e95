package net.gatehouse.web;

import net.gatehouse.users.Role;

/**
 * Who is making a request, once authenticated.
 *
 * @param user the user name, recorded in the audit log as the author of changes
 * @param csrf the session's CSRF token; empty for an API token (requests carrying a bearer token
 *             are not sent by browsers on their own, so they need none)
 */
public record Principal(String user, Role role, String csrf, boolean viaToken) {
}
