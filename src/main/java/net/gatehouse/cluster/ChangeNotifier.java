package net.gatehouse.cluster;

/**
 * Told of every administrative change once it is committed to the store (the admin layer calls
 * it), so that the other nodes of a cluster look at the store now rather than at their next poll
 * (SPEC §6: a change in force everywhere within 2 seconds). A notice carries no data: the store
 * stays the source of truth, and polling stays the fallback for a notice that is lost.
 *
 * <p>Implementations never throw and never block for long: the change is made already, and a lost
 * notice only delays it on the other nodes until their next poll.
 */
@FunctionalInterface
public interface ChangeNotifier {

    /** For a single node, and for tests: nobody to tell. */
    ChangeNotifier NONE = what -> { };

    /**
     * @param what the kind of data that changed, one word: {@code policy}, {@code valid_list},
     *             {@code users}, {@code tokens}
     */
    void changed(String what);
}
