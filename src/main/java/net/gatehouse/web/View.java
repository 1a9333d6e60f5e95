package net.gatehouse.web;

/**
 * What the layout of every console page needs: the page's title and section (for the navigation),
 * who is signed in, and a one-line message about the last change (or its failure).
 *
 * @param section the navigation entry to highlight: dashboard, domains, recipients, directories,
 *                networks,
 *                settings, tester, log, queue, nodes, users, audit
 * @param notice  a message shown above the content; empty for none
 * @param error   whether the notice reports a failure
 */
public record View(String title, String section, Principal who, String notice, boolean error) {

    public static View of(String title, String section, Principal who) {
        return new View(title, section, who, "", false);
    }

    public View withNotice(String message) {
        return new View(title, section, who, message, false);
    }

    public View withError(String message) {
        return new View(title, section, who, message, true);
    }

    public boolean mayChange() {
        return who != null && who.role().mayChange();
    }

    public String csrf() {
        return who == null ? "" : who.csrf();
    }

    /** The htmx header that carries the CSRF token on every request the page makes. */
    public String hxHeaders() {
        return "{\"X-CSRF-Token\": \"" + csrf() + "\"}";
    }
}
