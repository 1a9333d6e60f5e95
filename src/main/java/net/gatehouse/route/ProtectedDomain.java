package net.gatehouse.route;

import java.util.List;
import net.gatehouse.config.ListenAddress;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.Rollout;
import net.gatehouse.directory.ValidRecipients;

/**
 * A domain whose mail Gatehouse accepts and hands to the domain's own back-end servers.
 *
 * @param name         ASCII (punycode), lower case
 * @param backends     tried in order
 * @param verification this domain's mode; {@link Verification#INHERIT} follows the global setting
 * @param validRecipients the list from the config file; the running gateway merges the store's into it
 * @param directories  the directories of {@code verification: directory}, by name; empty: all of them
 * @param rollout      enforce, unknown_recipient_reply and when_backend_down, each possibly inherited (SPEC §9)
 */
public record ProtectedDomain(String name, List<ListenAddress> backends, Verification verification,
                              ValidRecipients validRecipients, List<String> directories, Rollout rollout) {

    public ProtectedDomain {
        backends = List.copyOf(backends);
        directories = List.copyOf(directories);
    }

    /** A domain that inherits the global rollout settings. */
    public ProtectedDomain(String name, List<ListenAddress> backends, Verification verification,
                           ValidRecipients validRecipients, List<String> directories) {
        this(name, backends, verification, validRecipients, directories, Rollout.INHERIT);
    }

    /** A domain that names no directory. */
    public ProtectedDomain(String name, List<ListenAddress> backends, Verification verification,
                           ValidRecipients validRecipients) {
        this(name, backends, verification, validRecipients, List.of());
    }
}
