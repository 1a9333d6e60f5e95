package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import net.gatehouse.store.AuditLog;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The policy's API routes (domains, valid recipients, trusted networks, settings, the address
 * check) against a real gateway: each works for an administrator, refuses anonymous callers with a
 * JSON 401, refuses changes by a viewer with a 403, and answers bad input with a 400 that names the
 * problem; and what it changes is what the very next RCPT over SMTP gets.
 */
class PolicyApiIT {

    @TempDir
    static Path directory;
    static TestBackend backend;
    static TestGateway gateway;
    static ConsoleClient admin;
    static ConsoleClient viewer;
    static ConsoleClient anonymous;

    @BeforeAll
    static void start() throws Exception {
        backend = TestBackend.start();
        gateway = TestGateway.in(directory).console("127.0.0.1:0").trust("10.0.0.0/8")
                .policy("sub_address_delimiter: \"+\"").protect("file.test", backend.hostPort())
                .consoleUser("root", "admin").consoleUser("watcher", "viewer").start();
        admin = ConsoleClient.of(gateway.gateway()).bearer(ConsoleClient.createToken(gateway.gateway(), "root"));
        viewer = ConsoleClient.of(gateway.gateway()).bearer(ConsoleClient.createToken(gateway.gateway(), "watcher"));
        anonymous = ConsoleClient.of(gateway.gateway());
    }

    @AfterAll
    static void stop() {
        admin.close();
        viewer.close();
        anonymous.close();
        gateway.close();
        backend.close();
    }

    /** Every route of this API, with a body that would be valid for an administrator. */
    private static final List<String[]> ROUTES = List.of(
            new String[] {"GET", "/api/v1/domains", null},
            new String[] {"POST", "/api/v1/domains", "{\"name\":\"x.test\",\"backends\":[\"127.0.0.1:25\"]}"},
            new String[] {"GET", "/api/v1/domains/file.test", null},
            new String[] {"PUT", "/api/v1/domains/x.test", "{\"backends\":[\"127.0.0.1:25\"]}"},
            new String[] {"DELETE", "/api/v1/domains/x.test", null},
            new String[] {"GET", "/api/v1/domains/file.test/recipients", null},
            new String[] {"POST", "/api/v1/domains/file.test/recipients", "{\"addresses\":[\"a@file.test\"]}"},
            new String[] {"DELETE", "/api/v1/domains/file.test/recipients/a@file.test", null},
            new String[] {"POST", "/api/v1/domains/file.test/recipients/import", "a@file.test"},
            new String[] {"GET", "/api/v1/networks", null},
            new String[] {"POST", "/api/v1/networks", "{\"cidr\":\"192.0.2.0/24\"}"},
            new String[] {"DELETE", "/api/v1/networks?cidr=192.0.2.0/24", null},
            new String[] {"GET", "/api/v1/settings", null},
            new String[] {"PUT", "/api/v1/settings", "{\"recipient_verification\":\"none\"}"},
            new String[] {"POST", "/api/v1/check", "{\"address\":\"a@file.test\"}"});

    @Test
    void refusesAnonymousCallersWithJson401OnEveryRoute() throws Exception {
        for (String[] route : ROUTES) {
            HttpResponse<String> response = anonymous.api(route[0], route[1], route[2]);
            assertThat(response.statusCode()).as(route[0] + " " + route[1]).isEqualTo(401);
            assertThat(json(response).path("error").asString()).as(route[1]).contains("sign in");
            assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
        }
    }

    @Test
    void letsViewersReadAndTestButNotChange() throws Exception {
        for (String[] route : ROUTES) {
            HttpResponse<String> response = viewer.api(route[0], route[1], route[2]);
            boolean read = route[0].equals("GET") || route[1].equals("/api/v1/check");
            assertThat(response.statusCode()).as(route[0] + " " + route[1]).isEqualTo(read ? 200 : 403);
            if (!read) {
                assertThat(json(response).path("error").asString()).contains("viewer");
            }
        }
    }

    @Test
    void addsShowsChangesAndDeletesADomain() throws Exception {
        HttpResponse<String> added = admin.api("POST", "/api/v1/domains",
                "{\"name\":\"Crud.Test\",\"backends\":\"127.0.0.1:2525, 127.0.0.2\",\"verification\":\"valid_list\"}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(json(added).path("name").asString()).isEqualTo("crud.test");
        assertThat(json(added).path("backends").toString()).isEqualTo("[\"127.0.0.1:2525\",\"127.0.0.2:25\"]");
        assertThat(json(added).path("source").asString()).isEqualTo("console");

        JsonNode list = json(admin.api("GET", "/api/v1/domains", null));
        assertThat(list.path("domains").toString()).contains("\"crud.test\"", "\"file.test\"");
        assertThat(json(admin.api("GET", "/api/v1/domains/file.test", null)).path("source").asString()).isEqualTo("file");

        HttpResponse<String> changed = admin.api("PUT", "/api/v1/domains/crud.test",
                "{\"backends\":[\"127.0.0.1:2526\"],\"verification\":\"none\"}");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
        assertThat(json(changed).path("effective_verification").asString()).isEqualTo("none");

        assertThat(admin.api("POST", "/api/v1/domains", "{\"name\":\"crud.test\",\"backends\":[\"h:25\"]}")
                .statusCode()).isEqualTo(409);
        assertThat(admin.api("DELETE", "/api/v1/domains/crud.test", null).statusCode()).isEqualTo(204);
        assertThat(admin.api("GET", "/api/v1/domains/crud.test", null).statusCode()).isEqualTo(404);
        assertThat(admin.api("DELETE", "/api/v1/domains/crud.test", null).statusCode()).isEqualTo(404);
        assertThat(new AuditLog(gateway.gateway().database()).recent(50))
                .extracting(AuditLog.Entry::action).contains("domain.add", "domain.change", "domain.remove");
    }

    @Test
    void refusesInvalidDomainsNamingTheProblem() throws Exception {
        assertBadRequest(admin.api("POST", "/api/v1/domains", "{\"name\":\"bad..name\",\"backends\":[\"h:25\"]}"), "name");
        assertBadRequest(admin.api("POST", "/api/v1/domains", "{\"name\":\"ok.test\",\"backends\":[\"h:99999\"]}"),
                "backend");
        assertBadRequest(admin.api("POST", "/api/v1/domains", "{\"name\":\"ok.test\"}"), "backends");
        assertBadRequest(admin.api("POST", "/api/v1/domains",
                "{\"name\":\"ok.test\",\"backends\":[\"h:25\"],\"verification\":\"maybe\"}"), "verification");
        // no directory in the configuration file: nothing could verify such a domain
        assertBadRequest(admin.api("POST", "/api/v1/domains",
                "{\"name\":\"ok.test\",\"backends\":[\"h:25\"],\"verification\":\"directory\"}"), "needs a directory");
        assertBadRequest(admin.api("PUT", "/api/v1/settings", "{\"recipient_verification\":\"directory\"}"),
                "needs a directory");
        assertBadRequest(admin.api("POST", "/api/v1/domains", "{\"name\":"), "JSON");
        assertBadRequest(admin.api("POST", "/api/v1/domains", "{\"name\":\"ok.test\",\"backend\":[\"h\"],\"x\":1}"), "x");
        assertBadRequest(admin.api("PUT", "/api/v1/domains/ok.test", "{\"name\":\"other.test\",\"backends\":[\"h\"]}"),
                "path");
        HttpResponse<String> pinned = admin.api("PUT", "/api/v1/domains/file.test", "{\"backends\":[\"h:25\"]}");
        assertThat(pinned.statusCode()).isEqualTo(409);
        assertThat(json(pinned).path("error").asString()).contains("configuration file");
        assertThat(admin.api("DELETE", "/api/v1/domains/file.test", null).statusCode()).isEqualTo(409);
    }

    @Test
    void aDomainAddedThroughTheApiGetsItsSettingsAtTheNextRcpt() throws Exception {
        assertThat(admin.api("POST", "/api/v1/domains", "{\"name\":\"live.test\",\"backends\":[\""
                + backend.hostPort() + "\"],\"verification\":\"valid_list\"}").statusCode()).isEqualTo(201);
        assertThat(rcpt("nobody@live.test")).isEqualTo(550);

        assertThat(admin.api("POST", "/api/v1/domains/live.test/recipients", "{\"addresses\":[\"alice@live.test\"]}")
                .statusCode()).isEqualTo(200);
        assertThat(rcpt("alice@live.test")).isEqualTo(250);
        assertThat(rcpt("alice+tag@live.test")).as("the file's sub-address delimiter applies").isEqualTo(250);

        admin.api("PUT", "/api/v1/domains/live.test", "{\"backends\":[\"" + backend.hostPort()
                + "\"],\"verification\":\"none\"}");
        assertThat(rcpt("nobody@live.test")).isEqualTo(250);

        admin.api("DELETE", "/api/v1/domains/live.test", null);
        assertThat(rcpt("alice@live.test")).as("no longer protected: relaying").isEqualTo(554);
    }

    @Test
    void searchesAddsDeletesAndImportsValidRecipients() throws Exception {
        String base = "/api/v1/domains/list.test/recipients";
        HttpResponse<String> added = admin.api("POST", base,
                "{\"addresses\":[\"alice@list.test\",\"bob@list.test\",\"Alice@LIST.test\"]}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        assertThat(json(added).path("added").asInt()).isEqualTo(2);

        JsonNode found = json(admin.api("GET", base + "?q=ALI&limit=10", null));
        assertThat(found.path("count").asLong()).isEqualTo(2);
        assertThat(found.path("entries").toString()).isEqualTo("[\"alice@list.test\"]");

        assertThat(admin.api("DELETE", base + "/bob@list.test", null).statusCode()).isEqualTo(204);
        assertThat(admin.api("DELETE", base + "/bob@list.test", null).statusCode()).isEqualTo(404);

        HttpResponse<String> imported = admin.text(base + "/import", "# export\ncarol@list.test\n\"Dan\",dan@list.test\n");
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
        assertThat(json(imported).path("after").asLong()).isEqualTo(3);

        HttpResponse<String> replaced = admin.text(base + "/import?replace=true", "erin@list.test\n");
        assertThat(json(replaced).path("after").asLong()).isEqualTo(1);
        assertThat(json(replaced).path("replaced").asBoolean()).isTrue();

        assertThat(new AuditLog(gateway.gateway().database()).recent(50)).extracting(AuditLog.Entry::action)
                .contains("recipients.add", "recipients.remove", "recipients.import", "recipients.replace");
    }

    @Test
    void refusesInvalidRecipientsNamingThem() throws Exception {
        String base = "/api/v1/domains/list2.test/recipients";
        assertBadRequest(admin.api("POST", base, "{\"addresses\":[\"ok@list2.test\",\"bob@elsewhere.test\"]}"),
                "bob@elsewhere.test");
        assertThat(json(admin.api("GET", base, null)).path("count").asLong()).as("all or nothing").isZero();
        assertBadRequest(admin.api("POST", base, "{\"addresses\":\"\"}"), "address");
        assertBadRequest(admin.api("POST", base, "{}"), "addresses");
        assertBadRequest(admin.text(base + "/import", "ok@list2.test\nnot an address\n"), "line 2");
        assertBadRequest(admin.text(base + "/import?replace=maybe", "ok@list2.test\n"), "replace");
        assertBadRequest(admin.api("GET", base + "?limit=0", null), "limit");
        assertBadRequest(admin.api("GET", "/api/v1/domains/bad..domain/recipients", null), "domain");
    }

    @Test
    void trustsAndForgetsNetworks() throws Exception {
        JsonNode before = json(admin.api("GET", "/api/v1/networks", null));
        assertThat(before.path("networks").toString()).contains("{\"cidr\":\"10.0.0.0/8\",\"source\":\"file\"}");

        HttpResponse<String> added = admin.api("POST", "/api/v1/networks", "{\"cidr\":\" 198.51.100.0/24\"}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(json(added).path("cidr").asString()).isEqualTo("198.51.100.0/24");
        assertThat(admin.api("POST", "/api/v1/networks", "{\"cidr\":\"198.51.100.0/24\"}").statusCode()).isEqualTo(409);
        assertThat(gateway.gateway().policy().effective().trustedNetworks()).contains("198.51.100.0/24");

        assertThat(admin.api("DELETE", "/api/v1/networks?cidr=198.51.100.0/24", null).statusCode()).isEqualTo(204);
        assertThat(admin.api("DELETE", "/api/v1/networks?cidr=198.51.100.0/24", null).statusCode()).isEqualTo(404);
        assertThat(admin.api("DELETE", "/api/v1/networks?cidr=10.0.0.0/8", null).statusCode()).isEqualTo(409);
        assertBadRequest(admin.api("POST", "/api/v1/networks", "{\"cidr\":\"300.1.2.3/8\"}"), "cidr");
        assertBadRequest(admin.api("POST", "/api/v1/networks", "{\"cidr\":\"198.51.100.7/24\"}"), "did you mean");
        assertBadRequest(admin.api("POST", "/api/v1/networks", "{\"cidr\":7}"), "cidr");
        assertBadRequest(admin.api("DELETE", "/api/v1/networks", null), "cidr");
    }

    @Test
    void readsAndChangesTheSettingsButNotThoseTheFilePins() throws Exception {
        JsonNode settings = json(admin.api("GET", "/api/v1/settings", null));
        assertThat(settings.path("reject_unknown_recipient_domains").asBoolean()).isTrue();
        assertThat(settings.path("pinned").toString()).isEqualTo("[\"sub_address_delimiter\"]");
        assertThat(settings.path("cache").path("positive_ttl").isString()).isTrue();

        HttpResponse<String> changed = admin.api("PUT", "/api/v1/settings",
                "{\"reject_unknown_recipient_domains\":false}");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
        assertThat(json(changed).path("reject_unknown_recipient_domains").asBoolean()).isFalse();
        assertThat(gateway.gateway().policy().effective().rejectUnknownRecipientDomains()).isFalse();
        admin.api("PUT", "/api/v1/settings", "{\"reject_unknown_recipient_domains\":true}");

        assertBadRequest(admin.api("PUT", "/api/v1/settings", "{\"recipient_verification\":\"sometimes\"}"),
                "recipient_verification");
        assertBadRequest(admin.api("PUT", "/api/v1/settings", "{\"reject_unknown_recipient_domains\":\"yes\"}"),
                "reject_unknown_recipient_domains");
        assertBadRequest(admin.api("PUT", "/api/v1/settings", "{\"reject_unknown\":true}"), "reject_unknown");
        HttpResponse<String> pinned = admin.api("PUT", "/api/v1/settings", "{\"sub_address_delimiter\":\"-\"}");
        assertThat(pinned.statusCode()).isEqualTo(409);
        assertThat(json(pinned).path("error").asString()).contains("configuration file");
    }

    @Test
    void changesTheCacheLifetimesAndHarvestThresholdsKeyByKey() throws Exception {
        HttpResponse<String> changed = admin.api("PUT", "/api/v1/settings",
                "{\"cache\":{\"negative_ttl\":\"10m\"},\"harvest\":{\"block_after\":50,\"tarpit_delay\":\"1s\"}}");

        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
        assertThat(json(changed).path("cache").path("negative_ttl").asString()).isEqualTo("10m");
        assertThat(json(changed).path("cache").path("positive_ttl").asString()).as("untouched").isEqualTo("7d");
        assertThat(gateway.gateway().policy().current().harvest().blockAfter()).isEqualTo(50);
        assertThat(gateway.gateway().policy().current().harvest().tarpitDelay()).hasSeconds(1);
        assertThat(gateway.gateway().policy().current().cache().negativeTtl()).hasMinutes(10);

        assertBadRequest(admin.api("PUT", "/api/v1/settings", "{\"cache\":{\"negative_ttl\":\"soon\"}}"),
                "policy.cache.negative_ttl");
        assertBadRequest(admin.api("PUT", "/api/v1/settings", "{\"cache\":{\"negative_refresh\":\"2h\"}}"),
                "negative_refresh");
        assertBadRequest(admin.api("PUT", "/api/v1/settings", "{\"harvest\":{\"block_afterr\":3}}"), "block_afterr");
        assertBadRequest(admin.api("PUT", "/api/v1/settings", "{\"harvest\":{\"block_after\":true}}"), "block_after");
        assertThat(gateway.gateway().policy().current().harvest().blockAfter()).as("unchanged").isEqualTo(50);
    }

    @Test
    void checksAnAddressLikeTheCommandLine() throws Exception {
        JsonNode accepted = json(admin.api("POST", "/api/v1/check", "{\"address\":\"anyone@file.test\"}"));
        assertThat(accepted.path("verdict").asString()).isEqualTo("accept");
        assertThat(accepted.path("code").asInt()).isEqualTo(250);
        assertThat(accepted.path("client").asString()).isEqualTo("192.0.2.1");
        assertThat(accepted.path("chain").toString()).contains("is not trusted", "verification none");

        JsonNode trusted = json(admin.api("POST", "/api/v1/check",
                "{\"address\":\"<someone@file.test>\",\"client\":\"10.1.2.3\"}"));
        assertThat(trusted.path("chain").toString()).contains("10.1.2.3 is in trusted_networks");

        JsonNode relay = json(admin.api("POST", "/api/v1/check", "{\"address\":\"someone@elsewhere.test\"}"));
        assertThat(relay.path("verdict").asString()).isEqualTo("reject");
        assertThat(relay.path("reply").asString()).startsWith("554 5.7.1");

        JsonNode syntax = json(admin.api("POST", "/api/v1/check", "{\"address\":\"not an address\"}"));
        assertThat(syntax.path("code").asInt()).isEqualTo(501);

        assertBadRequest(admin.api("POST", "/api/v1/check", "{\"client\":\"10.1.2.3\"}"), "address");
        assertBadRequest(admin.api("POST", "/api/v1/check", "{\"address\":\"a@file.test\",\"client\":\"mail.test\"}"),
                "client");
    }

    private static int rcpt(String address) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<sender@outside.test>");
            return client.command("RCPT TO:<" + address + ">").code();
        }
    }

    private static void assertBadRequest(HttpResponse<String> response, String named) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode body = json(response);
        assertThat(body.path("status").asInt()).isEqualTo(400);
        assertThat(body.path("error").asString()).contains(named);
    }

    private static JsonNode json(HttpResponse<String> response) {
        return Json.MAPPER.readTree(response.body());
    }
}
