package net.gatehouse.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The gateway's Prometheus metrics (SPEC §7): one registry per running gateway, created here and
 * handed by the {@code Gateway} to the components that count. The recording methods are meant for
 * hot paths: no I/O, no locks once a tag combination has been seen, and every tagged meter family
 * is bounded (a combination beyond the bound is counted with its last tag value {@code other}).
 *
 * <p>Tag values are the short words the code already uses in its log lines ({@code relay_denied},
 * {@code max_connections_per_ip}, {@code sent}), never addresses, hosts or reply text.
 *
 * <p>Components with meters of their own (the verdict cache, the callout verifier) register them
 * on {@link #registry()}.
 */
public final class GatewayMetrics {

    /** The media type of {@link #scrape()}: the Prometheus text exposition format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    static final int MAX_VERDICT_COMBINATIONS = 200;
    static final int MAX_VALUES_PER_TAG = 20;
    private static final Set<String> VERDICTS = Set.of("accept", "tempfail", "reject", "would_reject");
    private static final List<String> DELIVERY_RESULTS = List.of("sent", "deferred", "bounced");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final AtomicBoolean queueRegistered = new AtomicBoolean();
    private final Counter connections;
    private final Counter messagesAccepted;
    private final DistributionSummary messageSize;
    private final MeterFamily<Counter> refusedConnections;
    private final MeterFamily<Counter> verdicts;
    private final MeterFamily<Counter> refusedMessages;
    private final MeterFamily<Timer> dnsLookups;
    private final MeterFamily<Counter> deliveries;

    public GatewayMetrics() {
        connections = Counter.builder("gatehouse.smtp.connections")
                .description("SMTP connections accepted by the listeners, refused ones included")
                .register(registry);
        Gauge.builder("gatehouse.smtp.connections.active", activeConnections, AtomicInteger::get)
                .description("SMTP connections open now")
                .strongReference(true)
                .register(registry);
        refusedConnections = new MeterFamily<>(MAX_VALUES_PER_TAG, tags -> Counter.builder("gatehouse.smtp.connections.refused")
                .description("SMTP connections refused with 421 because a connection limit was reached")
                .tag("limit", tags.get(0))
                .register(registry));
        verdicts = new MeterFamily<>(MAX_VERDICT_COMBINATIONS, tags -> Counter.builder("gatehouse.rcpt.verdicts")
                .description("RCPT TO verdicts by verdict and reason")
                .tag("verdict", tags.get(0))
                .tag("reason", tags.get(1))
                .register(registry));
        messagesAccepted = Counter.builder("gatehouse.messages.accepted")
                .description("Messages spooled and acknowledged with 250")
                .register(registry);
        messageSize = DistributionSummary.builder("gatehouse.messages.accepted.size")
                .description("Size of accepted messages as spooled")
                .baseUnit("bytes")
                .serviceLevelObjectives(16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20)
                .register(registry);
        refusedMessages = new MeterFamily<>(MAX_VALUES_PER_TAG, tags -> Counter.builder("gatehouse.messages.refused")
                .description("Messages refused at the end of DATA")
                .tag("reason", tags.get(0))
                .register(registry));
        dnsLookups = new MeterFamily<>(MAX_VALUES_PER_TAG, tags -> Timer.builder("gatehouse.dns.latency")
                .description("Time to answer one DNS question of the gateway (MX with its addresses)")
                .tag("result", tags.get(0))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry));
        deliveries = new MeterFamily<>(MAX_VALUES_PER_TAG, tags -> Counter.builder("gatehouse.deliveries")
                .description("Per-recipient delivery attempt results")
                .tag("result", tags.get(0))
                .register(registry));
        // Present at 0 from the start, so that rate() and alerts work before the first delivery.
        DELIVERY_RESULTS.forEach(result -> deliveries.get(List.of(result)));

        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** The registry, for components that register meters of their own. */
    /** SMTP connections accepted since start. */
    public long connectionsTotal() {
        return (long) connections.count();
    }

    /** SMTP sessions open now. */
    public int connectionsActive() {
        return activeConnections.get();
    }

    /** Messages acknowledged with 250 since start. */
    public long messagesAcceptedTotal() {
        return (long) messagesAccepted.count();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A client connected (before the connection limits are applied). */
    public void connectionOpened() {
        connections.increment();
        activeConnections.incrementAndGet();
    }

    /** A connection counted by {@link #connectionOpened()} ended, however it ended. */
    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    /** A connection was refused because of {@code limit} ({@code max_connections}, {@code max_connections_per_ip}). */
    public void connectionRefused(String limit) {
        refusedConnections.get(List.of(word(limit))).increment();
    }

    /**
     * One RCPT TO answered.
     *
     * @param verdict {@code accept}, {@code tempfail}, {@code reject} or {@code would_reject} (observe mode:
     *                accepted, but verification would have refused it); anything else is counted as {@code other}
     * @param reason  the verdict's reason word ({@code relay_denied}, {@code mailbox_unknown}, ...)
     */
    public void recipient(String verdict, String reason) {
        String kind = verdict != null && VERDICTS.contains(verdict) ? verdict : MeterFamily.OTHER;
        verdicts.get(List.of(kind, word(reason))).increment();
    }

    /** A message was committed to the spool and acknowledged; {@code bytes} as spooled. */
    public void messageAccepted(long bytes) {
        messagesAccepted.increment();
        messageSize.record(bytes);
    }

    /** A message was refused after DATA ({@code size}, {@code bare_line_ending}, {@code spool_write}...). */
    public void messageRefused(String reason) {
        refusedMessages.get(List.of(word(reason))).increment();
    }

    /** One DNS question took {@code elapsed}; {@code result} is a word such as {@code found} or {@code tempfail}. */
    public void dnsLookup(Duration elapsed, String result) {
        dnsLookups.get(List.of(word(result))).record(elapsed);
    }

    /** One recipient's delivery attempt ended: {@code sent}, {@code deferred} or {@code bounced}. */
    public void delivery(String result) {
        deliveries.get(List.of(word(result))).increment();
    }

    /**
     * Registers the queue gauges, read at every scrape: messages waiting or being attempted, and
     * the age in seconds of the oldest of them (0 when the queue is empty). The suppliers must be
     * cheap and must not block.
     *
     * @throws IllegalStateException if the queue gauges are already registered
     */
    public void queue(Supplier<Number> size, Supplier<Number> oldestAgeSeconds) {
        if (!queueRegistered.compareAndSet(false, true)) {
            throw new IllegalStateException("the queue gauges are already registered");
        }
        Gauge.builder("gatehouse.queue.size", size)
                .description("Messages in the queue: waiting for a retry or being attempted")
                .strongReference(true)
                .register(registry);
        Gauge.builder("gatehouse.queue.oldest.age", oldestAgeSeconds)
                .description("Time since the oldest message in the queue was accepted")
                .baseUnit("seconds")
                .strongReference(true)
                .register(registry);
    }

    /**
     * Registers {@code gatehouse_cache_degraded}: 1 while the shared cache (Redis) is unavailable
     * and this node uses its own verification cache and harvest counts, else 0 (always 0 with
     * {@code cache: local}).
     */
    public void cacheDegraded(BooleanSupplier degraded) {
        Gauge.builder("gatehouse.cache.degraded", degraded, d -> d.getAsBoolean() ? 1 : 0)
                .description("1 while the shared cache (Redis) is unavailable and this node uses its own, else 0")
                .strongReference(true)
                .register(registry);
    }

    /**
     * Registers {@code gatehouse_store_degraded}: 1 while the PostgreSQL store cannot be reached
     * and this node runs on the policy and lists it loaded last, with a read-only console, else 0
     * (always 0 with the embedded store).
     */
    public void storeDegraded(BooleanSupplier degraded) {
        Gauge.builder("gatehouse.store.degraded", degraded, d -> d.getAsBoolean() ? 1 : 0)
                .description("1 while the store (PostgreSQL) cannot be reached and this node runs on what it loaded last, else 0")
                .strongReference(true)
                .register(registry);
    }

    /**
     * Registers {@code gatehouse_message_log_dropped_total}: message-log entries dropped because
     * the log's buffer was full (the store not keeping up, or away) or the log closed.
     */
    public void messageLogDropped(Supplier<Number> dropped) {
        FunctionCounter.builder("gatehouse.message.log.dropped", dropped, d -> d.get().doubleValue())
                .description("Message-log entries dropped: the buffer was full while the store failed or lagged")
                .register(registry);
    }

    /** Every meter in the Prometheus text exposition format ({@link #CONTENT_TYPE}). */
    public String scrape() {
        return registry.scrape();
    }

    private static String word(String value) {
        return value == null || value.isBlank() ? "none" : value;
    }
}
