package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.gatehouse.smtp.protocol.Reply;
import net.gatehouse.store.AuditLog;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The verification cache's tools through {@code /api/v1/cache} (SPEC §9) on the real gateway, with
 * a back-end that answers in Postfix's words: the entry with its source, age, lifetime, the probe's
 * timing and the back-end's reply as received (never shown to the SMTP client), flushes of an
 * address, a domain and everything, a re-probe, the roles, and the audit entry of each change.
 * Run in order on one gateway.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CacheApiIT {

    private static final String POSTFIX_UNKNOWN =
            "550 5.1.1 <bob@example.test>: Recipient address rejected: User unknown in local recipient table";

    @TempDir
    static Path directory;
    private final TestBackend backend = TestBackend.start().onlyAccept("alice@example.test", "carol@example.test")
            .replyToRecipient("bob@example.test", POSTFIX_UNKNOWN);
    private TestGateway gateway;
    private ConsoleClient client;
    private AuditLog audit;
    private String adminToken;
    private String viewerToken;

    @BeforeAll
    void start() throws Exception {
        gateway = TestGateway.in(directory).console("127.0.0.1:0").protect("example.test", backend.hostPort())
                .domain("{ name: listed.test, backend: [\"" + backend.hostPort() + "\"], verification: valid_list }")
                .policy("recipient_verification: callout").callout("timeout: 5s")
                .consoleUser("ada", "admin").consoleUser("watcher", "viewer").start();
        adminToken = ConsoleClient.createToken(gateway.gateway(), "ada");
        viewerToken = ConsoleClient.createToken(gateway.gateway(), "watcher");
        client = ConsoleClient.of(gateway.gateway());
        audit = new AuditLog(gateway.gateway().database());
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    private JsonNode api(String method, String path, String token, int status) throws Exception {
        HttpResponse<String> response = client.api(method, path, token, null);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(status);
        return ConsoleClient.json(response);
    }

    private AuditLog.Entry newestAudit() {
        return audit.recent(1).getFirst();
    }

    @Test
    @Order(0)
    void theEntryShowsTheBackendsReplyToAdministratorsButNeverToTheSmtpClient() throws Exception {
        try (SmtpTestClient smtp = gateway.client()) {
            smtp.command("MAIL FROM:<sender@elsewhere.test>");
            Reply reply = smtp.command("RCPT TO:<bob@example.test>");
            assertThat(reply.code()).isEqualTo(550);
            assertThat(reply.wire()).doesNotContain("local recipient table").doesNotContain(backend.hostPort());
        }

        JsonNode entry = api("GET", "/api/v1/cache/Bob@example.test", viewerToken, 200);
        assertThat(entry.get("address").asString()).isEqualTo("bob@example.test");
        assertThat(entry.get("verdict").asString()).isEqualTo("rejected");
        assertThat(entry.get("backendReply").asString()).isEqualTo(POSTFIX_UNKNOWN);
        assertThat(entry.get("source").asString()).contains("probe to backend 1 of 1 (" + backend.hostPort() + ")");
        assertThat(entry.get("node").asString()).isEqualTo(gateway.config().node());
        assertThat(entry.get("probeMillis").asLong()).isNotNegative();
        assertThat(entry.get("ageSeconds").asLong()).isNotNegative();
        assertThat(entry.get("lifetimeSeconds").asLong()).isPositive();
        assertThat(entry.get("remainingSeconds").asLong()).isPositive()
                .isLessThanOrEqualTo(entry.get("lifetimeSeconds").asLong());

        JsonNode openApi = api("GET", "/api/v1/openapi.json", viewerToken, 200);
        assertThat(new ArrayList<>(entry.propertyNames())).as("the document describes what the API gives")
                .containsExactlyInAnyOrderElementsOf(required(openApi, "CacheEntry"));
        assertThat(openApi.get("paths").get("/api/v1/cache/{address}").get("delete").get("x-gatehouse-role")
                .asString()).isEqualTo("admin");
        assertThat(openApi.get("paths").get("/api/v1/cache/{address}").get("get").get("x-gatehouse-role")
                .asString()).isEqualTo("viewer");
        assertThat(openApi.get("paths").get("/api/v1/cache/{address}/probe").get("post").get("x-gatehouse-role")
                .asString()).isEqualTo("admin");
        assertThat(openApi.get("paths").get("/api/v1/cache").get("delete").get("parameters").get(0).get("name")
                .asString()).isEqualTo("domain");
    }

    @Test
    @Order(1)
    void anAcceptKeepsTheBackendsReplyToo() throws Exception {
        assertThat(gateway.rcpt("alice@example.test")).isEqualTo("250 2.1.5");

        JsonNode entry = api("GET", "/api/v1/cache/alice@example.test", viewerToken, 200);
        assertThat(entry.get("verdict").asString()).isEqualTo("accepted");
        assertThat(entry.get("backendReply").asString()).startsWith("250");
    }

    @Test
    @Order(2)
    void anAddressNotCachedIs404AndABadOneIs400() throws Exception {
        assertThat(api("GET", "/api/v1/cache/nobody@example.test", viewerToken, 404).get("error").asString())
                .contains("no cached verdict");
        assertThat(api("GET", "/api/v1/cache/not-an-address", viewerToken, 400).get("error").asString())
                .contains("not an address");
    }

    @Test
    @Order(3)
    void viewersMayReadButNotFlushNorProbe() throws Exception {
        long before = newestAudit().id();
        api("DELETE", "/api/v1/cache/bob@example.test", viewerToken, 403);
        api("DELETE", "/api/v1/cache?domain=example.test", viewerToken, 403);
        api("DELETE", "/api/v1/cache", viewerToken, 403);
        api("POST", "/api/v1/cache/bob@example.test/probe", viewerToken, 403);

        api("GET", "/api/v1/cache/bob@example.test", viewerToken, 200);
        assertThat(newestAudit().id()).as("nothing refused is audited").isEqualTo(before);
    }

    @Test
    @Order(4)
    void flushingAnAddressIsAuditedAndItsNextRcptProbesAgain() throws Exception {
        int rcpts = rcptsFor("bob@example.test");

        JsonNode flushed = api("DELETE", "/api/v1/cache/bob@example.test", adminToken, 200);
        assertThat(flushed.get("flushed").asLong()).isEqualTo(1);
        AuditLog.Entry entry = newestAudit();
        assertThat(entry.action()).isEqualTo("cache.flush");
        assertThat(entry.actor()).isEqualTo("ada");
        assertThat(entry.door()).isEqualTo("api");
        assertThat(entry.target()).isEqualTo("bob@example.test");
        assertThat(entry.oldValue()).startsWith("rejected at ").contains("User unknown in local recipient table");
        api("GET", "/api/v1/cache/bob@example.test", viewerToken, 404);

        assertThat(gateway.rcpt("bob@example.test")).isEqualTo("550 5.1.1");
        assertThat(rcptsFor("bob@example.test")).isEqualTo(rcpts + 1);
    }

    @Test
    @Order(5)
    void aReprobeAsksTheBackendNowAndAnswersWithTheNewEntry() throws Exception {
        backend.onlyAccept("alice@example.test");   // carol's mailbox was deleted on the back-end
        assertThat(gateway.rcpt("carol@example.test")).isEqualTo("550 5.1.1");
        backend.onlyAccept("alice@example.test", "carol@example.test");   // and restored
        assertThat(gateway.rcpt("carol@example.test")).as("the stale answer, from the cache").isEqualTo("550 5.1.1");

        JsonNode probed = api("POST", "/api/v1/cache/carol@example.test/probe", adminToken, 200);
        assertThat(probed.get("result").asString()).isEqualTo("accepted");
        assertThat(probed.get("entry").get("verdict").asString()).isEqualTo("accepted");
        assertThat(probed.get("entry").get("backendReply").asString()).startsWith("250");
        AuditLog.Entry entry = newestAudit();
        assertThat(entry.action()).isEqualTo("cache.probe");
        assertThat(entry.target()).isEqualTo("carol@example.test");
        assertThat(entry.oldValue()).startsWith("rejected");
        assertThat(entry.newValue()).startsWith("accepted");
        assertThat(gateway.rcpt("carol@example.test")).isEqualTo("250 2.1.5");

        assertThat(api("POST", "/api/v1/cache/someone@elsewhere.test/probe", adminToken, 404).get("error").asString())
                .contains("not a protected domain");
        assertThat(api("POST", "/api/v1/cache/someone@listed.test/probe", adminToken, 409).get("error").asString())
                .contains("not by callout");
    }

    @Test
    @Order(6)
    void flushingADomainAndEverythingIsAudited() throws Exception {
        assertThat(gateway.rcpt("alice@example.test")).isEqualTo("250 2.1.5");
        assertThat(gateway.rcpt("bob@example.test")).isEqualTo("550 5.1.1");

        JsonNode domain = api("DELETE", "/api/v1/cache?domain=Example.test", adminToken, 200);
        assertThat(domain.get("scope").asString()).isEqualTo("domain");
        assertThat(domain.get("flushed").asLong()).isEqualTo(3);   // alice, bob, carol
        api("GET", "/api/v1/cache/alice@example.test", viewerToken, 404);
        AuditLog.Entry byDomain = newestAudit();
        assertThat(byDomain.action()).isEqualTo("cache.flush_domain");
        assertThat(byDomain.target()).isEqualTo("example.test");
        assertThat(byDomain.oldValue()).isEqualTo("3 cached verdicts");

        assertThat(gateway.rcpt("alice@example.test")).isEqualTo("250 2.1.5");
        JsonNode all = api("DELETE", "/api/v1/cache", adminToken, 200);
        assertThat(all.get("scope").asString()).isEqualTo("all");
        assertThat(all.get("flushed").asLong()).isEqualTo(1);
        assertThat(newestAudit().action()).isEqualTo("cache.flush_all");
        api("GET", "/api/v1/cache/alice@example.test", viewerToken, 404);
        assertThat(api("DELETE", "/api/v1/cache?domain=*", adminToken, 400).get("error").asString())
                .contains("not a domain name");
    }

    @Test
    @Order(7)
    void theTesterShowsTheEntryToViewersAndItsButtonsToAdministrators() throws Exception {
        assertThat(gateway.rcpt("bob@example.test")).isEqualTo("550 5.1.1");
        try (ConsoleClient viewer = ConsoleClient.of(gateway.gateway()).session("watcher");
             ConsoleClient admin = ConsoleClient.of(gateway.gateway()).session("ada")) {
            String seen = viewer.post("/tester", "address", "bob@example.test", "client", "").body();
            assertThat(seen).contains("id=\"cache-entry\"").contains("Recipient address rejected: User unknown in local "
                    + "recipient table").contains("id=\"source\">callout<").doesNotContain("id=\"cache-flush\"");

            String shown = admin.post("/tester", "address", "bob@example.test", "client", "").body();
            assertThat(shown).contains("id=\"cache-flush\"").contains("id=\"cache-probe\"").contains("id=\"cache-flush-domain\"");
            String probed = admin.post("/tester/probe", "address", "bob@example.test").body();
            assertThat(probed).contains("Probed bob@example.test again").contains("id=\"cache-entry\"");
            assertThat(newestAudit().action()).isEqualTo("cache.probe");
            assertThat(newestAudit().door()).isEqualTo("console");

            String flushed = admin.post("/tester/flush", "address", "bob@example.test").body();
            assertThat(flushed).contains("Flushed the cached verdict of bob@example.test").doesNotContain("id=\"cache-entry\"");
            assertThat(newestAudit().action()).isEqualTo("cache.flush");

            assertThat(gateway.rcpt("alice@example.test")).isEqualTo("250 2.1.5");
            assertThat(admin.post("/tester/flush-cache", "domain", "example.test", "scope", "domain").body())
                    .contains("Flushed 1 cached verdict(s) of example.test");
            assertThat(admin.post("/tester/flush-cache", "scope", "all").body()).contains("Flushed every cached verdict (0)");
            assertThat(newestAudit().action()).isEqualTo("cache.flush_all");
        }
    }

    private int rcptsFor(String address) {
        return (int) backend.commands().stream().filter(line -> line.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }

    private static List<String> required(JsonNode openApi, String schema) {
        List<String> fields = new ArrayList<>();
        openApi.get("components").get("schemas").get(schema).get("required").forEach(f -> fields.add(f.asString()));
        return fields;
    }
}
