package net.gatehouse;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.LocalVerdictCache;
import java.util.Map;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.directory.ValidListDirectory;
import net.gatehouse.store.Database;
import net.gatehouse.store.MessageLog;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.metrics.HealthServer;
import net.gatehouse.policy.HarvestGuard;
import net.gatehouse.policy.LocalHarvestCounters;
import net.gatehouse.policy.Policy;
import net.gatehouse.policy.RecipientPolicy;
import net.gatehouse.queue.DeliveryAgent;
import net.gatehouse.queue.Spool;
import net.gatehouse.smtp.server.SmtpServer;
import net.gatehouse.tls.TlsConfigException;
import net.gatehouse.tls.TlsContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that wires Gatehouse together and owns the order of start-up and shutdown:
 * spool recovered before delivery starts, delivery running before the SMTP port opens; on stop,
 * the port closes first, sessions drain, then delivery stops.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig config;
    private final AtomicReference<Policy> policy;
    private final Spool spool;
    private final DeliveryAgent delivery;
    private final SmtpServer smtp;
    private final CalloutVerifier callout;
    private final Database database;
    private final ValidListDirectory validLists;
    private final MessageLog messageLog;
    private final GatewayMetrics metrics = new GatewayMetrics();
    private volatile boolean ready;
    private HealthServer health;
    private final FileChannel lockFile;
    private final FileLock lock;

    public Gateway(GatewayConfig config, Clock clock) throws IOException, TlsConfigException {
        this.config = config;
        Files.createDirectories(config.dataDir());
        this.lockFile = FileChannel.open(config.dataDir().resolve("gatehouse.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        this.lock = lockFile.tryLock();
        if (lock == null) {
            lockFile.close();
            throw new IOException("another Gatehouse is running with data_dir " + config.dataDir());
        }
        this.policy = new AtomicReference<>(config.policy().map(Policy::from).orElse(Policy.EMPTY));
        if (config.policy().isEmpty()) {
            log.warn("policy_missing: no protected domains and no trusted networks; every recipient is refused as relaying");
        }
        Optional<SSLContext> tls = config.smtp().tls().isPresent()
                ? Optional.of(TlsContexts.server(config.smtp().tls().get())) : Optional.empty();
        this.spool = new Spool(config.dataDir().resolve("spool"), config.smtp().minFreeSpace());
        this.database = Database.open(config.store(), config.dataDir());
        this.validLists = ValidListDirectory.start(new ValidRecipientStore(database), config.policy().map(PolicyConfig::validRecipientsByDomain).orElse(Map.of()),
                ValidListDirectory.DEFAULT_POLL_INTERVAL);
        this.messageLog = MessageLog.start(database, MessageLog.Settings.defaults(config.messageLogRetention()), clock);
        MxResolver mx = new MxResolver(config.dns());
        this.delivery = new DeliveryAgent(spool, policy::get, mx, config.delivery(),
                config.hostname(), TlsContexts.opportunisticClient(), clock, metrics, messageLog);
        metrics.queue(delivery::size, delivery::oldestAgeSeconds);
        HarvestGuard harvest = new HarvestGuard(() -> policy.get().harvest(), new LocalHarvestCounters(clock),
                metrics.registry());
        this.callout = new CalloutVerifier(config.callout(), config.hostname(), () -> policy.get().cache(),
                new LocalVerdictCache(() -> policy.get().cache(), clock), metrics.registry(), clock);
        this.smtp = new SmtpServer(config.hostname(), config.smtp(), tls, new RecipientPolicy(policy::get, mx, callout,
                domain -> validLists.list(domain.name())), harvest, spool, delivery::submit, clock, metrics, messageLog);
    }



    public void start() throws IOException {
        if (config.console().listen().isPresent()) {
            health = HealthServer.start(config.console().listen().get().toSocketAddress(), metrics, () -> ready);
        }
        delivery.start(spool.recover());
        smtp.start();
        ready = true;
        Policy current = policy.get();
        log.info("gateway_started hostname={} protected_domains={} trusted_networks={} tls={}",
                config.hostname(), current.domains().keySet(), current.trustedNetworks().networks().size(),
                config.smtp().tls().isPresent() ? "yes" : "no");
    }

    public List<InetSocketAddress> smtpAddresses() {
        return smtp.boundAddresses();
    }

    public Spool spool() {
        return spool;
    }

    public DeliveryAgent delivery() {
        return delivery;
    }

    /** Protected domains whose back-end accepts any address (verification against it proves nothing). */
    public java.util.Set<String> catchAllDomains() {
        return callout.catchAllDomains();
    }

    public MessageLog messageLog() {
        return messageLog;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /** Drains and stops: no new connections, sessions finish within the grace period, delivery stops. */
    @Override
    public void close() {
        ready = false; // load balancers stop sending before the port closes
        log.info("gateway_stopping grace={}", config.smtp().shutdownGrace());
        smtp.drain(config.smtp().shutdownGrace());
        delivery.stop(config.smtp().shutdownGrace());
        callout.close();
        messageLog.close();
        validLists.close();
        database.close();
        try {
            lock.release();
            lockFile.close();
        } catch (IOException ignored) {
            // the process is going away; the lock goes with it
        }
        if (health != null) {
            health.close();
        }
        log.info("gateway_stopped");
    }
}
