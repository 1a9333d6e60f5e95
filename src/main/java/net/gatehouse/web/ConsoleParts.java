package net.gatehouse.web;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import net.gatehouse.admin.Administration;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.directory.DirectoryProbe;
import net.gatehouse.directory.DirectoryStatus;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.policy.AddressTester;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.queue.DeliveryScheduler;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.MessageLog;
import net.gatehouse.store.NodeTable;
import net.gatehouse.store.ValidRecipientStore;

/**
 * What the console and the API are given of the running gateway, and nothing more: what they read,
 * and the {@link Administration} through which they make every change.
 *
 * @param policy          the policy in force and what the configuration file pins (read)
 * @param validRecipients the valid lists in the store: counts and searches (read)
 * @param delivery        this node's queue (read; actions go through {@link Administration#queue})
 * @param callout         which back-ends turned out to accept any address
 * @param catchAllRecheck how often those are checked again
 * @param users           the console's users, sessions and tokens: sign-in and listings (read)
 * @param audit           the audit log (read)
 * @param nodes           every node's last heartbeat (read)
 * @param self            this node as its heartbeat reports it now (its live figures)
 * @param directories     the LDAP directories: their state, and their test (read; a sync goes through
 *                        {@link Administration#directories})
 */
public record ConsoleParts(LivePolicy policy, ValidRecipientStore validRecipients, MessageLog messageLog,
                           DeliveryScheduler delivery, CalloutVerifier callout, Duration catchAllRecheck,
                           AddressTester tester, GatewayMetrics metrics, ConsoleUsers users, AuditLog audit,
                           Administration admin, Clock clock, NodeTable nodes, Supplier<NodeTable.Node> self,
                           DirectoryReader directories) {

    /**
     * What the console reads of the directories (SPEC §8): not the directories themselves, whose
     * unaudited {@code syncNow} is the gateway's own.
     *
     * @param status each directory's state, in the order of the file
     * @param probe  the test of the named directory (which must be one of {@code status}'s)
     */
    public record DirectoryReader(Supplier<List<DirectoryStatus>> status, Function<String, DirectoryProbe> probe) {
    }

    /** This node's name in the cluster. */
    public String node() {
        return self.get().name();
    }
}
