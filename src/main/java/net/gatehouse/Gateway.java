package net.gatehouse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.LocalVerdictCache;
import net.gatehouse.callout.RedisVerdictCache;
import net.gatehouse.callout.SharedVerdictCache;
import net.gatehouse.callout.VerdictCache;
import net.gatehouse.cluster.ChangeNotifier;
import net.gatehouse.cluster.RedisChanges;
import net.gatehouse.cluster.RedisLink;
import net.gatehouse.config.RedisUrl;
import java.util.Map;
import net.gatehouse.admin.Administration;
import net.gatehouse.admin.DirectorySettings;
import net.gatehouse.admin.DirectorySyncs;
import net.gatehouse.admin.PolicySettings;
import net.gatehouse.admin.ProtectedDomains;
import net.gatehouse.admin.QueueActions;
import net.gatehouse.admin.Tokens;
import net.gatehouse.admin.TrustedNetworkList;
import net.gatehouse.admin.Users;
import net.gatehouse.admin.ValidLists;
import net.gatehouse.admin.VerdictCacheTools;
import net.gatehouse.config.ConfigChanges;
import net.gatehouse.config.ConfigException;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.config.PolicyConfig;
import net.gatehouse.directory.Directories;
import net.gatehouse.directory.DirectoryStatus;
import net.gatehouse.directory.ValidListDirectory;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.policy.HarvestCounters;
import net.gatehouse.policy.HarvestGuard;
import net.gatehouse.policy.LivePolicy;
import net.gatehouse.policy.LocalHarvestCounters;
import net.gatehouse.policy.Policy;
import net.gatehouse.policy.RcptPath;
import net.gatehouse.policy.RecipientPolicy;
import net.gatehouse.policy.RedisHarvestCounters;
import net.gatehouse.policy.SharedHarvestCounters;
import net.gatehouse.queue.DeliveryScheduler;
import net.gatehouse.queue.Spool;
import net.gatehouse.smtp.server.SmtpServer;
import net.gatehouse.store.Actor;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.Database;
import net.gatehouse.store.Heartbeat;
import net.gatehouse.store.DirectorySnapshotStore;
import net.gatehouse.store.MessageLog;
import net.gatehouse.store.NodeTable;
import net.gatehouse.store.PolicyStore;
import net.gatehouse.store.StoreException;
import net.gatehouse.store.ValidRecipientStore;
import net.gatehouse.tls.TlsConfigException;
import net.gatehouse.tls.TlsContexts;
import net.gatehouse.users.Passwords;
import net.gatehouse.users.Role;
import net.gatehouse.web.Console;
import net.gatehouse.web.ConsoleParts;
import net.gatehouse.web.ConsoleServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that wires Gatehouse together and owns the order of start-up and shutdown:
 * spool recovered before delivery starts, delivery running before the SMTP port opens; on stop,
 * the port closes first, sessions drain, then delivery stops.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    private static final String FIRST_ADMIN = "admin";
    /** How often a node writes its row in the store's node table (SPEC §6). */
    public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(5);

    /**
     * How often the store is polled for changes made elsewhere (other nodes, the CLI): the fallback
     * for the change notifications of a cluster, which wake the pollers at once.
     */
    public record Polling(Duration policy, Duration validLists) {
        /** The policy every second, the valid lists every two seconds. */
        public static final Polling DEFAULT = new Polling(Duration.ofSeconds(1), ValidListDirectory.DEFAULT_POLL_INTERVAL);
    }

    private volatile GatewayConfig config; // replaced by a reload: the configuration in force
    private final LivePolicy policy;
    private final RcptPath rcptPath;
    private final ValidRecipientStore validRecipientStore;
    private final Spool spool;
    private final DeliveryScheduler delivery;
    private final SmtpServer smtp;
    private final Database database;
    private final MessageLog messageLog;
    private final Optional<RedisLink> redis;
    /** Change notifications between the nodes (SPEC §6), with a shared Redis. */
    private final Optional<RedisChanges> changes;
    private final GatewayMetrics metrics = new GatewayMetrics();
    private volatile boolean ready;
    private final Clock clock;
    private final NodeTable nodes;
    private final Duration heartbeatInterval;
    private volatile Instant startedAt;
    private Heartbeat heartbeat;
    private ConsoleServer console;
    private final FileChannel lockFile;
    private final FileLock lock;

    public Gateway(GatewayConfig config, Clock clock) throws IOException, TlsConfigException {
        this(config, clock, Polling.DEFAULT, HEARTBEAT_INTERVAL);
    }

    /** As above, with another heartbeat interval: tests let a stopped node turn stale within seconds. */
    public Gateway(GatewayConfig config, Clock clock, Duration heartbeatInterval) throws IOException, TlsConfigException {
        this(config, clock, Polling.DEFAULT, heartbeatInterval);
    }

    /** As above, polling the store as given (tests: a long interval shows what the notices do). */
    public Gateway(GatewayConfig config, Clock clock, Polling polling) throws IOException, TlsConfigException {
        this(config, clock, polling, HEARTBEAT_INTERVAL);
    }

    /** As above, with both: the store polled as given, the heartbeat at the interval given. */
    public Gateway(GatewayConfig config, Clock clock, Polling polling, Duration heartbeatInterval)
            throws IOException, TlsConfigException {
        this.config = config;
        this.clock = clock;
        this.heartbeatInterval = heartbeatInterval;
        Files.createDirectories(config.dataDir());
        this.lockFile = FileChannel.open(config.dataDir().resolve("gatehouse.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        this.lock = lockFile.tryLock();
        if (lock == null) {
            lockFile.close();
            throw new IOException("another Gatehouse is running with data_dir " + config.dataDir());
        }
        Optional<SSLContext> tls = config.smtp().tls().isPresent()
                ? Optional.of(TlsContexts.server(config.smtp().tls().get())) : Optional.empty();
        this.spool = new Spool(config.dataDir().resolve("spool"), config.smtp().minFreeSpace());
        this.database = Database.open(config.store(), config.dataDir());
        try {
            this.policy = LivePolicy.start(config.policy(), new PolicyStore(database), clock, polling.policy());
        } catch (ConfigException e) {
            database.close();
            throw new StoreException("the policy in " + database + " is not valid (" + e.getMessage()
                    + "); fix it with gatehouse policy export/import", e);
        }
        Policy initial = policy.current();
        if (initial.domains().isEmpty() && initial.trustedNetworks().networks().isEmpty()) {
            log.warn("policy_missing: no protected domains and no trusted networks; every recipient is refused "
                    + "as relaying until some are added (configuration file, console or API)");
        }
        this.validRecipientStore = new ValidRecipientStore(database);
        this.nodes = new NodeTable(database);
        MxResolver mx = new MxResolver(config.dns());
        Optional<String> redisPassword = RedisUrl.isRedis(config.cache())
                ? RedisLink.password(RedisUrl.parse(config.cache()), System.getenv()) : Optional.empty();
        this.redis = RedisUrl.isRedis(config.cache()) ? Optional.of(openRedis(config, redisPassword, metrics))
                : Optional.empty();
        VerdictCache verdicts = new LocalVerdictCache(() -> policy.current().cache(), clock);
        HarvestCounters counters = new LocalHarvestCounters(clock);
        if (redis.isPresent()) {
            verdicts = new SharedVerdictCache(new RedisVerdictCache(redis.get(), () -> policy.current().cache(), clock),
                    verdicts);
            counters = new SharedHarvestCounters(new RedisHarvestCounters(redis.get()), counters);
        }
        metrics.cacheDegraded(() -> redis.map(RedisLink::degraded).orElse(false));
        metrics.storeDegraded(database::degraded);
        // directories sync in the background: start-up takes their stored snapshots and never waits;
        // they follow the policy's (the file's and the console's) from then on
        Directories directories = Directories.start(policy.effective().directories(),
                new DirectorySnapshotStore(database), metrics.registry(), clock, System::getenv, true);
        policy.onDirectoriesChanged(directories::apply);
        directories.apply(policy.effective().directories()); // a change that came in between
        HarvestGuard harvest = new HarvestGuard(() -> policy.current().harvest(), counters, metrics.registry());
        this.rcptPath = RcptPath.start(config, policy.supplier(), validRecipientStore, mx, metrics.registry(), clock,
                verdicts, polling.validLists(), directories, harvest::sparesBackend);
        // another node's change: look at the store now rather than at the next poll
        this.changes = redis.map(link -> new RedisChanges(link, redisPassword, "gatehouse-" + config.hostname(),
                RedisLink.DEFAULT_TIMEOUT, what -> {
                    policy.wake();
                    rcptPath.validLists().wake();
                }));
        this.messageLog = MessageLog.start(database, MessageLog.Settings.defaults(config.messageLogRetention()), clock,
                config.node());
        metrics.messageLogDropped(messageLog::dropped);
        this.delivery = new DeliveryScheduler(spool, policy.supplier(), mx, config.delivery(),
                config.hostname(), TlsContexts.opportunisticClient(), clock, metrics, messageLog);
        metrics.queue(delivery::size, delivery::oldestAgeSeconds);
        this.smtp = new SmtpServer(config.hostname(), config.smtp(), tls, rcptPath.decision(), harvest, spool, delivery::submit,
                clock, metrics, messageLog);
    }

    public void start() throws IOException {
        startedAt = clock.instant();
        if (config.console().listen().isPresent()) {
            ConsoleUsers users = new ConsoleUsers(database);
            createFirstAdministrator(users);
            Console web = new Console(consoleParts(users));
            console = ConsoleServer.start(config.console().listen().get().toSocketAddress(), web.routes(),
                    web.authenticator(), metrics, () -> ready, this::degraded);
        }
        delivery.start(spool.recover());
        smtp.start();
        ready = true;
        heartbeat = Heartbeat.start(nodes, this::nodeStatus, heartbeatInterval);
        Policy current = policy.current();
        log.info("gateway_started node={} hostname={} protected_domains={} trusted_networks={} tls={}",
                config.node(), config.hostname(), current.domains().keySet(), current.trustedNetworks().networks().size(),
                config.smtp().tls().isPresent() ? "yes" : "no");
    }

    /** The shared cache of a cluster (SPEC §6), with its password from the environment. */
    private static RedisLink openRedis(GatewayConfig config, Optional<String> password, GatewayMetrics metrics)
            throws IOException {
        RedisUrl url = RedisUrl.parse(config.cache());
        try {
            return new RedisLink(url, password, "gatehouse-" + config.hostname(),
                    RedisLink.DEFAULT_TIMEOUT, RedisLink.DEFAULT_RETRY_AFTER, metrics.registry());
        } catch (UncheckedIOException e) {
            throw e.getCause(); // the CA file of rediss://, unreadable since the configuration was read
        }
    }

    /** What runs degraded now, as {@code /readyz} lists it. */
    private List<String> degraded() {
        List<String> degraded = new java.util.ArrayList<>();
        if (redis.filter(RedisLink::degraded).isPresent()) {
            degraded.add("cache: degraded");
        }
        if (database.degraded()) {
            degraded.add(ConsoleServer.STORE_DEGRADED);
        }
        for (DirectoryStatus directory : rcptPath.directories().status()) {
            if (!directory.state().equals("ok")) {
                degraded.add("directory " + directory.name() + ": " + directory.state());
            }
        }
        return degraded;
    }

    /** Who is told of this node's administrative changes: the other nodes, through Redis. */
    private ChangeNotifier changeNotifier() {
        return changes.<ChangeNotifier>map(c -> c).orElse(ChangeNotifier.NONE);
    }

    /** The version of Gatehouse that runs, from the jar's manifest. */
    public static String version() {
        String version = Gateway.class.getPackage().getImplementationVersion();
        return version == null ? "development build" : version;
    }

    /** This node as its heartbeat reports it now. */
    private NodeTable.Node nodeStatus() {
        return new NodeTable.Node(config.node(), version(), startedAt, clock.instant(), heartbeatInterval,
                metrics.connectionsActive(), delivery.size(), degraded());
    }

    /** What the console is given: what it reads, and the administration through which it changes things. */
    private ConsoleParts consoleParts(ConsoleUsers users) {
        AuditLog audit = new AuditLog(database);
        CalloutVerifier callout = rcptPath.callout();
        Administration admin = new Administration(
                new ValidLists(validRecipientStore, rcptPath.validLists()::refreshNow, clock, changeNotifier()),
                new ProtectedDomains(policy, callout::checkCatchAllSoon, changeNotifier()),
                new TrustedNetworkList(policy, changeNotifier()),
                new PolicySettings(policy, changeNotifier()),
                new Users(users, clock, changeNotifier()),
                new Tokens(users, clock, changeNotifier()),
                new QueueActions(delivery, audit, clock),
                new DirectorySyncs(rcptPath.directories(), audit, clock),
                new DirectorySettings(policy, new DirectorySnapshotStore(database), System::getenv, clock,
                        changeNotifier(), rcptPath.directories()::syncSoon),
                new VerdictCacheTools(callout, policy.supplier(), audit, clock));
        Directories directories = rcptPath.directories();
        return new ConsoleParts(policy, validRecipientStore, messageLog, delivery, callout,
                config.callout().catchAllRecheck(), rcptPath.tester(), metrics, users, audit, admin, clock,
                nodes, this::nodeStatus, new ConsoleParts.DirectoryReader(directories::status, directories::probe));
    }

    /**
     * On the first start with a console, when the store has no user yet: an administrator "admin"
     * with a random password, printed once in the log (change it in the console, or create users
     * beforehand with {@code gatehouse user add}).
     */
    private void createFirstAdministrator(ConsoleUsers users) {
        String password = Passwords.generate();
        if (users.addFirst(FIRST_ADMIN, Role.ADMIN.word(), Passwords.hash(password), clock.instant(), Actor.GATEWAY)) {
            log.warn("console_first_run user={} password={} note=\"printed only this once: sign in at the console "
                    + "and change it (Users), or replace it with gatehouse user add\"", FIRST_ADMIN, password);
        }
    }

    /** The port the console listens on, if it has one. */
    public Optional<Integer> consolePort() {
        return Optional.ofNullable(console).map(ConsoleServer::port);
    }

    /** The console's routes (empty without a console), for the tests that enumerate them. */
    public List<net.gatehouse.web.Route> consoleRoutes() {
        return console == null ? List.of() : console.routes();
    }

    public List<InetSocketAddress> smtpAddresses() {
        return smtp.boundAddresses();
    }

    public Spool spool() {
        return spool;
    }

    public DeliveryScheduler delivery() {
        return delivery;
    }

    /** Protected domains whose back-end accepts any address (verification against it proves nothing). */
    public java.util.Set<String> catchAllDomains() {
        return rcptPath.callout().catchAllDomains();
    }

    public MessageLog messageLog() {
        return messageLog;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /** The policy in force and its editing (console, API). */
    public LivePolicy policy() {
        return policy;
    }

    /** The RCPT decision, for the console's address tester. */
    public RecipientPolicy recipients() {
        return rcptPath.decision();
    }

    public CalloutVerifier callout() {
        return rcptPath.callout();
    }

    public ValidRecipientStore validRecipientStore() {
        return validRecipientStore;
    }

    /** The LDAP directories and their snapshots (SPEC §8). */
    public Directories directories() {
        return rcptPath.directories();
    }

    public ValidListDirectory validLists() {
        return rcptPath.validLists();
    }

    public Database database() {
        return database;
    }

    public GatewayConfig config() {
        return config;
    }

    /**
     * Puts a re-read configuration file in force without dropping a session (SPEC §10): the
     * policy's pins and the file's valid lists at once, the SMTP limits and a TLS certificate read
     * anew from its files for the sessions that start from now on. What takes a restart (listen
     * addresses, {@code data_dir}, {@code store}, ...) is logged as such and stays as it was.
     * Nothing changes when this throws.
     *
     * @throws TlsConfigException if the TLS certificate or key cannot be used; the running one stays
     * @throws StoreException if the store cannot be read for the valid lists; nothing changed
     */
    public synchronized ConfigChanges reload(GatewayConfig reread) throws TlsConfigException {
        GatewayConfig running = config;
        ConfigChanges changes = ConfigChanges.between(running, reread);
        GatewayConfig inForce = ConfigChanges.inForce(running, reread);
        Optional<SSLContext> tls = inForce.smtp().tls().isPresent()
                ? Optional.of(TlsContexts.server(inForce.smtp().tls().get())) : Optional.empty();
        rcptPath.validLists().replaceConfigEntries(inForce.policy().map(PolicyConfig::validRecipientsByDomain).orElse(Map.of()));
        policy.replaceFile(inForce.policy());
        smtp.reconfigure(inForce.smtp(), tls);
        config = inForce;
        log.info("reload_applied changed={} tls={}", changes.live().isEmpty() ? "none" : String.join(",", changes.live()),
                tls.isPresent() ? "reloaded" : "off");
        if (!changes.restart().isEmpty()) {
            log.warn("reload_needs_restart keys={} note=\"these keep their running values until gatehouse restarts\"",
                    String.join(",", changes.restart()));
        }
        return changes;
    }

    /** Drains and stops: no new connections, sessions finish within the grace period, delivery stops. */
    @Override
    public void close() {
        ready = false; // load balancers stop sending before the port closes
        log.info("gateway_stopping grace={}", config.smtp().shutdownGrace());
        smtp.drain(config.smtp().shutdownGrace());
        delivery.stop(config.smtp().shutdownGrace());
        if (console != null) {
            console.close(); // after the drain (readyz says 503 meanwhile), before the store closes
        }
        if (heartbeat != null) {
            heartbeat.close(); // the node's row stays and turns stale
        }
        rcptPath.close(); // the callout verifier and the valid lists
        changes.ifPresent(RedisChanges::close);
        redis.ifPresent(RedisLink::close);
        policy.close();
        messageLog.close();
        database.close();
        try {
            lock.release();
            lockFile.close();
        } catch (IOException ignored) {
            // the process is going away; the lock goes with it
        }

        log.info("gateway_stopped");
    }
}
