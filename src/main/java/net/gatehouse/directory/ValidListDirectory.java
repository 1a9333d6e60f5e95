package net.gatehouse.directory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.gatehouse.store.StoreException;
import net.gatehouse.store.StorePoller;
import net.gatehouse.store.ValidRecipientEntry;
import net.gatehouse.store.ValidRecipientStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The valid lists the RCPT path matches against: per protected domain, the entries of the store's
 * list together with those of the domain's {@code valid_recipients} in the configuration file, held
 * in memory as {@link ValidRecipients}.
 *
 * <p>{@link #list} never blocks and never touches the store: it reads an immutable map that is
 * replaced whole. A poller thread reads the store's revision of all lists every poll interval (a
 * single tiny row); when it has changed, it reloads only the lists whose own revision changed,
 * builds each off the RCPT path and swaps the map. A change made on any node, or by the CLI on this
 * one, is in force within about one poll interval plus the time to load the list.
 *
 * <p>When the store fails, the lists last loaded stay in force (SPEC §6: losing PostgreSQL keeps
 * the last policy) and the poller tries again at the next interval. The first load, in
 * {@link #start}, has no last lists to fall back on and fails instead.
 */
public final class ValidListDirectory implements AutoCloseable {

    /** How often the store's revision is read. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(ValidListDirectory.class);

    private final ValidRecipientStore store;
    private Map<String, List<String>> configEntries; // under this object's lock; replaced by a reload
    private StorePoller poller; // set once, in start
    private volatile Map<String, ValidRecipients> lists = Map.of();

    // what was loaded: read and written under this object's lock, by the poller or by refreshNow
    private long revision;
    private Map<String, Long> listRevisions = Map.of();

    private ValidListDirectory(ValidRecipientStore store, Map<String, List<String>> configEntries) {
        this.store = store;
        this.configEntries = configEntries;
        // a platform thread: a load from SQLite is native code, which would hold a virtual thread's
        // carrier, one of the few that the SMTP sessions run on
    }

    /**
     * Loads every list, then starts polling the store for changes.
     *
     * @param configEntries the {@code valid_recipients} of the configuration file, by domain; these
     *                      entries are always in force, whatever the store says; entries that are
     *                      not valid are logged and left out
     * @throws StoreException if the lists cannot be loaded
     */
    public static ValidListDirectory start(ValidRecipientStore store, Map<String, List<String>> configEntries,
                                           Duration pollInterval) {
        ValidListDirectory directory = new ValidListDirectory(store, normalize(configEntries));
        directory.loadAll();
        directory.poller = StorePoller.start("valid_list", "the lists last loaded", pollInterval, directory::refresh);
        return directory;
    }

    /**
     * The valid list of a domain; {@link ValidRecipients#EMPTY} if it has none. Never blocks.
     *
     * @param asciiDomain the domain as {@code MailboxAddress.asciiDomain()} gives it
     */
    public ValidRecipients list(String asciiDomain) {
        return lists.getOrDefault(asciiDomain, ValidRecipients.EMPTY);
    }

    /**
     * Reloads the lists that changed now, rather than at the next poll: the console calls it after
     * its own change, so that the very next RCPT on this node sees it. Other nodes still notice the
     * change at their next poll.
     *
     * @throws StoreException if the store fails; the lists last loaded stay in force
     */
    public void refreshNow() {
        refresh();
    }

    /**
     * Puts the re-read configuration file's {@code valid_recipients} in force (a reload): the lists
     * of the domains whose entries changed are rebuilt off the RCPT path and swapped in.
     *
     * @throws StoreException if the store fails; the lists last loaded stay in force
     */
    public synchronized void replaceConfigEntries(Map<String, List<String>> reread) {
        Map<String, List<String>> next = normalize(reread);
        Set<String> changed = new HashSet<>();
        for (String domain : union(configEntries.keySet(), next.keySet())) {
            if (!configEntries.getOrDefault(domain, List.of()).equals(next.getOrDefault(domain, List.of()))) {
                changed.add(domain);
            }
        }
        configEntries = next;
        Map<String, ValidRecipients> rebuilt = new HashMap<>(lists);
        for (String domain : changed) {
            if (next.containsKey(domain) || listRevisions.containsKey(domain)) {
                rebuilt.put(domain, load(domain));
            } else {
                rebuilt.remove(domain);
            }
        }
        lists = Map.copyOf(rebuilt);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Checks the store's revisions now, on the poller's thread, rather than at the next poll: a
     * change notification from another node calls it. Never blocks.
     */
    public void wake() {
        poller.wake();
    }

    /** Stops polling; the lists loaded stay readable. */
    @Override
    public void close() {
        poller.close();
    }

    private synchronized void loadAll() {
        // revisions before entries: a change that lands in between is loaded now and seen as a
        // change again at the next poll, which costs a reload but never misses one
        revision = store.revision();
        listRevisions = store.revisions();
        Map<String, ValidRecipients> loaded = new HashMap<>();
        for (String domain : union(listRevisions.keySet(), configEntries.keySet())) {
            loaded.put(domain, load(domain));
        }
        lists = Map.copyOf(loaded);
    }

    private synchronized void refresh() {
        long current = store.revision();
        if (current == revision) {
            return;
        }
        Map<String, Long> revisions = store.revisions();
        Map<String, ValidRecipients> next = new HashMap<>(lists);
        for (Map.Entry<String, Long> list : revisions.entrySet()) {
            if (!list.getValue().equals(listRevisions.get(list.getKey()))) {
                next.put(list.getKey(), load(list.getKey()));
            }
        }
        lists = Map.copyOf(next);
        listRevisions = revisions;
        revision = current;
    }

    private ValidRecipients load(String domain) {
        long started = System.nanoTime();
        ValidRecipients.Builder builder = ValidRecipients.builder();
        configEntries.getOrDefault(domain, List.of()).forEach(builder::add);
        store.forEachEntry(domain, builder::add);
        ValidRecipients list = builder.build();
        log.info("valid_list_loaded domain={} entries={} millis={}", domain, list.size(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return list;
    }

    /** The file's entries in stored form; the loader checked them, but by its own, looser grammar. */
    private static Map<String, List<String>> normalize(Map<String, List<String>> configEntries) {
        Map<String, List<String>> normalized = new LinkedHashMap<>();
        configEntries.forEach((name, entries) -> {
            String domain = ValidRecipientEntry.domain(name);
            List<String> valid = new ArrayList<>(entries.size());
            for (String entry : entries) {
                try {
                    valid.add(ValidRecipientEntry.normalize(domain, entry));
                } catch (IllegalArgumentException e) {
                    log.warn("valid_list_entry_ignored domain={} source=config reason=\"{}\"", domain, e.getMessage());
                }
            }
            if (!valid.isEmpty()) {
                normalized.put(domain, List.copyOf(valid));
            }
        });
        return Map.copyOf(normalized);
    }
}
