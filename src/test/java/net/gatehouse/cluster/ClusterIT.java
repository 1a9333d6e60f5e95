package net.gatehouse.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.store.Database;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.GatewayProcess;
import net.gatehouse.testing.LoopbackPorts;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestActor;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import net.gatehouse.testing.TestHaproxy;
import net.gatehouse.testing.TestPostgres;
import net.gatehouse.testing.TestRedis;
import net.gatehouse.users.Secrets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster of SPEC §6 as an administrator builds it (docs/CLUSTER.md): three gateway processes
 * (the packaged jar) on loopback sharing one PostgreSQL database (a server of the test's own, which
 * it may stop: {@link TestPostgres}) and one Redis prefix made for the run, behind a real HAProxy
 * that passes the client's address in a PROXY v2 header. One cluster serves all the cases, in
 * order: the last three take a node, Redis and PostgreSQL away and bring them back.
 *
 * <p>The gateways run with {@code smtp.proxy_protocol: true}, so the test's own direct connections
 * to one node send a PROXY header too, naming a client address of the test's choice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final String HARVEST = "harvest: { window: 10m, tarpit_after: 4, tarpit_delay: 0s, block_after: 4, "
            + "block_for: 10m }";
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Three JVMs starting at once on a machine of two CPUs that other work shares. */
    private static final Duration START = Duration.ofMinutes(3);
    /**
     * What the back-end accepts; every other address gets 550, the catch-all probe's included (a
     * back-end that accepts everything is flagged and its recipients go unverified).
     */
    private static final List<String> MAILBOXES = java.util.stream.Stream.concat(
            java.util.stream.Stream.of("alice@added.test", "newcomer@example.test", "load@example.test"),
            java.util.stream.IntStream.range(0, ClusterLoad.RECIPIENTS).mapToObj(i -> "e" + i + "@example.test")).toList();
    private static final Pattern SUBJECT = Pattern.compile("(?m)^Subject: (\\S+)");

    @TempDir
    static Path directory;

    private TestPostgres postgres;
    private TestRedis redis;
    private TestBackend backend;
    private final List<Node> nodes = new ArrayList<>();
    private TestHaproxy haproxy;
    private String token;

    /** One gateway process of the cluster, on SMTP and console ports fixed for the run. */
    private static final class Node {
        final String name;
        final int smtpPort = LoopbackPorts.free();
        final int consolePort = LoopbackPorts.free();
        Path config;
        GatewayProcess process;

        Node(String name) {
            this.name = name;
        }

        void start() throws IOException {
            process = GatewayProcess.start("run", "--config", config.toString());
        }

        List<String> log() {
            return process.output();
        }
    }

    @BeforeAll
    void startCluster() throws Exception {
        postgres = TestPostgres.create();
        String store = postgres.jdbcUrl();
        // the schema and an API token before the nodes start: three nodes migrating at once is
        // Flyway's business, but a first-run administrator made by each is not what a test wants
        try (Database shared = Database.open(store, directory.resolve("unused"))) {
            ConsoleUsers users = new ConsoleUsers(shared);
            users.add("admin", "admin", ConsoleClient.cheapHash("unused password"), Instant.now(), TestActor.TEST);
            token = Secrets.random("gh_");
            users.createToken(new ConsoleUsers.Token(Secrets.shortId(), "admin", "cluster test", Instant.now(), Instant.now()),
                    Secrets.sha256(token), TestActor.TEST);
        }
        redis = TestRedis.ownServer();
        backend = TestBackend.start().onlyAccept(MAILBOXES);
        for (String name : List.of("node1", "node2", "node3")) {
            Node node = new Node(name);
            node.config = TestGateway.in(directory.resolve(name))
                    .protect("example.test", backend.hostPort())
                    .policy("recipient_verification: callout")
                    .policy(HARVEST)
                    .callout("timeout: 5s")
                    .smtp("listen: [\"127.0.0.1:" + node.smtpPort + "\"]")
                    .smtp("proxy_protocol: true")
                    .console("127.0.0.1:" + node.consolePort)
                    .store(store)
                    .cache(redis.url())
                    .node(name)
                    .writeConfig();
            nodes.add(node);
        }
        for (Node node : nodes) {
            node.start();
        }
        for (Node node : nodes) {
            assertThat(node.process.awaitPort(START)).isEqualTo(node.smtpPort);
        }
        haproxy = TestHaproxy.start(directory.resolve("haproxy"), nodes.stream().map(n -> n.smtpPort).toList());
        haproxy.awaitUp("node1", "node2", "node3");
    }

    @AfterAll
    void stopCluster() throws Exception {
        // what each process said, for the diagnosis of a failure
        Path logs = Path.of("target", "cluster-it");
        java.nio.file.Files.createDirectories(logs);
        for (Node node : nodes) {
            if (node.process != null) {
                java.nio.file.Files.write(logs.resolve(node.name + ".log"), node.log());
            }
        }
        if (haproxy != null) {
            java.nio.file.Files.write(logs.resolve("haproxy.log"), haproxy.output());
        }
        if (haproxy != null) {
            haproxy.close();
        }
        for (Node node : nodes) {
            if (node.process != null) {
                node.process.close();
            }
        }
        if (backend != null) {
            backend.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    // the nodes know each other (SPEC §6: GET /api/v1/nodes)
    @Test
    @Order(0)
    void everyNodeListsTheWholeClusterUp() throws Exception {
        for (Node node : nodes) {
            try (ConsoleClient api = ConsoleClient.at(node.consolePort).bearer(token)) {
                await().atMost(WAIT).untilAsserted(() -> {
                    HttpResponse<String> response = api.api("GET", "/api/v1/nodes", null);
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                    Map<String, String> states = new java.util.LinkedHashMap<>();
                    ConsoleClient.json(response).get("nodes").forEach(
                            n -> states.put(n.get("name").asString(), n.get("state").asString()));
                    assertThat(states).as("GET /api/v1/nodes on " + node.name)
                            .containsEntry("node1", "up").containsEntry("node2", "up").containsEntry("node3", "up");
                });
            }
        }
    }

    // (a)
    @Test
    @Order(1)
    void aDomainAddedThroughTheApiOfOneNodeIsInForceOnAnotherWithinTwoSeconds() throws Exception {
        Node node1 = nodes.get(0);
        Node node3 = nodes.get(2);
        assertThat(rcpt(node3, "127.0.0.11", "alice@added.test").code()).isEqualTo(554);

        try (ConsoleClient api = ConsoleClient.at(node1.consolePort).bearer(token)) {
            HttpResponse<String> added = api.api("POST", "/api/v1/domains",
                    "{\"name\":\"added.test\",\"backends\":[\"" + backend.hostPort() + "\"]}");
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        }
        // the observable effect on node 3, bounded by the contract's 2 s (SPEC §6)
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> rcpt(node3, "127.0.0.11", "alice@added.test").code() == 250);
        assertThat(probesFor("alice@added.test")).isEqualTo(1);
    }

    // (b)
    @Test
    @Order(2)
    void aHarvesterSpreadOverTheNodesIsBlockedAtTheClusterWideThresholdByItsRealAddress() throws Exception {
        String harvester = "127.0.0.5";
        List<String> replies = new ArrayList<>();
        for (String h : List.of("h1", "h2", "h3", "h4")) {
            try (SmtpTestClient client = SmtpTestClient.connectFrom(harvester, haproxy.port())) {
                client.command("EHLO harvester.test");
                client.command("MAIL FROM:<spammer@elsewhere.test>");
                replies.add(codes(client.command("RCPT TO:<" + h + "@example.test>")));
            }
        }
        // three unknown addresses pass as such; the fourth, on whichever node, reaches the cluster's count
        assertThat(replies).containsExactly("550 5.1.1", "550 5.1.1", "550 5.1.1", "421 4.7.0");
        // round robin spread the harvester's sessions over the nodes, each of which saw its real address
        List<Node> served = nodes.stream().filter(n -> n.log().stream().anyMatch(
                line -> line.contains("connect from unknown[" + harvester + "]"))).toList();
        assertThat(served).as("nodes that served the harvester").hasSizeGreaterThanOrEqualTo(2);
        // from now on every node refuses it at connection, whichever HAProxy picks
        for (int i = 0; i < nodes.size(); i++) {
            try (SmtpTestClient blocked = openFrom(harvester)) {
                assertThat(codes(blocked.read())).isEqualTo("421 4.7.0");
            }
        }
        assertThat(redis.keys()).contains(redis.prefix() + "harvest:block:" + harvester);
        List<String> blocks = nodes.stream().flatMap(n -> n.log().stream()).filter(line -> line.contains("harvest_block client="))
                .toList();
        assertThat(blocks).isNotEmpty().allMatch(line -> line.contains("harvest_block client=" + harvester + " "));
    }

    // (c)
    @Test
    @Order(3)
    void oneNewAddressRcptdOnAllNodesAtOnceCausesOneProbe() throws Exception {
        String address = "newcomer@example.test";
        backend.delay(Duration.ofMillis(300)); // the probe takes long enough for the three RCPTs to meet it
        try {
            CountDownLatch ready = new CountDownLatch(nodes.size());
            Map<String, String> replies = new ConcurrentHashMap<>();
            List<Thread> threads = nodes.stream().map(node -> Thread.ofPlatform().start(() -> {
                try (SmtpTestClient client = direct(node, "127.0.0.12")) {
                    client.command("EHLO client.test");
                    client.command("MAIL FROM:<sender@elsewhere.test>");
                    ready.countDown();
                    ready.await();
                    replies.put(node.name, codes(client.command("RCPT TO:<" + address + ">")));
                } catch (Exception e) {
                    replies.put(node.name, e.toString());
                }
            })).toList();
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(replies).containsOnlyKeys("node1", "node2", "node3").allSatisfy((n, r) -> assertThat(r).isEqualTo("250 2.1.5"));
        } finally {
            backend.delay(Duration.ZERO);
        }
        assertThat(probesFor(address)).isEqualTo(1);
    }

    // (d)
    @Test
    @Order(4)
    void aNodeKilledUnderLoadLosesNothingItAcknowledged() throws Exception {
        backend.tempFailData("451 4.3.0 Try again later"); // the mail stays in the spools
        Node node2 = nodes.get(1);
        Map<String, String> acknowledged;
        try (ClusterLoad load = new ClusterLoad(haproxy.port(), 4, "d", id -> "load@example.test")) {
            await().atMost(WAIT).until(() -> queuedBy(node2, load.acknowledged()).size() >= 3);
            node2.process.kill();
            int before = load.sessions();
            haproxy.awaitDown("node2");
            // new sessions go to the others: the load goes on, and sessions begun now all succeed
            int downAt = load.started();
            await().atMost(WAIT).until(() -> load.sessions() >= downAt + 20);
            assertThat(load.failedSince(downAt)).as("sessions failed after node2 left rotation").isEmpty();
            assertThat(load.sessions()).isGreaterThan(before);
            acknowledged = load.stop();
        }
        Map<String, String> ofNode2 = queuedBy(node2, acknowledged);
        assertThat(ofNode2).isNotEmpty();

        backend.acceptAll().onlyAccept(MAILBOXES);
        node2.start(); // same configuration, same data_dir: its spool
        assertThat(node2.process.awaitPort(START)).isEqualTo(node2.smtpPort);
        haproxy.awaitUp("node2");
        await().atMost(WAIT).untilAsserted(() -> assertThat(delivered().keySet()).containsAll(acknowledged.keySet()));
        // exactly once, and not only at least once: a node delivers a message a second time only if
        // it dies between the back-end's 250 and its journal's record of it, and the back-end here
        // answered 451 to every delivery until node2 was dead
        Map<String, Long> deliveries = delivered();
        assertThat(acknowledged.keySet()).allSatisfy(id -> assertThat(deliveries.get(id)).as(id).isEqualTo(1));
        assertThat(node2.log()).anyMatch(line -> ofNode2.values().stream().anyMatch(
                qid -> line.contains(qid + ": to=<load@example.test>") && line.contains("status=sent")));
    }

    // (e)
    @Test
    @Order(5)
    void redisLostUnderLoadDegradesWithoutRefusingAndRecovers() throws Exception {
        haproxy.awaitUp("node1", "node2", "node3");
        try (ClusterLoad load = new ClusterLoad(haproxy.port(), 4, "e", ClusterLoad::rotatingRecipient)) {
            await().atMost(WAIT).until(() -> load.sessions() >= 10);
            redis.kill();
            int killedAt = load.sessions();
            for (Node node : nodes) {
                await().atMost(WAIT).until(() -> readyz(node).contains("cache: degraded"));
            }
            await().atMost(WAIT).until(() -> load.sessions() >= killedAt + 20);
            redis.start();
            for (Node node : nodes) {
                await().atMost(WAIT).until(() -> !readyz(node).contains("cache: degraded"));
            }
            int back = load.sessions();
            await().atMost(WAIT).until(() -> load.sessions() >= back + 10);
            load.stop();
            assertThat(load.refusals()).as("5xx replies").isEmpty();
            assertThat(load.failedSince(0)).as("failed sessions").isEmpty();
        }
    }

    // (f)
    @Test
    @Order(6)
    void postgresqlLostTheNodesAnswerByTheLastPolicyAndRecoverByThemselves() throws Exception {
        haproxy.awaitUp("node1", "node2", "node3");
        postgres.stop();
        for (Node node : nodes) {
            await().atMost(WAIT).until(() -> readyz(node).contains("store: degraded"));
        }
        for (Node node : nodes) {
            // the file's domain, the domain added through the API in (a), and what is in neither
            assertThat(codes(rcpt(node, "127.0.0.13", "load@example.test"))).as(node.name).isEqualTo("250 2.1.5");
            assertThat(codes(rcpt(node, "127.0.0.13", "alice@added.test"))).as(node.name).isEqualTo("250 2.1.5");
            assertThat(codes(rcpt(node, "127.0.0.13", "someone@elsewhere.test"))).as(node.name).isEqualTo("554 5.7.1");
        }
        try (ClusterLoad load = new ClusterLoad(haproxy.port(), 2, "f", ClusterLoad::rotatingRecipient)) {
            await().atMost(WAIT).until(() -> load.sessions() >= 15);
            load.stop();
            assertThat(load.refusals()).as("5xx replies").isEmpty();
            assertThat(load.failedSince(0)).as("failed sessions").isEmpty();
        }

        postgres.start();
        for (Node node : nodes) {
            await().atMost(WAIT).until(() -> !readyz(node).contains("store: degraded"));
        }
        try (ConsoleClient api = ConsoleClient.at(nodes.get(1).consolePort).bearer(token)) {
            HttpResponse<String> added = api.api("POST", "/api/v1/domains",
                    "{\"name\":\"later.test\",\"backends\":[\"" + backend.hostPort() + "\"]}");
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        }
    }

    // --- helpers

    /** The messages of {@code acknowledged} (id to queue id) that {@code node} queued. */
    private static Map<String, String> queuedBy(Node node, Map<String, String> acknowledged) {
        List<String> log = node.log();
        return acknowledged.entrySet().stream()
                .filter(e -> log.stream().anyMatch(line -> line.contains(e.getValue() + ": client=")))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /** How many times the back-end received each message, by the id in its subject. */
    private Map<String, Long> delivered() {
        return backend.transactions().stream().map(t -> SUBJECT.matcher(t.text())).filter(Matcher::find)
                .collect(Collectors.groupingBy(m -> m.group(1), Collectors.counting()));
    }

    private long probesFor(String address) {
        return backend.commands().stream().filter(c -> c.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }

    /** A connection through HAProxy from {@code source}, the greeting not read. */
    private SmtpTestClient openFrom(String source) throws IOException {
        java.net.Socket socket = new java.net.Socket();
        socket.bind(new java.net.InetSocketAddress(source, 0));
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", haproxy.port()), 5000);
        socket.setSoTimeout(10_000);
        return SmtpTestClient.over(socket);
    }

    /** A connection straight to one node, with the PROXY header a balancer would send for {@code client}. */
    private static SmtpTestClient direct(Node node, String client) throws IOException {
        SmtpTestClient smtp = SmtpTestClient.open(node.smtpPort);
        smtp.send("PROXY TCP4 " + client + " 127.0.0.1 40000 25\r\n");
        Reply greeting = smtp.read();
        if (greeting.code() != 220) {
            smtp.close();
            throw new IOException(node.name + " greeted " + greeting);
        }
        return smtp;
    }

    private static Reply rcpt(Node node, String client, String recipient) throws IOException {
        try (SmtpTestClient smtp = direct(node, client)) {
            smtp.command("EHLO client.test");
            smtp.command("MAIL FROM:<sender@elsewhere.test>");
            return smtp.command("RCPT TO:<" + recipient + ">");
        }
    }

    private static String readyz(Node node) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + node.consolePort + "/readyz")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(node.name + " /readyz").isEqualTo(200);
            return response.body();
        }
    }

    private static String codes(Reply reply) {
        return reply.code() + " " + reply.enhanced();
    }
}
