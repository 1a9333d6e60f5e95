package net.gatehouse.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.cluster.RedisChanges;
import net.gatehouse.cluster.RedisLink;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.RedisUrl;

/**
 * The change notifications of one command (SPEC §6): the kinds of data the command changed,
 * collected as the administration reports them, and published once the command is done, when the
 * configuration names a shared Redis ({@code cache: redis://...}), so that the running gateways
 * look at the store now rather than at their next poll. When Redis cannot be reached the command
 * says so on standard error; the gateways then notice the change at their next poll (seconds).
 */
final class ChangeNotices implements ChangeNotifier, AutoCloseable {

    private final GatewayConfig config;
    private final Set<String> changed = new LinkedHashSet<>();

    ChangeNotices(GatewayConfig config) {
        this.config = config;
    }

    @Override
    public void changed(String what) {
        changed.add(what);
    }

    /** Publishes what changed, if anything and if there is a Redis to publish on. */
    @Override
    public void close() {
        if (changed.isEmpty() || !RedisUrl.isRedis(config.cache())) {
            return;
        }
        RedisUrl url = RedisUrl.parse(config.cache());
        boolean sent = true;
        try (RedisLink link = new RedisLink(url, RedisLink.password(url, System.getenv()), "gatehouse-cli",
                RedisLink.DEFAULT_TIMEOUT, RedisLink.DEFAULT_RETRY_AFTER, new SimpleMeterRegistry())) {
            for (String what : changed) {
                sent &= RedisChanges.publish(link, what);
            }
        } catch (IOException e) {
            System.err.println("gatehouse: note: " + e.getMessage());
            sent = false;
        }
        if (!sent) {
            System.err.println("gatehouse: note: the shared cache " + url + " did not answer; running gateways "
                    + "notice the change at their next poll of the store (within seconds)");
        }
    }
}
