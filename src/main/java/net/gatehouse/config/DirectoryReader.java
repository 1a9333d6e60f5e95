package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.gatehouse.config.DirectoryConfig.Kind;
import net.gatehouse.config.DirectoryConfig.Server;

/**
 * Reads one entry of {@code policy.directories} (SPEC §8), key by key with its default. The bind
 * password itself is never read here, only where it will come from: a readable file, or the
 * environment variable named for the directory. No message here repeats a password.
 */
final class DirectoryReader {

    private DirectoryReader() {
    }

    /**
     * @param fileDir the configuration file's directory, against which its files are resolved and
     *                checked; empty for the store's policy document (a directory added in the console
     *                or the API), which every node reads: its {@code ca_file} must be an absolute path,
     *                checked where the edit is made and at each connection, and its password is the
     *                one set in the store, never a file
     */
    static DirectoryConfig read(ConfigSection directory, Optional<Path> fileDir, Map<String, String> environment,
                                Set<String> names) throws ConfigException {
        ConfigValue nameValue = directory.required("name", v -> v);
        String name = nameValue.parse("a name of letters, digits, - or _", DirectoryReader::name);
        if (!names.add(name)) {
            throw nameValue.error("another directory has the name " + name);
        }
        List<Server> servers = directory.required("servers",
                v -> v.addresses(s -> s.parse("an ldap:// or ldaps:// URL", DirectoryReader::server)));
        boolean startTls = directory.get("start_tls", ConfigValue::bool, false);
        if (startTls && servers.stream().allMatch(Server::ldaps)) {
            throw directory.error("start_tls", "applies to ldap:// servers only, and every server here is ldaps://");
        }
        Optional<Path> caFile = directory.optional("ca_file", v -> fileDir.isPresent()
                ? ConfigLoader.readableFile(v, fileDir.get()) : absolutePath(v));
        String bindDn = directory.get("bind_dn", v -> v.parse("a DN", DirectoryReader::dn), "");
        if (fileDir.isEmpty() && directory.value("bind_password_file").isPresent()) {
            throw directory.error("bind_password_file", "is for the configuration file: a directory added in the "
                    + "console or the API keeps its bind password in the store (set it there; it is never shown)");
        }
        Optional<Path> passwordFile = fileDir.isEmpty() ? Optional.empty()
                : directory.optional("bind_password_file", v -> ConfigLoader.readableFile(v, fileDir.get()));
        String variable = DirectoryConfig.passwordVariable(name);
        if (bindDn.isEmpty() && passwordFile.isPresent()) {
            throw directory.error("bind_password_file", "is set but bind_dn is not: a password needs a DN to bind as");
        }
        if (fileDir.isPresent() && !bindDn.isEmpty() && passwordFile.isEmpty()
                && environment.getOrDefault(variable, "").isEmpty()) {
            throw directory.error("bind_dn", "needs a password: set bind_password_file, or " + variable
                    + " in the environment");
        }
        String baseDn = directory.required("base_dn", v -> v.parse("a DN such as DC=corp,DC=example", DirectoryReader::dn));
        Kind kind = directory.get("kind", v -> v.parse("active_directory or openldap", DirectoryReader::kind),
                Kind.ACTIVE_DIRECTORY);
        List<String> attributes = directory.get("attributes",
                v -> v.distinctList(a -> a.parse("an attribute name", DirectoryReader::attribute)),
                kind.defaultAttributes());
        if (attributes.isEmpty()) {
            throw directory.error("attributes", "needs at least one attribute");
        }
        String filter = directory.get("filter", v -> v.parse("an LDAP filter such as (objectClass=user)",
                DirectoryReader::filter), kind.defaultFilter());
        boolean excludeDisabled = directory.get("exclude_disabled", ConfigValue::bool, false);
        if (excludeDisabled && kind != Kind.ACTIVE_DIRECTORY) {
            throw directory.error("exclude_disabled", "is for kind: active_directory (userAccountControl)");
        }
        return new DirectoryConfig(name, servers, startTls, caFile, bindDn, passwordFile, baseDn, kind, attributes,
                filter, excludeDisabled,
                directory.get("sync_every", ConfigValue::positiveDuration, DirectoryConfig.DEFAULT_SYNC_EVERY),
                directory.get("max_shrink", v -> v.parse("a percentage such as 50%", DirectoryReader::fraction),
                        DirectoryConfig.DEFAULT_MAX_SHRINK),
                directory.get("page_size", v -> v.wholeNumber(1, 100_000), DirectoryConfig.DEFAULT_PAGE_SIZE),
                directory.get("connect_timeout", ConfigValue::positiveDuration, DirectoryConfig.DEFAULT_CONNECT_TIMEOUT),
                directory.get("search_timeout", ConfigValue::positiveDuration, DirectoryConfig.DEFAULT_SEARCH_TIMEOUT));
    }

    /** A file named in the store's document: absolute, since nodes differ in where their files are. */
    private static Path absolutePath(ConfigValue value) throws ConfigException {
        Path path = value.path(Path.of("/"));
        if (!Path.of(value.string().strip()).isAbsolute()) {
            throw value.error("expected an absolute path such as /etc/gatehouse/corp-ca.pem, got "
                    + quote(value.string()));
        }
        return path;
    }

    private static String name(String text) {
        if (text.isEmpty() || text.length() > 64 || !text.chars().allMatch(c -> c < 128
                && (Character.isLetterOrDigit(c) || c == '-' || c == '_'))) {
            throw new IllegalArgumentException("expected a name of letters, digits, - or _, got " + quote(text));
        }
        return text;
    }

    static Server server(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("expected ldap://host:port or ldaps://host:port, got " + quote(text));
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ldap") && !scheme.equals("ldaps")) {
            throw new IllegalArgumentException("expected ldap://host:port or ldaps://host:port, got " + quote(text));
        }
        if (uri.getHost() == null || uri.getUserInfo() != null || (uri.getPath() != null && !uri.getPath().isEmpty()
                && !uri.getPath().equals("/")) || uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("expected ldap://host:port or ldaps://host:port with nothing after"
                    + " the port (the base DN is base_dn), got " + quote(text));
        }
        boolean ldaps = scheme.equals("ldaps");
        int port = uri.getPort() < 0 ? (ldaps ? 636 : 389) : uri.getPort();
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        return new Server(ldaps, host.toLowerCase(Locale.ROOT), port);
    }

    private static String dn(String text) {
        if (!text.strip().isEmpty() && !com.unboundid.ldap.sdk.DN.isValidDN(text.strip())) {
            throw new IllegalArgumentException("expected a DN such as CN=gatehouse,OU=Service,DC=corp,DC=example, got "
                    + quote(text));
        }
        return text.strip();
    }

    private static Kind kind(String word) {
        for (Kind kind : Kind.values()) {
            if (kind.configName().equalsIgnoreCase(word)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("expected active_directory or openldap, got " + quote(word));
    }

    private static String attribute(String text) {
        if (!text.matches("[A-Za-z][A-Za-z0-9-]{0,127}")) {
            throw new IllegalArgumentException("expected an attribute name such as mail or proxyAddresses, got "
                    + quote(text));
        }
        return text;
    }

    private static String filter(String text) {
        try {
            return com.unboundid.ldap.sdk.Filter.create(text.strip()).toString();
        } catch (com.unboundid.ldap.sdk.LDAPException e) {
            throw new IllegalArgumentException("not a valid LDAP filter (RFC 4515): " + quote(text), e);
        }
    }

    /** {@code 50%}, or a fraction {@code 0.5}; more than 0, at most 100 %. */
    private static double fraction(String text) {
        String t = text.strip();
        double value;
        try {
            value = t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1).strip()) / 100
                    : Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a percentage such as 50%, got " + quote(text));
        }
        if (!(value > 0 && value <= 1)) {
            throw new IllegalArgumentException("expected more than 0% and at most 100%, got " + quote(text));
        }
        return value;
    }
}
