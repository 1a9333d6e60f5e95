package net.gatehouse.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The meters of one name, one per combination of tag values, created on first use and then
 * looked up without locking. At most {@code limit} combinations are created; after that a new
 * combination is counted under its last tag value replaced by {@value #OTHER}, so a bug that
 * passes unbounded text (an address, a reply) cannot grow the registry or the scrape without end.
 * The overflow combinations themselves are few: their other tag values are a fixed vocabulary.
 */
final class MeterFamily<M> {

    static final String OTHER = "other";

    private final int limit;
    private final Function<List<String>, M> register;
    private final ConcurrentHashMap<List<String>, M> meters = new ConcurrentHashMap<>();
    private final AtomicInteger admitted = new AtomicInteger();

    /** {@code register} creates the meter for a list of tag values, in the family's tag order. */
    MeterFamily(int limit, Function<List<String>, M> register) {
        this.limit = limit;
        this.register = register;
    }

    M get(List<String> values) {
        M meter = meters.get(values);
        if (meter != null) {
            return meter;
        }
        meter = meters.computeIfAbsent(values, key -> admit() ? register.apply(key) : null);
        return meter != null ? meter : meters.computeIfAbsent(overflow(values), register);
    }

    private boolean admit() {
        return admitted.getAndUpdate(n -> n < limit ? n + 1 : n) < limit;
    }

    private static List<String> overflow(List<String> values) {
        List<String> key = new ArrayList<>(values);
        key.set(key.size() - 1, OTHER);
        return List.copyOf(key);
    }
}
