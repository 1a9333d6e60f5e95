package net.gatehouse.store;

import net.gatehouse.log.LogEntry;

/**
 * An entry of the message log with the node that wrote it ({@code node:} in its configuration;
 * empty for entries written before nodes were recorded).
 */
public record LoggedEntry(LogEntry entry, String node) {
}
