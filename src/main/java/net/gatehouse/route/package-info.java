/**
 * Where a domain's mail goes: the protected domains and their back-end servers, as read by
 * recipient verification, the callout and delivery alike. Below all three, so that none of them
 * depends on another for it.
 */
package net.gatehouse.route;
