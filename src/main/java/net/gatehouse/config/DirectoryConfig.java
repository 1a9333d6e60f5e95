package net.gatehouse.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A directory that recipients are verified against (SPEC §8): an LDAP server or Active Directory,
 * read into a full snapshot every {@code sync_every}. One of {@code policy.directories}.
 *
 * @param name              what domains name it by ({@code directory: corp}), in metrics and logs
 * @param servers           tried in order
 * @param startTls          StartTLS on the {@code ldap://} servers
 * @param caFile            PEM certificates of the CA(s) that sign the servers' certificates; empty:
 *                          the JDK's trusted CAs. Host names are always verified
 * @param bindDn            empty: an anonymous bind
 * @param bindPasswordFile  the file the bind password is read from at each connection; empty: the
 *                          environment variable {@link #passwordVariable()}
 * @param baseDn            where the search starts (whole subtree)
 * @param kind              sets the defaults of {@code attributes} and {@code filter}
 * @param attributes        the attributes whose values are addresses
 * @param filter            which entries are recipients
 * @param excludeDisabled   Active Directory only: leave out accounts whose userAccountControl has
 *                          ACCOUNTDISABLE; off by default, since shared mailboxes are disabled accounts
 * @param syncEvery         how often the full snapshot is read
 * @param maxShrink         a new snapshot with fewer addresses than {@code (1 - maxShrink)} times the
 *                          one in force is refused, and the one in force kept (0 < maxShrink <= 1)
 * @param pageSize          entries per page of the paged search (RFC 2696)
 * @param connectTimeout    for each server's TCP and TLS connection and the bind
 * @param searchTimeout     for each page of the search
 */
public record DirectoryConfig(
        String name,
        List<Server> servers,
        boolean startTls,
        Optional<Path> caFile,
        String bindDn,
        Optional<Path> bindPasswordFile,
        String baseDn,
        Kind kind,
        List<String> attributes,
        String filter,
        boolean excludeDisabled,
        Duration syncEvery,
        double maxShrink,
        int pageSize,
        Duration connectTimeout,
        Duration searchTimeout) {

    public static final Duration DEFAULT_SYNC_EVERY = Duration.ofMinutes(10);
    public static final double DEFAULT_MAX_SHRINK = 0.5;
    public static final int DEFAULT_PAGE_SIZE = 500; // Active Directory serves at most 1000 (MaxPageSize)
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_SEARCH_TIMEOUT = Duration.ofSeconds(60);

    public DirectoryConfig {
        servers = List.copyOf(servers);
        attributes = List.copyOf(attributes);
    }

    /** A {@code max_shrink} as the file writes it: {@code 50%}; a fraction that is no whole percentage as it is. */
    public static String percent(double fraction) {
        double percent = fraction * 100;
        return percent == Math.rint(percent) ? (long) percent + "%" : Double.toString(fraction);
    }

    /** One server: {@code ldaps://host:port} or {@code ldap://host:port}. */
    public record Server(boolean ldaps, String host, int port) {

        @Override
        public String toString() {
            return (ldaps ? "ldaps://" : "ldap://") + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** The kinds of directory, each with its defaults. */
    public enum Kind {
        ACTIVE_DIRECTORY(List.of("mail", "proxyAddresses", "otherMailbox", "mailAlternativeAddress"),
                "(|(objectClass=user)(objectClass=group)(objectClass=contact)(objectClass=publicFolder))"),
        OPENLDAP(List.of("mail", "mailAlternativeAddress"),
                "(|(mail=*)(mailAlternativeAddress=*))");

        private final List<String> attributes;
        private final String filter;

        Kind(List<String> attributes, String filter) {
            this.attributes = attributes;
            this.filter = filter;
        }

        public List<String> defaultAttributes() {
            return attributes;
        }

        public String defaultFilter() {
            return filter;
        }

        /** The word in the file: {@code active_directory}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The environment variable that holds the bind password when no {@code bind_password_file} is
     * given: {@code GATEHOUSE_LDAP_<NAME>_PASSWORD}, the name in upper case with every character
     * other than A-Z and 0-9 written {@code _} ({@code corp-eu} gives {@code GATEHOUSE_LDAP_CORP_EU_PASSWORD}).
     */
    public String passwordVariable() {
        return passwordVariable(name);
    }

    public static String passwordVariable(String name) {
        StringBuilder variable = new StringBuilder("GATEHOUSE_LDAP_");
        for (char c : name.toUpperCase(Locale.ROOT).toCharArray()) {
            variable.append((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
        }
        return variable.append("_PASSWORD").toString();
    }
}
