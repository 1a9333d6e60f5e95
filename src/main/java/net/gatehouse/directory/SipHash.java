package net.gatehouse.directory;

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed 64-bit hash: without the key, nobody can
 * find two inputs with the same hash faster than by trying about 2^64 of them, or predict any
 * hash at all. Here it hashes text without copying it: the UTF-16 code units of the characters,
 * little-endian, two bytes each (so text of n characters is the 2n-byte message of the reference
 * algorithm).
 *
 * <p>{@link #hash(String, int, String, int)} hashes {@code local[0, localEnd) + "@" + domain[domainStart, end)},
 * which is how an address is hashed both when a list is built (from one string) and when a
 * recipient is looked up (from the local part and domain of the address, and from the local part
 * cut at the sub-address delimiter), with no string built on the lookup path.
 */
final class SipHash {

    private final long k0;
    private final long k1;

    SipHash(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    /** The hash of {@code local[0, localEnd) + '@' + domain[domainStart, domain.length())}. */
    long hash(String local, int localEnd, String domain, int domainStart) {
        State state = new State(k0, k1);
        for (int i = 0; i < localEnd; i++) {
            state.add(local.charAt(i));
        }
        state.add('@');
        for (int i = domainStart; i < domain.length(); i++) {
            state.add(domain.charAt(i));
        }
        return state.finish();
    }

    /** The hash of the characters of {@code text}. */
    long hash(CharSequence text) {
        State state = new State(k0, k1);
        for (int i = 0; i < text.length(); i++) {
            state.add(text.charAt(i));
        }
        return state.finish();
    }

    /** The running state over one message; short-lived, so the JIT can keep it in registers. */
    private static final class State {
        private long v0;
        private long v1;
        private long v2;
        private long v3;
        private long word;  // message bytes not yet compressed, little-endian
        private int shift;  // bits of word filled: 0, 16, 32 or 48
        private int bytes;  // message length so far

        State(long k0, long k1) {
            v0 = k0 ^ 0x736f6d6570736575L;
            v1 = k1 ^ 0x646f72616e646f6dL;
            v2 = k0 ^ 0x6c7967656e657261L;
            v3 = k1 ^ 0x7465646279746573L;
        }

        void add(char c) {
            word |= (long) c << shift;
            bytes += 2;
            shift += 16;
            if (shift == 64) {
                compress(word);
                word = 0;
                shift = 0;
            }
        }

        long finish() {
            compress(word | ((long) bytes << 56));
            v2 ^= 0xff;
            for (int i = 0; i < 4; i++) {
                round();
            }
            return v0 ^ v1 ^ v2 ^ v3;
        }

        private void compress(long m) {
            v3 ^= m;
            round();
            round();
            v0 ^= m;
        }

        private void round() {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13);
            v1 ^= v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16);
            v3 ^= v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21);
            v3 ^= v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17);
            v1 ^= v2;
            v2 = Long.rotateLeft(v2, 32);
        }
    }
}
