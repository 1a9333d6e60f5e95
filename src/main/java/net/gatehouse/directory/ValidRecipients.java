package net.gatehouse.directory;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import net.gatehouse.smtp.protocol.MailboxAddress;

/**
 * A valid list in memory (SPEC §3 "Valid list"): the addresses that exist, matched ignoring case,
 * {@code @domain} entries that accept a whole domain, and sub-addressing ({@code user+tag@} matches
 * {@code user@}). Immutable, so the RCPT path reads it without locks; a changed list is a new
 * instance, built off that path.
 *
 * <p>Compact: an address is not kept as text but as a 64-bit SipHash-2-4 of its stored form
 * (lower-case local part, {@code @}, ASCII domain), in an open-addressing table of {@code long}s
 * (linear probing, at most three quarters full): 11 to 21 bytes an address, 16 MB for a million,
 * against some 150 for a {@code HashSet<String>}. A lookup hashes the address once and reads one
 * or two cache lines of the table; a sorted array with binary search would take half the memory
 * but about 20 dependent reads, most of them cache misses. The hash key is drawn at random for each
 * list from {@link SecureRandom}.
 *
 * <p>The cost, stated honestly: two different addresses can have the same hash, so an address that
 * is not in the list can be taken for one that is. For a list of n addresses, the chance that a
 * given unlisted address matches is about n / 2^64 (twice that with sub-addressing, which looks up
 * two forms): 5.4e-14 for a million, that is one false acceptance in about 2e13 lookups of unknown
 * addresses. Because the key is secret and new for every list, nobody can search for a colliding
 * address offline, and guessing online is slower than the arithmetic above. A false acceptance does
 * what {@code verification: none} would do for that one address: the back-end refuses it.
 */
public final class ValidRecipients {

    /** A list with no entries: nothing is valid. */
    public static final ValidRecipients EMPTY = new ValidRecipients(new SipHash(0, 0), new long[0], false, 0, Set.of());

    private static final SecureRandom KEYS = new SecureRandom();
    /** The table's slots hold hashes; 0 marks a free slot, so an address whose hash is 0 is kept apart. */
    private static final long FREE = 0;

    private final SipHash hash;
    private final long[] table; // length a power of two, or 0 when no address is listed
    private final boolean listsHashZero;
    private final int addresses;
    private final Set<String> wholeDomains;

    private ValidRecipients(SipHash hash, long[] table, boolean listsHashZero, int addresses, Set<String> wholeDomains) {
        this.hash = hash;
        this.table = table;
        this.listsHashZero = listsHashZero;
        this.addresses = addresses;
        this.wholeDomains = wholeDomains;
    }

    /** Builds a list from entries in the form of {@link Builder#add}. */
    public static ValidRecipients of(Iterable<String> entries) {
        Builder builder = builder();
        entries.forEach(builder::add);
        return builder.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether the list accepts an address: the address itself is listed, or its domain is
     * ({@code @domain}), or, when {@code subAddressDelimiter} is not empty and the local part has
     * it after its first character, the local part up to the delimiter is listed
     * ({@code user+tag@example.com} for {@code user@example.com}, as Postfix's
     * {@code recipient_delimiter}). Case is ignored; the domain is compared in its ASCII form.
     *
     * @param subAddressDelimiter {@code "+"} (or another delimiter), or {@code ""} for no sub-addressing
     */
    public boolean contains(MailboxAddress address, String subAddressDelimiter) {
        String domain = asciiDomain(address);
        if (!wholeDomains.isEmpty() && wholeDomains.contains(domain)) {
            return true;
        }
        if (addresses == 0) {
            return false;
        }
        String local = address.localPart().toLowerCase(Locale.ROOT);
        if (listed(local, local.length(), domain)) {
            return true;
        }
        if (!subAddressDelimiter.isEmpty()) {
            int delimiter = local.indexOf(subAddressDelimiter);
            return delimiter > 0 && listed(local, delimiter, domain);
        }
        return false;
    }

    /** The number of distinct entries: addresses and whole domains. */
    public int size() {
        return addresses + wholeDomains.size();
    }

    private boolean listed(String local, int localEnd, String domain) {
        long h = hash.hash(local, localEnd, domain, 0);
        if (h == FREE) {
            return listsHashZero;
        }
        int mask = table.length - 1;
        for (int slot = (int) h & mask; ; slot = (slot + 1) & mask) {
            long held = table[slot];
            if (held == h) {
                return true;
            }
            if (held == FREE) {
                return false; // the table always has free slots, so every probe ends
            }
        }
    }

    // MailboxAddress.asciiDomain() runs IDN conversion on every call; for a plain ASCII name its
    // result is the name in lower case, so skip it there (it is most of the cost of a lookup).
    private static String asciiDomain(MailboxAddress address) {
        String domain = address.domain();
        for (int i = 0; i < domain.length(); i++) {
            if (domain.charAt(i) >= 0x80) {
                return address.asciiDomain();
            }
        }
        return domain.toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "ValidRecipients[addresses=" + addresses + ", wholeDomains=" + wholeDomains + "]";
    }

    /** Collects entries for a {@link ValidRecipients}. Not thread-safe. */
    public static final class Builder {

        private static final int INITIAL_CAPACITY = 1024;
        /** Three quarters of the largest table, 2^30 slots (8 GiB): far beyond any list. */
        private static final int MAX_ADDRESSES = 3 << 28;

        private final SipHash hash = new SipHash(KEYS.nextLong(), KEYS.nextLong());
        private final Set<String> wholeDomains = new HashSet<>();
        private long[] hashes = new long[INITIAL_CAPACITY];
        private int size;

        private Builder() {
        }

        /**
         * Adds an entry: {@code local@domain}, or {@code @domain} for the whole domain. Entries in
         * stored form ({@code store.ValidRecipientEntry}: lower case, ASCII domain) cost least;
         * others are lower-cased and their domain converted to ASCII here.
         *
         * @throws IllegalArgumentException if the entry has no {@code @} or nothing before it but a domain
         */
        public Builder add(String entry) {
            String lower = entry.strip().toLowerCase(Locale.ROOT);
            int at = lower.lastIndexOf('@');
            if (at < 0 || at == lower.length() - 1) {
                throw new IllegalArgumentException("not a valid-list entry: \"" + entry + "\"");
            }
            if (at == 0) {
                wholeDomains.add(MailboxAddress.asciiDomain(lower.substring(1)));
                return this;
            }
            if (size == hashes.length) {
                hashes = Arrays.copyOf(hashes, hashes.length * 2);
            }
            hashes[size++] = isAscii(lower, at + 1)
                    ? hash.hash(lower, at, lower, at + 1)
                    : hash.hash(lower, at, MailboxAddress.asciiDomain(lower.substring(at + 1)), 0);
            return this;
        }

        public ValidRecipients build() {
            if (size > MAX_ADDRESSES) {
                throw new IllegalStateException("a valid list holds at most " + MAX_ADDRESSES + " addresses");
            }
            // the smallest power of two holding 4/3 of the entries: the table is at most 3/4 full
            long wanted = Math.max(2, (size * 4L + 2) / 3);
            int capacity = size == 0 ? 0 : (int) Long.highestOneBit(wanted - 1) << 1;
            long[] table = new long[capacity];
            int mask = capacity - 1;
            boolean listsHashZero = false;
            int distinct = 0;
            for (int i = 0; i < size; i++) {
                long h = hashes[i];
                if (h == FREE) {
                    distinct += listsHashZero ? 0 : 1;
                    listsHashZero = true;
                    continue;
                }
                int slot = (int) h & mask;
                while (table[slot] != FREE && table[slot] != h) {
                    slot = (slot + 1) & mask;
                }
                if (table[slot] == FREE) {
                    table[slot] = h;
                    distinct++;
                }
            }
            return new ValidRecipients(hash, table, listsHashZero, distinct, Set.copyOf(wholeDomains));
        }

        private static boolean isAscii(String text, int from) {
            for (int i = from; i < text.length(); i++) {
                if (text.charAt(i) >= 0x80) {
                    return false;
                }
            }
            return true;
        }
    }
}
