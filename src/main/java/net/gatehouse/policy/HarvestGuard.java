package net.gatehouse.policy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.Inet4Address;
import java.net.InetAddress;
import net.gatehouse.config.Cidr;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import net.gatehouse.config.HarvestConfig;

/**
 * Directory-harvest protection (SPEC §3): a client that asks for many recipients that do not exist
 * is first slowed down, then refused.
 *
 * <p>The policy calls {@link #unknownRecipient} for each {@code 550 5.1.1} "no such user" verdict
 * (not for relay denials or syntax errors: those reveal nothing about the directory). With
 * {@code n} the client's unknown recipients within {@code window}, this one included:
 * <ul>
 *   <li>{@code n <= tarpit_after}: {@link Decision.Proceed};
 *   <li>{@code tarpit_after < n < block_after}: {@link Decision.Tarpit}, the session waits
 *       {@code tarpit_delay × (n − tarpit_after)} before it replies, at most {@value #MAX_TARPIT_SECONDS} s
 *       (or {@code tarpit_delay} if that is longer). The delay grows so that harvesting costs more the
 *       longer it goes on, while a sender with a few stale addresses barely notices; the cap keeps each
 *       reply well inside the 5 minutes a client waits for a RCPT reply (RFC 5321 4.5.3.2.3).
 *       With the defaults: 2, 4, ... 28, then 30 s, about 6 minutes before the block;
 *   <li>{@code n >= block_after}: {@link Decision.Block}: the session answers {@code 421 4.7.0} and
 *       disconnects, and {@link #isBlocked} refuses the client at connect for {@code block_for}.
 * </ul>
 * {@code block_after} 0 turns the guard off: nothing is counted and nobody is blocked; {@code tarpit_delay}
 * 0 turns the tarpit off.
 *
 * <p>Past {@code tarpit_after}, the guard also spares the back-end ({@link #sparesBackend}): the
 * client's RCPTs that would need a callout probe are deferred instead ({@code harvest_deferred},
 * {@code 451 4.4.3}), and counted here as unknown recipients, so that the harvest still ends in the
 * block. Addresses answerable from the verification cache are answered from it.
 *
 * <p>Settings are read on every call, so a policy change applies to the next recipient.
 */
public final class HarvestGuard {

    static final int MAX_TARPIT_SECONDS = 30;
    static final Duration MAX_TARPIT = Duration.ofSeconds(MAX_TARPIT_SECONDS);

    private final Supplier<HarvestConfig> settings;
    private final HarvestCounters counters;
    private final Counter blocks;
    private final Counter tarpits;

    public HarvestGuard(Supplier<HarvestConfig> settings, HarvestCounters counters, MeterRegistry meters) {
        this.settings = settings;
        this.counters = counters;
        this.blocks = Counter.builder("gatehouse.harvest.blocks")
                .description("Unknown recipients answered 421 4.7.0 and disconnected for directory harvesting")
                .register(meters);
        this.tarpits = Counter.builder("gatehouse.harvest.tarpits")
                .description("Unknown-recipient replies delayed for directory harvesting")
                .register(meters);
    }

    /** What the session does after an unknown recipient, before or instead of replying. */
    public sealed interface Decision {

        Decision PROCEED = new Proceed();

        /** Reply at once. */
        record Proceed() implements Decision {
        }

        /** Wait {@code delay}, then reply. */
        record Tarpit(Duration delay) implements Decision {
        }

        /** Answer {@code 421 4.7.0} and disconnect; the client is refused at connect until {@code until}. */
        record Block(Instant until) implements Decision {
        }
    }

    /** Records one recipient rejected as not existing, for {@code client}, and says what to do. */
    public Decision unknownRecipient(InetAddress client) {
        HarvestConfig config = settings.get();
        if (config.blockAfter() == 0) {
            return Decision.PROCEED;
        }
        String key = clientKey(client);
        int count = counters.record(key, config.window(), config.blockAfter());
        if (count >= config.blockAfter()) {
            blocks.increment();
            return new Decision.Block(counters.block(key, config.blockFor()));
        }
        if (count > config.tarpitAfter() && config.tarpitDelay().isPositive()) {
            tarpits.increment();
            return new Decision.Tarpit(tarpitDelay(config, count));
        }
        return Decision.PROCEED;
    }

    /**
     * Whether {@code client} is past {@code tarpit_after} now: its RCPTs are then answered from
     * what is known without asking a back-end (cache, valid list, directory snapshot), and the
     * rest deferred (SPEC §3): a dictionary attack on the gateway must not become one on
     * the back-end. From the same count as the tarpit, and whatever {@code tarpit_delay} (0 turns
     * the delay off, not this). Asked only when a callout would probe.
     */
    public boolean sparesBackend(InetAddress client) {
        HarvestConfig config = settings.get();
        return config.blockAfter() != 0 && counters.count(clientKey(client), config.window()) > config.tarpitAfter();
    }

    /** Whether {@code client} is refused at connect (checked once per connection). */
    public boolean isBlocked(InetAddress client) {
        return blockedUntil(client).isPresent();
    }

    /** When the block on {@code client} ends, if one is in force (for the connect log line). */
    public Optional<Instant> blockedUntil(InetAddress client) {
        if (settings.get().blockAfter() == 0) {
            return Optional.empty();
        }
        return counters.blockedUntil(clientKey(client));
    }

    /** The client's unknown recipients within the window now (for {@code gatehouse check} and tests). */
    public int unknownRecipients(InetAddress client) {
        HarvestConfig config = settings.get();
        return config.blockAfter() == 0 ? 0 : counters.count(clientKey(client), config.window());
    }

    /**
     * The unit a client is counted as: its IPv4 address ({@code 192.0.2.1}; an IPv4-mapped IPv6
     * address, as a dual-stack socket reports it, counts as the IPv4 one), or its IPv6 /64
     * ({@code 2001:db8:1:2::/64}).
     *
     * <p>Why the /64: the interface identifier is the low 64 bits (RFC 4291 2.5.1), every customer
     * gets at least a /64 (RFC 6177 suggests /56 or /48), and a host may take any address in it at
     * will (temporary addresses, RFC 8981). Counted per address, one harvester would rotate through
     * 2^64 fresh counters; a /64 is the smallest unit it cannot leave without more address space. A
     * holder of a wider prefix can still spread over its /64s; counting /48s instead would make
     * unrelated customers of one provider share a block.
     */
    public static String clientKey(InetAddress client) {
        byte[] bytes = Cidr.unmapped(client);
        if (bytes.length == 4) {
            return client instanceof Inet4Address ? client.getHostAddress()
                    : (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
        }
        StringBuilder key = new StringBuilder(24);
        for (int i = 0; i < 8; i += 2) {
            key.append(Integer.toHexString((bytes[i] & 0xff) << 8 | bytes[i + 1] & 0xff)).append(':');
        }
        return key.append(":/64").toString();
    }

    static Duration tarpitDelay(HarvestConfig config, int count) {
        Duration step = config.tarpitDelay();
        Duration cap = step.compareTo(MAX_TARPIT) > 0 ? step : MAX_TARPIT;
        long steps = (long) count - config.tarpitAfter();
        // Compared before multiplying, so that a large count cannot overflow the Duration.
        return steps >= cap.dividedBy(step) ? cap : step.multipliedBy(steps);
    }
}
