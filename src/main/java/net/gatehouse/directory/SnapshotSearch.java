package net.gatehouse.directory;

import com.unboundid.asn1.ASN1OctetString;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.Control;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.controls.SimplePagedResultsControl;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.gatehouse.config.DirectoryConfig;

/**
 * Reads every recipient of a directory: one search of the whole subtree under {@code base_dn} with
 * the directory's filter, in pages (the Simple Paged Results control, RFC 2696), so that a
 * directory of any size is read past the server's size limit (Active Directory's MaxPageSize,
 * slapd's sizelimit). Each page has {@code search_timeout}. A failure on any page fails the whole
 * read: a snapshot is complete or it is not taken.
 */
final class SnapshotSearch {

    /** Active Directory's bitwise-AND matching rule: userAccountControl's ACCOUNTDISABLE bit. */
    static final String NOT_DISABLED = "(!(userAccountControl:1.2.840.113556.1.4.803:=2))";

    /** One address found: in which entry, in which attribute, as which value. */
    record Found(String address, String dn, String attribute, String value) {
    }

    /** Sees every address as it is read (the {@code directory test} command). */
    @FunctionalInterface
    interface Listener {
        void found(Found found);
    }

    /** What a read gave. */
    record Harvest(int entries, Set<String> addresses, int ignoredValues) {
    }

    private final DirectoryConfig config;

    SnapshotSearch(DirectoryConfig config) {
        this.config = config;
    }

    /** The filter sent: the configured one, without disabled accounts when so configured. */
    String filter() {
        return config.excludeDisabled() ? "(&" + config.filter() + NOT_DISABLED + ")" : config.filter();
    }

    Harvest read(LDAPConnection connection, Listener listener) throws LDAPException {
        Filter filter = Filter.create(filter());
        Set<String> addresses = new HashSet<>();
        int entries = 0;
        int ignored = 0;
        ASN1OctetString cookie = null;
        int timeout = (int) Math.min(Integer.MAX_VALUE, config.searchTimeout().toMillis());
        do {
            SearchRequest request = new SearchRequest(config.baseDn(), SearchScope.SUB, filter,
                    config.attributes().toArray(String[]::new));
            request.setResponseTimeoutMillis(timeout);
            request.setTimeLimitSeconds((int) Math.max(1, config.searchTimeout().toSeconds()));
            request.addControl(new SimplePagedResultsControl(config.pageSize(), cookie, true));
            SearchResult result = connection.search(request); // a failure: nothing of this read is used
            if (result.getResultCode() != ResultCode.SUCCESS) {
                throw new LDAPException(result.getResultCode(), "search ended with " + result.getResultCode());
            }
            for (SearchResultEntry entry : result.getSearchEntries()) {
                entries++;
                for (String name : config.attributes()) {
                    for (Attribute attribute : entry.getAttributesWithOptions(name, null)) {
                        for (String value : allValues(connection, entry.getDN(), attribute, timeout)) {
                            Optional<String> address = AddressValues.address(name, value);
                            if (address.isEmpty()) {
                                ignored++;
                                continue;
                            }
                            addresses.add(address.get());
                            if (listener != null) {
                                listener.found(new Found(address.get(), entry.getDN(), attribute.getBaseName(), value));
                            }
                        }
                    }
                }
            }
            cookie = nextCookie(result);
        } while (cookie != null);
        return new Harvest(entries, addresses, ignored);
    }

    /**
     * All the values of an attribute. Active Directory gives those of an attribute with more values
     * than its MaxValRange (1500) in ranges: {@code proxyAddresses;range=0-1499} with the entry, the
     * next range to a search of the entry for {@code proxyAddresses;range=1500-*}, and so on until a
     * range ending in {@code *}. Without them, a mailbox with many addresses would lose all but the
     * first 1500, and its senders would get 550.
     */
    private static List<String> allValues(LDAPConnection connection, String dn, Attribute attribute, int timeout)
            throws LDAPException {
        Optional<Range> first = Range.of(attribute);
        if (first.isEmpty()) {
            return List.of(attribute.getValues());
        }
        String name = attribute.getBaseName();
        List<String> values = new ArrayList<>(List.of(attribute.getValues()));
        Range got = first.get();
        while (!got.last()) {
            SearchRequest next = new SearchRequest(dn, SearchScope.BASE, Filter.createPresenceFilter("objectClass"),
                    name + ";range=" + (got.high() + 1) + "-*");
            next.setResponseTimeoutMillis(timeout);
            SearchResultEntry entry = connection.searchForEntry(next);
            Optional<Attribute> part = entry == null ? Optional.empty() : entry.getAttributesWithOptions(name, null)
                    .stream().filter(a -> Range.of(a).isPresent()).findFirst();
            Optional<Range> range = part.flatMap(Range::of);
            if (range.isEmpty() || range.get().low() != got.high() + 1) {
                throw new LDAPException(ResultCode.DECODING_ERROR, "the values of " + name + " of " + dn
                        + " after the first " + values.size() + " could not be read (ranged retrieval)");
            }
            values.addAll(List.of(part.get().getValues()));
            got = range.get();
        }
        return values;
    }

    /** The option {@code range=low-high} of an attribute's part; {@code high} is -1 for {@code *}, the last part. */
    private record Range(long low, long high) {

        private static final Pattern OPTION = Pattern.compile("(?i)range=([0-9]{1,18})-([0-9]{1,18}|\\*)");

        static Optional<Range> of(Attribute attribute) {
            for (String option : attribute.getOptions()) {
                Matcher matcher = OPTION.matcher(option);
                if (matcher.matches()) {
                    return Optional.of(new Range(Long.parseLong(matcher.group(1)),
                            matcher.group(2).equals("*") ? -1 : Long.parseLong(matcher.group(2))));
                }
            }
            return Optional.empty();
        }

        boolean last() {
            return high < 0;
        }
    }

    /** The cookie for the next page; null when this was the last (an empty cookie, or no control). */
    private static ASN1OctetString nextCookie(SearchResult result) throws LDAPException {
        for (Control control : result.getResponseControls()) {
            if (control.getOID().equals(SimplePagedResultsControl.PAGED_RESULTS_OID)) {
                SimplePagedResultsControl paged = SimplePagedResultsControl.get(result);
                return paged != null && paged.moreResultsToReturn() ? paged.getCookie() : null;
            }
        }
        return null;
    }
}
