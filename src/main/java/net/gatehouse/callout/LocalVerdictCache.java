package net.gatehouse.callout;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import net.gatehouse.config.VerificationCacheConfig;

/**
 * The verdict cache of a single node, in memory: at most {@code max_entries} addresses (Caffeine
 * evicts the least useful first), each dropped when its lifetime is over. Lifetimes and the bound
 * are read from the current settings, so a policy change applies without a restart; a shorter
 * lifetime applies to entries already cached.
 */
public final class LocalVerdictCache implements VerdictCache {

    private final Supplier<VerificationCacheConfig> settings;
    private final Clock clock;
    private final Cache<String, Entry> entries;

    public LocalVerdictCache(Supplier<VerificationCacheConfig> settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        // Caffeine frees the memory on its own ticker; get() judges lifetimes by the clock, as the
        // write times are wall-clock instants (comparable across nodes, and faked in tests).
        this.entries = Caffeine.newBuilder()
                .maximumSize(settings.get().maxEntries())
                .expireAfter(Expiry.writing((String address, Entry entry) -> remaining(entry)))
                .build();
    }

    @Override
    public Optional<Entry> get(String address) {
        Entry entry = entries.getIfPresent(address);
        return entry == null || remaining(entry).isZero() ? Optional.empty() : Optional.of(entry);
    }

    @Override
    public void put(String address, Entry entry) {
        long bound = settings.get().maxEntries();
        entries.policy().eviction()
                .filter(eviction -> eviction.getMaximum() != bound)
                .ifPresent(eviction -> eviction.setMaximum(bound));
        entries.put(address, entry);
    }

    @Override
    public void invalidate(String address) {
        entries.invalidate(address);
    }

    @Override
    public long invalidateDomain(String asciiDomain) {
        String suffix = "@" + asciiDomain;
        List<String> matching = entries.asMap().keySet().stream().filter(address -> address.endsWith(suffix)).toList();
        entries.invalidateAll(matching);
        return matching.size();
    }

    @Override
    public long invalidateAll() {
        long before = entries.asMap().size();
        entries.invalidateAll();
        return before;
    }

    private Duration remaining(Entry entry) {
        Duration remaining = entry.lifetime(settings.get()).minus(entry.age(clock.instant()));
        return remaining.isNegative() ? Duration.ZERO : remaining;
    }
}
