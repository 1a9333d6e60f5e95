package net.gatehouse.admin;

import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.config.ConfigException;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.LivePolicy.RefusedChangeException;
import net.gatehouse.store.Actor;
import net.gatehouse.store.PolicyStore;

/**
 * One edit of the store's policy document ({@link LivePolicy#edit}: validated as the file is,
 * checked against the file's pins, written with its audit entry in one transaction, in force on
 * this node before it returns, announced to the other nodes), its failures turned into
 * {@link Refusal}s.
 */
final class PolicyEdit {

    /** What a notice of a policy change names. */
    static final String POLICY = "policy";

    private PolicyEdit() {
    }

    static void apply(LivePolicy policy, ChangeNotifier changes, Actor actor, String action, String target,
                      LivePolicy.Edit edit) {
        try {
            policy.edit(actor, action, target, edit);
            changes.changed(POLICY);
        } catch (ConfigException e) {
            throw Refusal.invalid(e.getMessage());
        } catch (RefusedChangeException e) {
            throw Refusal.conflict(e.getMessage());
        } catch (PolicyStore.ConcurrentChangeException e) {
            throw new Refusal(Refusal.Kind.CONCURRENT, e.getMessage());
        }
    }
}
