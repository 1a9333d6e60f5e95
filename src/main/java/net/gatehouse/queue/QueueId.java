package net.gatehouse.queue;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A message's identity in the queue and in every log line about it: 13 characters of Crockford
 * base 32 (no I, L, O, U), the acceptance time in milliseconds followed by a sequence number, so
 * that IDs sort by arrival and never repeat within a process (a random start keeps two nodes, or
 * two runs, from colliding within the same millisecond).
 */
public record QueueId(String value) implements Comparable<QueueId> {

    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final Pattern SYNTAX = Pattern.compile("[0-9A-HJKMNP-TV-Z]{13}");
    private static final AtomicLong SEQUENCE = new AtomicLong(new SecureRandom().nextLong());

    public QueueId {
        if (!SYNTAX.matcher(value).matches()) {
            throw new IllegalArgumentException("not a queue ID: " + value);
        }
    }

    public static QueueId next(long epochMillis) {
        long bits = (epochMillis << 20) | (SEQUENCE.getAndIncrement() & 0xFFFFF);
        char[] text = new char[13];
        for (int i = 12; i >= 0; i--) {
            text[i] = ALPHABET[(int) (bits & 31)];
            bits >>>= 5;
        }
        return new QueueId(new String(text));
    }

    /** When the message was accepted, to the millisecond: the time the ID was made from. */
    public java.time.Instant acceptedAt() {
        long bits = 0;
        for (int i = 0; i < value.length(); i++) {
            bits = (bits << 5) | java.util.Arrays.binarySearch(ALPHABET, value.charAt(i)); // ALPHABET is in ASCII order
        }
        return java.time.Instant.ofEpochMilli(bits >>> 20);
    }

    public static boolean isValid(String text) {
        return SYNTAX.matcher(text).matches();
    }

    @Override
    public int compareTo(QueueId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
