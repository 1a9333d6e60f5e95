/**
 * Every administrative change, whichever door it comes through: the web console, the REST API and
 * the command line all call these classes, one per thing administered ({@link ValidLists},
 * {@link ProtectedDomains}, {@link TrustedNetworkList}, {@link PolicySettings}, {@link Users},
 * {@link Tokens}, and the queue: {@link QueueActions} on a running gateway, {@link SpoolActions}
 * on a spool directory). Each method takes the {@link net.gatehouse.store.Actor} (who, and
 * through which door), validates the change, makes it and writes its audit entry: in the same
 * store transaction as the change for everything the store holds, right after the change for the
 * queue, which is not in the store.
 *
 * <p>A change that cannot be made is a {@link Refusal}, which says why in words for the
 * administrator and of which kind, so that each door answers in its own terms (an HTTP status, an
 * exit code). Reading (listings, searches, the policy in force) is not here: the doors read the
 * store and the live policy directly.
 */
package net.gatehouse.admin;
