package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IP network in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}), as in
 * {@code policy.trusted_networks}. Only literals are accepted, never host names: a trusted
 * network that depends on DNS can be widened by whoever controls that DNS.
 */
public record Cidr(byte[] network, int prefixLength) {

    public Cidr {
        network = network.clone();
    }

    /** Parses a network or bare address; the rules of {@link #normalize(String)}. */
    public static Cidr parse(String text) {
        String canonical = normalize(text);
        int slash = canonical.indexOf('/');
        return new Cidr(IpLiteral.parse(canonical.substring(0, slash)).orElseThrow(),
                Integer.parseInt(canonical.substring(slash + 1)));
    }

    /** Whether the address is in this network; IPv4-mapped IPv6 addresses count as IPv4. */
    public boolean contains(InetAddress address) {
        byte[] bytes = unmapped(address);
        return bytes.length == network.length && Arrays.equals(mask(bytes, prefixLength), network);
    }

    /** {@code ::ffff:192.0.2.1}, what a dual-stack socket reports for an IPv4 client, as IPv4. */
    public static byte[] unmapped(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address && Arrays.equals(bytes, 0, 12, IPV4_MAPPED_PREFIX, 0, 12)) {
            return Arrays.copyOfRange(bytes, 12, 16);
        }
        return bytes;
    }

    private static final byte[] IPV4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    @Override
    public boolean equals(Object other) {
        return other instanceof Cidr cidr && cidr.prefixLength == prefixLength && Arrays.equals(cidr.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString() {
        return IpLiteral.format(network) + "/" + prefixLength;
    }

    /**
     * The canonical text of a network: a bare address becomes a /32 or /128 network, IPv6 is
     * written as RFC 5952 recommends ({@code 2001:DB8:0::/32} becomes {@code 2001:db8::/32}).
     *
     * @throws IllegalArgumentException if the text is not an address or network, or has bits set
     *                                  after the prefix ({@code 10.0.0.1/8}: the administrator
     *                                  meant either the host or the network, and we cannot tell)
     */
    public static String normalize(String text) {
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        byte[] address = IpLiteral.parse(addressText).orElseThrow(() -> new IllegalArgumentException(
                quote(text) + " is not an IP network: expected an address or a CIDR block such as "
                        + "10.0.0.0/8 or 2001:db8::/32 (host names are not allowed)"));
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String prefixText = text.substring(slash + 1);
            prefix = prefixText.matches("[0-9]{1,3}") ? Integer.parseInt(prefixText) : -1;
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("the prefix length of " + quote(text)
                        + " must be a number from 0 to " + bits);
            }
        }
        byte[] network = mask(address, prefix);
        if (!Arrays.equals(network, address)) {
            throw new IllegalArgumentException(quote(text) + " has address bits set after the /" + prefix
                    + " prefix; did you mean " + IpLiteral.format(network) + "/" + prefix + "?");
        }
        return IpLiteral.format(address) + "/" + prefix;
    }

    @Override
    public byte[] network() {
        return network.clone();
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] network = address.clone();
        for (int i = 0; i < network.length; i++) {
            int keep = Math.clamp(prefix - 8L * i, 0, 8);
            network[i] &= (byte) (0xff00 >> keep);
        }
        return network;
    }
}
