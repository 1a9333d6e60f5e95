package net.gatehouse.web;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Limits failed logins: at most {@link #MAX_FAILURES} in {@link #WINDOW} per client address and per
 * user name (so that neither one address guessing many users nor many addresses guessing one user
 * get far). Past the limit, logins from that address or for that user are refused until the oldest
 * failure leaves the window, whether the password is right or not. Bounded: the oldest keys are
 * forgotten beyond {@link #MAX_KEYS}.
 */
final class LoginThrottle {

    static final int MAX_FAILURES = 5;
    static final Duration WINDOW = Duration.ofMinutes(5);
    private static final int MAX_KEYS = 10_000;

    private final Clock clock;
    private final Map<String, Deque<Instant>> failures = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Instant>> eldest) {
            return size() > MAX_KEYS;
        }
    };

    LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long the client or the user must wait before trying again; zero if they may try now. */
    synchronized Duration wait(String client, String user) {
        Instant now = clock.instant();
        Duration a = waitFor("ip:" + client, now);
        Duration b = waitFor("user:" + user, now);
        return a.compareTo(b) >= 0 ? a : b;
    }

    synchronized void failed(String client, String user) {
        Instant now = clock.instant();
        failures.computeIfAbsent("ip:" + client, k -> new ArrayDeque<>()).addLast(now);
        failures.computeIfAbsent("user:" + user, k -> new ArrayDeque<>()).addLast(now);
    }

    synchronized void succeeded(String user) {
        failures.remove("user:" + user);
    }

    private Duration waitFor(String key, Instant now) {
        Deque<Instant> times = failures.get(key);
        if (times == null) {
            return Duration.ZERO;
        }
        while (!times.isEmpty() && !times.peekFirst().plus(WINDOW).isAfter(now)) {
            times.removeFirst();
        }
        if (times.isEmpty()) {
            failures.remove(key);
            return Duration.ZERO;
        }
        return times.size() < MAX_FAILURES ? Duration.ZERO : Duration.between(now, times.peekFirst().plus(WINDOW));
    }
}
