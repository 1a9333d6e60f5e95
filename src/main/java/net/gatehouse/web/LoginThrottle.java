package net.gatehouse.web;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.config.IpLiteral;

/**
 * Limits failed logins, per client address and per (address, user name) pair, within
 * {@link #WINDOW}:
 *
 * <ul>
 *   <li>{@link #MAX_PAIR_FAILURES} for one user name from one address: the guesser there waits;
 *   <li>{@link #MAX_ADDRESS_FAILURES} from one address, whatever the names: one place cannot try
 *       many users;
 * </ul>
 *
 * <p>Never per user name alone: that would let anyone, from anywhere, lock the real administrator
 * out with a request a minute. Guessing one name from many addresses is what the alarm is for:
 * {@link #failed} reports, once per window, that a user name has reached
 * {@link #ALARM_FAILURES} failures from all addresses together, for the log and the metrics.
 *
 * <p>IPv6 clients count per /64, the block one subscriber usually holds. Past a limit, logins are
 * refused until the oldest failure leaves the window, whether the password is right or not.
 * Bounded: beyond {@link #MAX_KEYS} the least recently used keys are forgotten.
 */
final class LoginThrottle {

    static final int MAX_PAIR_FAILURES = 5;
    static final int MAX_ADDRESS_FAILURES = 20;
    static final int ALARM_FAILURES = 50;
    static final Duration WINDOW = Duration.ofMinutes(5);
    private static final int MAX_KEYS = 10_000;

    /** Distributed guessing of one user name, reported once per window. */
    record Alarm(String user, int failures) {
    }

    private final Clock clock;
    private final Map<String, Deque<Instant>> failures = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Instant>> eldest) {
            return size() > MAX_KEYS;
        }
    };
    private final Map<String, Instant> alarmed = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
            return size() > MAX_KEYS;
        }
    };

    LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long this client must wait before trying this user again; zero if it may try now. */
    synchronized Duration wait(String client, String user) {
        Instant now = clock.instant();
        String address = addressKey(client);
        Duration pair = waitFor(pairKey(address, user), MAX_PAIR_FAILURES, now);
        Duration any = waitFor(address, MAX_ADDRESS_FAILURES, now);
        return pair.compareTo(any) >= 0 ? pair : any;
    }

    /** Counts a failure; reports the first one of a window that makes the user's total an alarm. */
    synchronized Optional<Alarm> failed(String client, String user) {
        Instant now = clock.instant();
        String address = addressKey(client);
        record(pairKey(address, user), now);
        record(address, now);
        String userKey = "user:" + user;
        record(userKey, now);
        int total = count(userKey, now);
        Instant last = alarmed.get(user);
        if (total >= ALARM_FAILURES && (last == null || !last.plus(WINDOW).isAfter(now))) {
            alarmed.put(user, now);
            return Optional.of(new Alarm(user, total));
        }
        return Optional.empty();
    }

    /** A right password clears this client's failures for the user (not the address's others). */
    synchronized void succeeded(String client, String user) {
        failures.remove(pairKey(addressKey(client), user));
    }

    private void record(String key, Instant now) {
        failures.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(now);
    }

    private int count(String key, Instant now) {
        Deque<Instant> times = expire(key, now);
        return times == null ? 0 : times.size();
    }

    private Duration waitFor(String key, int limit, Instant now) {
        Deque<Instant> times = expire(key, now);
        if (times == null || times.size() < limit) {
            return Duration.ZERO;
        }
        // the wait ends when enough of the failures have left the window to be under the limit
        Instant freed = times.stream().skip(times.size() - limit).findFirst().orElseThrow();
        return Duration.between(now, freed.plus(WINDOW));
    }

    private Deque<Instant> expire(String key, Instant now) {
        Deque<Instant> times = failures.get(key);
        if (times == null) {
            return null;
        }
        while (!times.isEmpty() && !times.peekFirst().plus(WINDOW).isAfter(now)) {
            times.removeFirst();
        }
        if (times.isEmpty()) {
            failures.remove(key);
            return null;
        }
        return times;
    }

    private static boolean ipv4Mapped(byte[] address) {
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return false;
            }
        }
        return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
    }

    private static String pairKey(String address, String user) {
        return address + " user:" + user;
    }

    /** {@code ip:192.0.2.7}, or {@code ip:2001:db8:1:2::/64} for any address of that /64. */
    static String addressKey(String client) {
        Optional<byte[]> parsed = IpLiteral.parse(client);
        if (parsed.isPresent() && parsed.get().length == 16 && !ipv4Mapped(parsed.get())) {
            byte[] address = parsed.get();
            Arrays.fill(address, 8, 16, (byte) 0);
            return "ip:" + IpLiteral.format(address) + "/64";
        }
        return "ip:" + client;
    }
}
