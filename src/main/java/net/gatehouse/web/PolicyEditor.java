package net.gatehouse.web;

import io.javalin.http.HttpStatus;
import net.gatehouse.config.ConfigException;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.LivePolicy.RefusedChangeException;
import net.gatehouse.store.PolicyStore;

/**
 * Applies the console's and the API's edits to the live policy ({@link LivePolicy#edit}: validated,
 * written with its audit entry, in force before it returns), turning each kind of refusal into the
 * answer it deserves: an invalid value is a bad request (400), a change that the configuration
 * file's pins or the policy's state do not allow, or that crossed another change, a conflict (409).
 */
final class PolicyEditor {

    private PolicyEditor() {
    }

    static void edit(Console console, String actor, String action, String target, LivePolicy.Edit edit) {
        try {
            console.gateway().policy().edit(actor, action, target, edit);
        } catch (ConfigException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (RefusedChangeException | PolicyStore.ConcurrentChangeException e) {
            throw new ApiException(HttpStatus.CONFLICT, e.getMessage());
        }
    }
}
