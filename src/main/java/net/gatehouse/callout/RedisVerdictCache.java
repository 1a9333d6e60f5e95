package net.gatehouse.callout;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import net.gatehouse.callout.CalloutResult.Accepted;
import net.gatehouse.callout.CalloutResult.Rejected;
import net.gatehouse.callout.CalloutResult.TemporaryFailure;
import net.gatehouse.cluster.RedisLink;
import net.gatehouse.cluster.RedisScript;
import net.gatehouse.cluster.RedisUnavailableException;
import net.gatehouse.config.VerificationCacheConfig;
import net.gatehouse.smtp.protocol.Reply;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The verdict cache shared by the nodes of a cluster, in Redis (SPEC §6). Every method throws
 * {@link RedisUnavailableException} when Redis cannot answer: the gateway uses it through
 * {@link SharedVerdictCache}, which then falls back to the node's own cache.
 *
 * <p>Keys, under the configured prefix {@code P}:
 * <ul>
 * <li>{@code P verdict:ADDRESS}, a hash: {@code verdict} ({@code accepted}/{@code rejected}),
 *     {@code written} (epoch ms of the probe, by the prober's clock), {@code how}, and for a
 *     rejection the back-end's reply ({@code code}, {@code enhanced}, {@code text}); since the cache
 *     tools, also {@code node} (who probed) and {@code ms} (how long the probe took), and for an
 *     accept the back-end's reply as received ({@code reply}). Fields are only ever added: a
 *     version reads the entries of an older one (the missing fields as "not recorded") and an
 *     older one reads a newer one's (it ignores fields it does not know), so the nodes of a
 *     cluster upgraded one by one share one cache throughout. It expires
 *     when its lifetime ends ({@code positive_ttl}/{@code negative_ttl} at the time of writing); a
 *     lifetime shortened later applies at {@link #get}, a lengthened one only to new entries.
 * <li>{@code P probe:ADDRESS}: the claim of the node probing the address (a random token), set
 *     with {@code NX}, expiring after the callout budget and a second, so that a node that dies
 *     while probing holds nobody up for longer.
 * <li>{@code P probed:ADDRESS}: the temporary failure the last claim ended with, for the nodes
 *     that waited for it; a definite answer is read from the verdict itself.
 * </ul>
 *
 * <p>A node that finds the address claimed polls (one script per poll, every 5 to 50 ms) until the
 * claim ends, then takes the verdict or the temporary failure it left; a claim that expired
 * without either is taken over. Polling rather than pub/sub: it costs a Redis round trip per poll
 * only while two nodes meet on one new address, and needs no connection held per waiter.
 *
 * <p>The cache tools flush a domain or everything with {@code SCAN} over {@code P verdict:*@DOMAIN}
 * (or {@code P verdict:*}), deleting each batch as it comes: never {@code KEYS}, which blocks Redis
 * for every node while it walks the whole key space. A flush walks the key space once, in steps.
 *
 * <p>Not bounded by {@code max_entries}: Redis bounds its memory itself ({@code maxmemory}); all
 * keys carry an expiry, so {@code maxmemory-policy volatile-ttl} or {@code allkeys-lru} suits.
 */
public final class RedisVerdictCache implements VerdictCache {

    private static final Duration CLAIM_MARGIN = Duration.ofSeconds(1);
    private static final long FIRST_POLL_MILLIS = 5;
    private static final long MAX_POLL_MILLIS = 50;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Keys a SCAN step looks at: a step takes well under a millisecond of Redis's time. */
    private static final int SCAN_COUNT = 500;

    /** KEYS: verdict, claim, outcome. ARGV: token, claim ms, awaited token or "", known written ms or -1. */
    private static final RedisScript CLAIM = RedisScript.of("""
            local entry = redis.call('HGETALL', KEYS[1])
            for i = 1, #entry, 2 do
              if entry[i] == 'written' and tonumber(entry[i + 1]) > tonumber(ARGV[4]) then
                return {'answered', entry}
              end
            end
            if ARGV[3] ~= '' then
              local outcome = redis.call('GET', KEYS[3])
              if outcome then
                local newline = string.find(outcome, '\\n', 1, true)
                if newline and string.sub(outcome, 1, newline - 1) == ARGV[3] then
                  return {'failed', string.sub(outcome, newline + 1)}
                end
              end
            end
            local holder = redis.call('GET', KEYS[2])
            if holder == ARGV[1] then
              return {'granted'}
            end
            if holder then
              return {'busy', holder}
            end
            redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
            return {'granted'}
            """);

    /** KEYS: claim, outcome. ARGV: token, temporary failure or "", outcome ms. */
    private static final RedisScript RELEASE = RedisScript.of("""
            if ARGV[2] ~= '' then
              redis.call('SET', KEYS[2], ARGV[1] .. '\\n' .. ARGV[2], 'PX', ARGV[3])
            end
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('DEL', KEYS[1])
            end
            return 1
            """);

    /** KEYS: verdict. ARGV: lifetime ms, then field, value, ... */
    private static final RedisScript PUT = RedisScript.of("""
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], unpack(ARGV, 2))
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            return 1
            """);

    private final RedisLink redis;
    private final String prefix;
    private final Supplier<VerificationCacheConfig> settings;
    private final Clock clock;
    /** The claims this node holds, by address: at most one per probe in flight. */
    private final Map<String, String> claims = new ConcurrentHashMap<>();

    public RedisVerdictCache(RedisLink redis, Supplier<VerificationCacheConfig> settings, Clock clock) {
        this.redis = redis;
        this.prefix = redis.url().prefix();
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public Optional<Entry> get(String address) {
        Map<String, String> fields = redis.call(jedis -> jedis.hgetAll(verdictKey(address)));
        return entry(fields).filter(entry -> remaining(entry).isPositive());
    }

    @Override
    public void put(String address, Entry entry) {
        Duration remaining = remaining(entry);
        if (!remaining.isPositive()) {
            return;
        }
        List<String> args = new ArrayList<>(List.of(String.valueOf(remaining.toMillis()),
                "written", String.valueOf(entry.written().toEpochMilli()), "how", entry.verdict().how()));
        if (!entry.node().isEmpty()) {
            args.addAll(List.of("node", entry.node()));
        }
        if (entry.probeMillis() >= 0) {
            args.addAll(List.of("ms", String.valueOf(entry.probeMillis())));
        }
        switch (entry.verdict()) {
            case Accepted accepted when !accepted.backendReply().isEmpty() ->
                    args.addAll(List.of("verdict", "accepted", "reply", accepted.backendReply()));
            case Accepted accepted -> args.addAll(List.of("verdict", "accepted"));
            case Rejected rejected -> args.addAll(List.of("verdict", "rejected",
                    "code", String.valueOf(rejected.backendReply().code()),
                    "enhanced", rejected.backendReply().enhanced(),
                    "text", String.join("\n", rejected.backendReply().lines())));
            default -> throw new IllegalArgumentException("not a definite answer: " + entry.verdict());
        }
        redis.call(jedis -> PUT.run(jedis, List.of(verdictKey(address)), args));
    }

    @Override
    public void invalidate(String address) {
        redis.call(jedis -> jedis.del(verdictKey(address)));
    }

    @Override
    public long invalidateDomain(String asciiDomain) {
        return deleteMatching(verdictKey("*@" + glob(asciiDomain)));
    }

    @Override
    public long invalidateAll() {
        return deleteMatching(verdictKey("*"));
    }

    /** SCAN, never KEYS: each step is short, and other nodes' commands run between the steps. */
    private long deleteMatching(String pattern) {
        ScanParams params = new ScanParams().match(pattern).count(SCAN_COUNT);
        long deleted = 0;
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            String from = cursor;
            ScanResult<String> step = redis.call(jedis -> jedis.scan(from, params));
            List<String> keys = step.getResult();
            if (!keys.isEmpty()) {
                deleted += redis.call(jedis -> jedis.del(keys.toArray(String[]::new)));
            }
            cursor = step.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        return deleted;
    }

    /** The text with Redis's glob characters escaped, to match as it is. */
    private static String glob(String text) {
        return text.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }

    @Override
    public ProbeClaim claimProbe(String address, Optional<Instant> known, Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos();
        String token = token();
        List<String> keys = List.of(verdictKey(address), claimKey(address), outcomeKey(address));
        String claimMillis = String.valueOf(budget.plus(CLAIM_MARGIN).toMillis());
        String knownMillis = String.valueOf(known.map(Instant::toEpochMilli).orElse(-1L));
        String awaited = "";
        long pause = FIRST_POLL_MILLIS;
        while (true) {
            List<String> args = List.of(token, claimMillis, awaited, knownMillis);
            List<?> reply = (List<?>) redis.call(jedis -> CLAIM.run(jedis, keys, args));
            switch ((String) reply.get(0)) {
                case "granted" -> {
                    claims.put(address, token);
                    return ProbeClaim.GRANTED;
                }
                case "answered" -> {
                    Optional<Entry> entry = entry(fields((List<?>) reply.get(1)));
                    if (entry.isPresent()) {
                        return new ProbeClaim.AnsweredElsewhere(entry.get().verdict());
                    }
                }
                case "failed" -> {
                    return new ProbeClaim.AnsweredElsewhere(new TemporaryFailure((String) reply.get(1), "probe"));
                }
                case "busy" -> awaited = (String) reply.get(1);
                default -> throw new IllegalStateException("unexpected reply from the claim script: " + reply);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return new ProbeClaim.PendingElsewhere();
            }
            try {
                Thread.sleep(Math.min(pause, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new ProbeClaim.PendingElsewhere();
            }
            pause = Math.min(MAX_POLL_MILLIS, pause * 2);
        }
    }

    @Override
    public void releaseProbe(String address, CalloutResult outcome) {
        String token = claims.remove(address);
        if (token == null) {
            return;
        }
        String failure = outcome instanceof TemporaryFailure temporary ? temporary.reason() : "";
        String outcomeMillis = String.valueOf(CLAIM_MARGIN.multipliedBy(10).toMillis());
        redis.call(jedis -> RELEASE.run(jedis, List.of(claimKey(address), outcomeKey(address)),
                List.of(token, failure, outcomeMillis)));
    }

    private String verdictKey(String address) {
        return prefix + "verdict:" + address;
    }

    private String claimKey(String address) {
        return prefix + "probe:" + address;
    }

    private String outcomeKey(String address) {
        return prefix + "probed:" + address;
    }

    private Duration remaining(Entry entry) {
        return entry.lifetime(settings.get()).minus(entry.age(clock.instant()));
    }

    private static Map<String, String> fields(List<?> flat) {
        Map<String, String> fields = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            fields.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        }
        return fields;
    }

    /** The entry a hash holds; empty for none, or for one this version cannot read (treated as a miss). */
    static Optional<Entry> entry(Map<String, String> fields) {
        if (fields == null || fields.isEmpty()) {
            return Optional.empty();
        }
        try {
            Instant written = Instant.ofEpochMilli(Long.parseLong(fields.get("written")));
            String how = fields.getOrDefault("how", "");
            String node = fields.getOrDefault("node", "");
            long probeMillis = fields.containsKey("ms") ? Long.parseLong(fields.get("ms")) : -1;
            return switch (fields.getOrDefault("verdict", "")) {
                case "accepted" -> Optional.of(new Entry(new Accepted(how, fields.getOrDefault("reply", "")), written,
                        node, probeMillis));
                case "rejected" -> Optional.of(new Entry(new Rejected(new Reply(Integer.parseInt(fields.get("code")),
                        fields.getOrDefault("enhanced", ""), List.of(fields.getOrDefault("text", "").split("\n", -1))), how),
                        written, node, probeMillis));
                default -> Optional.empty();
            };
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String token() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
