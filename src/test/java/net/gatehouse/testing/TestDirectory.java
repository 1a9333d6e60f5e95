package net.gatehouse.testing;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSearchEntry;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSearchRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryOperationInterceptor;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.OperationType;
import com.unboundid.ldap.sdk.ReadOnlySearchRequest;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.controls.SimplePagedResultsControl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * UnboundID's in-memory directory server on 127.0.0.1, for the fast directory tests: the
 * Active Directory shaped entries of {@code ldap/corp.ldif} (users with proxyAddresses, a
 * disabled shared mailbox, a group, a contact, a public folder), searches only after a bind as
 * {@link #BIND_DN}, and a size limit below the entry count so that only a paged search reads them
 * all. Schema checking is off: the entries have AD's shapes, not the server's standard schema.
 *
 * <pre>{@code
 * try (TestDirectory directory = TestDirectory.start()) {
 *     directory.url();   // ldap://127.0.0.1:PORT
 * }
 * }</pre>
 */
public final class TestDirectory implements AutoCloseable {

    public static final String BASE_DN = "dc=corp,dc=example";
    public static final String BIND_DN = "cn=gatehouse,ou=Service,dc=corp,dc=example";
    public static final String BIND_PASSWORD = "bind-secret-7Q";
    /** Entries beyond this in one page or one unpaged search are refused, as AD's MaxPageSize does. */
    public static final int SIZE_LIMIT = 5;

    private final InMemoryDirectoryServer server;
    private final Pages pages;
    private final Ranges ranges;

    private TestDirectory(InMemoryDirectoryServer server, Pages pages, Ranges ranges) {
        this.server = server;
        this.pages = pages;
        this.ranges = ranges;
    }

    /** Plain LDAP. */
    public static TestDirectory start() {
        return start(null);
    }

    /**
     * With {@code tls}: listeners {@code ldap} (offering StartTLS with the CA's server certificate)
     * and {@code ldaps}.
     */
    public static TestDirectory start(TestCa tls) {
        try {
            InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig(BASE_DN);
            config.setSchema(null);
            config.setMaxSizeLimit(SIZE_LIMIT);
            config.setAuthenticationRequiredOperationTypes(OperationType.SEARCH);
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            List<InMemoryListenerConfig> listeners = new ArrayList<>();
            if (tls == null) {
                listeners.add(InMemoryListenerConfig.createLDAPConfig("ldap", loopback, 0, null));
            } else {
                SSLContext context = tls.serverContext();
                listeners.add(InMemoryListenerConfig.createLDAPConfig("ldap", loopback, 0, context.getSocketFactory()));
                listeners.add(InMemoryListenerConfig.createLDAPSConfig("ldaps", loopback, 0,
                        context.getServerSocketFactory(), context.getSocketFactory()));
            }
            config.setListenerConfigs(listeners);
            Pages pages = new Pages();
            config.addInMemoryOperationInterceptor(pages);
            Ranges ranges = new Ranges();
            config.addInMemoryOperationInterceptor(ranges);
            InMemoryDirectoryServer server = new InMemoryDirectoryServer(config);
            ranges.server = server;
            server.importFromLDIF(true, ldif().toFile());
            server.startListening();
            return new TestDirectory(server, pages, ranges);
        } catch (LDAPException e) {
            throw new IllegalStateException("cannot start the in-memory directory", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The test data, {@code ldap/corp.ldif}, shared with {@link TestSlapd}. */
    public static Path ldif() {
        try {
            return Path.of(Objects.requireNonNull(TestDirectory.class.getResource("/ldap/corp.ldif")).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code ldap://127.0.0.1:PORT}. */
    public String url() {
        return "ldap://127.0.0.1:" + server.getListenPort("ldap");
    }

    /** {@code ldaps://localhost:PORT} (the certificate's name). */
    public String ldapsUrl() {
        return "ldaps://localhost:" + server.getListenPort("ldaps");
    }

    /** The server's API, to add, change or delete entries. */
    public InMemoryDirectoryServer server() {
        return server;
    }

    /** Adds entries in LDIF lines. */
    public void add(String... ldifLines) {
        try {
            server.add(ldifLines);
        } catch (LDAPException | com.unboundid.ldif.LDIFException e) {
            throw new IllegalStateException("cannot add " + String.join("\n", ldifLines), e);
        }
    }

    /** Deletes an entry. */
    public void delete(String dn) {
        try {
            server.delete(dn);
        } catch (LDAPException e) {
            throw new IllegalStateException("cannot delete " + dn, e);
        }
    }

    /** Counting from now, the {@code page}-th paged search (1: the next) and all later ones fail. */
    public void failSearchesFromPage(int page) {
        pages.served.set(0);
        pages.failFrom = page;
    }

    /** Searches are answered again. */
    public void answerSearches() {
        pages.failFrom = Integer.MAX_VALUE;
    }

    /** Paged searches served since {@link #failSearchesFromPage}, or since start. */
    public int pagesServed() {
        return pages.served.get();
    }

    /**
     * From now on, an attribute with more than {@code max} values is returned as Active Directory
     * returns one past its MaxValRange (1500): its first {@code max} values as
     * {@code name;range=0-(max-1)}, the rest only to a search of the entry asking for
     * {@code name;range=max-*}, and so on, the last range ending in {@code *}.
     */
    public void rangeValuesBeyond(int max) {
        ranges.max = max;
    }

    /** The searches for a further range of an attribute's values ({@link #rangeValuesBeyond}) answered. */
    public int rangedSearches() {
        return ranges.served.get();
    }

    /** Stops listening and drops the connections: the directory is down. */
    public void stop() {
        server.shutDown(true);
    }

    @Override
    public void close() {
        server.shutDown(true);
    }

    /** Counts paged searches, and fails them once told to (a directory that stops answering mid-read). */
    private static final class Pages extends InMemoryOperationInterceptor {
        final AtomicInteger served = new AtomicInteger();
        volatile int failFrom = Integer.MAX_VALUE;

        @Override
        public void processSearchRequest(InMemoryInterceptedSearchRequest request) throws LDAPException {
            if (!request.getRequest().hasControl(SimplePagedResultsControl.PAGED_RESULTS_OID)) {
                return;
            }
            if (served.incrementAndGet() >= failFrom) {
                throw new LDAPException(ResultCode.UNAVAILABLE, "the test directory stops answering");
            }
        }
    }
    /** Active Directory's ranged retrieval of attributes with many values (MaxValRange). */
    private static final class Ranges extends InMemoryOperationInterceptor {
        private static final String RANGE = ";range=";
        final AtomicInteger served = new AtomicInteger();
        volatile int max = Integer.MAX_VALUE;
        volatile InMemoryDirectoryServer server;

        /** A search of one entry for {@code name;range=low-*}: answered here, from the entry's values. */
        @Override
        public void processSearchRequest(InMemoryInterceptedSearchRequest request) throws LDAPException {
            ReadOnlySearchRequest search = request.getRequest();
            List<String> ranged = search.getAttributeList().stream()
                    .filter(name -> name.toLowerCase(Locale.ROOT).contains(RANGE)).toList();
            if (ranged.isEmpty()) {
                return;
            }
            Entry stored = server.getEntry(search.getBaseDN());
            Entry answer = new Entry(stored.getDN());
            for (String name : ranged) {
                String base = Attribute.getBaseName(name);
                String range = name.substring(name.toLowerCase(Locale.ROOT).indexOf(RANGE) + RANGE.length());
                int low = Integer.parseInt(range.substring(0, range.indexOf('-')));
                String[] values = stored.getAttributeValues(base);
                int end = Math.min(values.length, low + max); // exclusive
                answer.addAttribute(new Attribute(base + RANGE + low + "-" + (end == values.length ? "*" : end - 1),
                        Arrays.copyOfRange(values, low, end)));
            }
            request.sendSearchEntry(answer);
            served.incrementAndGet();
            SearchRequest nothing = search.duplicate();
            nothing.setFilter("(objectClass=gatehouseNoSuchClass)"); // the server's own answer: no entry
            request.setRequest(nothing);
        }

        /** An entry found by any other search: its attributes with too many values, first range only. */
        @Override
        public void processSearchEntry(InMemoryInterceptedSearchEntry found) {
            Entry entry = found.getSearchEntry().duplicate();
            boolean cut = false;
            for (Attribute attribute : entry.getAttributes()) {
                if (!attribute.hasOptions() && attribute.size() > max) {
                    entry.removeAttribute(attribute.getName());
                    entry.addAttribute(new Attribute(attribute.getName() + RANGE + "0-" + (max - 1),
                            Arrays.copyOfRange(attribute.getValues(), 0, max)));
                    cut = true;
                }
            }
            if (cut) {
                found.setSearchEntry(entry);
            }
        }
    }
}
