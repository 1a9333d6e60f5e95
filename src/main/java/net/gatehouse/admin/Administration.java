package net.gatehouse.admin;

/**
 * Every kind of administrative change of a running gateway, for the console and the API to call
 * (the command line makes the few it needs on the store it opens).
 */
public record Administration(ValidLists validLists, ProtectedDomains domains, TrustedNetworkList networks,
                             PolicySettings settings, Users users, Tokens tokens, QueueActions queue,
                             DirectorySyncs directories, DirectorySettings directorySettings,
                             VerdictCacheTools cache) {
}
