package net.gatehouse.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import net.gatehouse.config.RedisUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Change notifications between the nodes of a cluster over Redis pub/sub (SPEC §6), on the channel
 * {@code <prefix>changes}: {@link #changed} publishes a notice naming the kind of data changed (never
 * the data), and every node's subscriber calls its listener, which wakes the node's pollers of the
 * store. A node's own notices come back to it too; the poll then finds nothing new.
 *
 * <p>The subscriber holds a dedicated connection (a subscribed connection can do nothing else) on a
 * daemon thread. When Redis goes away it reconnects with back-off ({@value #FIRST_BACKOFF_MILLIS} ms
 * doubling up to {@value #MAX_BACKOFF_MILLIS} ms), and calls the listener once subscribed again:
 * changes made meanwhile were announced to nobody. A PING every {@link #KEEPALIVE} and a read
 * timeout of three times that notice a connection that died silently.
 *
 * <p>Publishing goes through the {@link RedisLink}, whose circuit answers at once while Redis is
 * down: a notice that cannot be sent is dropped, and the other nodes see the change at their next
 * poll (1 s for the policy, 2 s for the lists).
 */
public final class RedisChanges implements ChangeNotifier, AutoCloseable {

    /** The channel's name after the key prefix. */
    public static final String CHANNEL = "changes";
    static final Duration KEEPALIVE = Duration.ofSeconds(10);
    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private static final Logger log = LoggerFactory.getLogger(RedisChanges.class);

    private final RedisLink link;
    private final String channel;
    private final DefaultJedisClientConfig subscriberConfig;
    private final Consumer<String> listener;
    private final Thread subscriber;
    private final Thread keepalive;
    private final Subscription subscription = new Subscription();
    private volatile boolean closed;
    private volatile boolean subscribed;
    // the subscriber thread's own
    private boolean lost;
    private long backoff = FIRST_BACKOFF_MILLIS;

    /**
     * Starts the subscriber.
     *
     * @param link     publishes; its URL (host, port, TLS, user, prefix) is also the subscriber's
     * @param password the Redis password, as given to the link ({@link RedisLink#password})
     * @param listener called on the subscriber's thread with each notice's body; must not block
     *                 (it wakes pollers)
     */
    public RedisChanges(RedisLink link, Optional<String> password, String clientName, Duration timeout,
                        Consumer<String> listener) {
        RedisUrl url = link.url();
        this.link = link;
        this.channel = url.prefix() + CHANNEL;
        this.listener = listener;
        DefaultJedisClientConfig.Builder config = RedisLink.clientConfig(url, password, timeout)
                .socketTimeoutMillis((int) KEEPALIVE.multipliedBy(3).toMillis())
                .autoNegotiateProtocol(false) // a plain Jedis speaks RESP2; pub/sub needs nothing more
                .clientName(clientName.replaceAll("[^A-Za-z0-9._-]", "_") + "-changes");
        this.subscriberConfig = config.build();
        this.subscriber = Thread.ofPlatform().name("redis-changes").daemon().start(this::subscribeUntilClosed);
        this.keepalive = Thread.ofVirtual().name("redis-changes-keepalive").start(this::keepAlive);
    }

    /** Publishes a notice; never throws: a notice that cannot be sent is left to the pollers. */
    @Override
    public void changed(String what) {
        publish(link, what);
    }

    /**
     * Publishes a notice on the link's channel, without a subscriber (the command line's changes).
     *
     * @return whether Redis took it; never throws
     */
    public static boolean publish(RedisLink link, String what) {
        try {
            link.call(jedis -> jedis.publish(link.url().prefix() + CHANNEL, what));
            return true;
        } catch (RedisUnavailableException e) {
            log.debug("change_notice_not_sent what={} error=\"{}\"", what, e.getMessage());
            return false;
        }
    }

    /** Whether the subscriber is connected and subscribed (for tests and the log). */
    public boolean subscribed() {
        return subscribed;
    }

    private void subscribeUntilClosed() {
        RedisUrl url = link.url();
        while (!closed) {
            try (Jedis jedis = new Jedis(new HostAndPort(url.host(), url.port()), subscriberConfig)) {
                jedis.subscribe(subscription, channel); // returns when unsubscribed (close)
            } catch (JedisException | IllegalStateException e) {
                subscribed = false;
                if (closed) {
                    return;
                }
                if (!lost) {
                    log.warn("change_notices_lost cache={} error=\"{}\" note=\"other nodes' changes reach this node "
                            + "by polling the store until Redis answers again\"", url, e.getMessage());
                    lost = true;
                }
                if (!pause(backoff)) {
                    return;
                }
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
                continue;
            }
            subscribed = false;
        }
    }

    private void keepAlive() {
        while (!closed) {
            if (!pause(KEEPALIVE.toMillis())) {
                return;
            }
            if (subscribed) {
                try {
                    subscription.ping();
                } catch (JedisException | IllegalStateException e) {
                    // the subscriber's read fails too, and it reconnects
                }
            }
        }
    }

    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The subscription's callbacks, on the subscriber's thread. */
    private final class Subscription extends JedisPubSub {
        @Override
        public void onSubscribe(String subscribedChannel, int count) {
            if (closed) { // closed while this connection was being made
                unsubscribe();
                return;
            }
            subscribed = true;
            backoff = FIRST_BACKOFF_MILLIS;
            if (lost) {
                log.info("change_notices_resumed cache={}", link.url());
                lost = false;
            }
            // changes made while this node was not listening were announced to nobody
            listener.accept("resubscribed");
        }

        @Override
        public void onMessage(String fromChannel, String message) {
            listener.accept(message);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (subscription.isSubscribed()) {
                subscription.unsubscribe();
            }
        } catch (JedisException | IllegalStateException e) {
            // the connection is gone already
        }
        subscriber.interrupt();
        keepalive.interrupt();
    }
}
