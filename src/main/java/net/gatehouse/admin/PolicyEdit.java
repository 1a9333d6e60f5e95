package net.gatehouse.admin;

import net.gatehouse.config.ConfigException;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.LivePolicy.RefusedChangeException;
import net.gatehouse.store.Actor;
import net.gatehouse.store.PolicyStore;

/**
 * One edit of the store's policy document ({@link LivePolicy#edit}: validated as the file is,
 * checked against the file's pins, written with its audit entry in one transaction, in force on
 * this node before it returns), its failures turned into {@link Refusal}s.
 */
final class PolicyEdit {

    private PolicyEdit() {
    }

    static void apply(LivePolicy policy, Actor actor, String action, String target, LivePolicy.Edit edit) {
        try {
            policy.edit(actor, action, target, edit);
        } catch (ConfigException e) {
            throw Refusal.invalid(e.getMessage());
        } catch (RefusedChangeException e) {
            throw Refusal.conflict(e.getMessage());
        } catch (PolicyStore.ConcurrentChangeException e) {
            throw new Refusal(Refusal.Kind.CONCURRENT, e.getMessage());
        }
    }
}
