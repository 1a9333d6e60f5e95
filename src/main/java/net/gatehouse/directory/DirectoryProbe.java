package net.gatehouse.directory;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.gatehouse.smtp.protocol.MailboxAddress;

/**
 * Which entry and attribute of a directory make an address valid: the directory read now, in full
 * and as a sync reads it (same filter, attributes and value rules), watching for the address. The
 * {@code gatehouse directory test} command's, and the console's test button's.
 */
public final class DirectoryProbe {

    /**
     * One value that gives the address.
     *
     * @param subAddress whether it matched the address without its sub-address ({@code user} of {@code user+tag})
     */
    public record Match(String dn, String attribute, String value, boolean subAddress) {
    }

    /**
     * The answer.
     *
     * @param server         the server that was read
     * @param matches        every value that gives the address; empty: the directory does not list it
     * @param inSnapshot     whether the snapshot in force (the gateway's answer) lists it
     * @param snapshot       the snapshot in force in words
     */
    public record Result(String server, int entries, int addresses, List<Match> matches, boolean inSnapshot,
                         String snapshot) {

        public Result {
            matches = List.copyOf(matches);
        }
    }

    /** The directory could not be read; the message says why, without secrets. */
    public static final class FailedException extends Exception {
        private static final long serialVersionUID = 1L;

        FailedException(String message) {
            super(message);
        }
    }

    private final DirectorySync directory;

    DirectoryProbe(DirectorySync directory) {
        this.directory = directory;
    }

    /**
     * Reads the directory and reports where the address is.
     *
     * @param subAddressDelimiter the policy's, as at RCPT TO
     */
    public Result test(MailboxAddress address, String subAddressDelimiter) throws FailedException {
        String local = address.localPart().toLowerCase(Locale.ROOT);
        String domain = MailboxAddress.asciiDomain(address.domain().toLowerCase(Locale.ROOT));
        String exact = local + "@" + domain;
        int delimiter = subAddressDelimiter.isEmpty() ? -1 : local.indexOf(subAddressDelimiter);
        String base = delimiter > 0 ? local.substring(0, delimiter) + "@" + domain : null;
        List<Match> matches = new ArrayList<>();
        SnapshotSearch.Harvest harvest;
        String server;
        try (LDAPConnection connection = directory.connector().connect()) {
            server = connection.getConnectionName();
            harvest = directory.search().read(connection, found -> {
                if (found.address().equals(exact) || found.address().equals(base)) {
                    matches.add(new Match(found.dn(), found.attribute(), found.value(), !found.address().equals(exact)));
                }
            });
        } catch (LdapConnector.UnreachableException e) {
            throw new FailedException("no server could be used: " + e.getMessage());
        } catch (LDAPException e) {
            throw new FailedException("the search failed: " + LdapConnector.describe(e));
        }
        return new Result(server, harvest.entries(), harvest.addresses().size(), matches,
                directory.contains(address, subAddressDelimiter), directory.describeSnapshot());
    }
}
