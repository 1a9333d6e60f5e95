package net.gatehouse.admin;

import java.time.Clock;
import java.util.Iterator;
import java.util.List;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.store.Actor;
import net.gatehouse.store.ValidRecipientEntry;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.store.ValidRecipientStore.ImportResult;

/**
 * Changes to the valid lists in the store (SPEC §3 "Valid list"): adding and removing entries,
 * importing a list file. Each change and its audit entry are one transaction of the store
 * ({@link ValidRecipientStore}); then {@code inForce} runs, which on a gateway reloads its lists at
 * once, so that the very next RCPT follows the change, and the other nodes are told (or notice it
 * at their next poll).
 */
public final class ValidLists {

    /** What a notice of a change of the lists names. */
    static final String LISTS = "valid_list";

    private final ValidRecipientStore store;
    private final Runnable inForce;
    private final ChangeNotifier changes;
    private final Clock clock;

    /**
     * @param inForce run after each change: a gateway reloads its lists; the command line has none to reload
     * @param changes told of each change made, for the other nodes
     */
    public ValidLists(ValidRecipientStore store, Runnable inForce, Clock clock, ChangeNotifier changes) {
        this.store = store;
        this.inForce = inForce;
        this.changes = changes;
        this.clock = clock;
    }

    /**
     * A domain's name as the lists keep it (ASCII, lower case).
     *
     * @throws Refusal INVALID if it is empty or not a domain name
     */
    public static String domain(String text) {
        if (text == null || text.isBlank()) {
            throw Refusal.invalid("domain is required");
        }
        try {
            return ValidRecipientEntry.domain(text);
        } catch (IllegalArgumentException e) {
            throw Refusal.invalid("domain: " + e.getMessage());
        }
    }

    /**
     * Adds entries (addresses, or {@code @domain} for every address) to a domain's list.
     *
     * @return how many were new; adding none new changes and records nothing
     * @throws Refusal INVALID naming the invalid entries (then nothing is added), or if there are none
     */
    public int add(Actor actor, String domainText, List<String> entries) {
        String domain = domain(domainText);
        if (entries.isEmpty()) {
            throw Refusal.invalid("give at least one address (alice@" + domain + ", or @" + domain
                    + " for every address)");
        }
        int added;
        try {
            added = store.add(domain, entries, actor, clock.instant());
        } catch (IllegalArgumentException e) {
            throw Refusal.invalid(e.getMessage());
        }
        if (added > 0) {
            changed();
        }
        return added;
    }

    /**
     * Removes entries from a domain's list in the store (entries of the configuration file stay:
     * they are changed there).
     *
     * @return how many were removed; entries not in the list are ignored, and removing none
     *         changes and records nothing
     * @throws Refusal INVALID naming the invalid entries (then nothing is removed)
     */
    public int remove(Actor actor, String domainText, List<String> entries) {
        String domain = domain(domainText);
        int removed;
        try {
            removed = store.remove(domain, entries, actor, clock.instant());
        } catch (IllegalArgumentException e) {
            throw Refusal.invalid(e.getMessage());
        }
        if (removed > 0) {
            changed();
        }
        return removed;
    }

    /**
     * Imports a list file's lines (one address per line, or CSV) into a domain's list, all or
     * nothing, recorded with the counts before and after.
     *
     * @param replace make the list exactly the file's entries
     * @param source  the file's name for the audit entry, empty if none
     * @throws Refusal INVALID naming the invalid lines (then nothing is imported)
     * @throws java.io.UncheckedIOException if reading the lines failed (nothing is imported): the
     *         door that reads the file says what went wrong with it
     */
    public ImportResult importLines(Actor actor, String domainText, Iterator<String> lines, boolean replace,
                                    String source) {
        String domain = domain(domainText);
        ImportResult result;
        try {
            result = store.importLines(domain, lines, replace, source == null ? "" : source, actor, clock.instant());
        } catch (IllegalArgumentException e) {
            throw Refusal.invalid(e.getMessage());
        }
        changed();
        return result;
    }

    /** The change is committed: the other nodes are told first, whatever this node's reload does. */
    private void changed() {
        changes.changed(LISTS);
        inForce.run();
    }
}
