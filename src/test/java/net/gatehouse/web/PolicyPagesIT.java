package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import net.gatehouse.store.AuditLog;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's policy pages (domains, valid recipients, trusted networks, the address tester)
 * against a real gateway, signed in through the login form: pages render, forms with the CSRF
 * token change the policy and the very next RCPT follows, forms without it or from a viewer are
 * refused, and attacker text comes back escaped.
 */
class PolicyPagesIT {

    @TempDir
    static Path directory;
    static TestBackend backend;
    static TestGateway gateway;
    static ConsoleClient admin;
    static ConsoleClient viewer;

    @BeforeAll
    static void start() throws Exception {
        backend = TestBackend.start(); // accepts any address: a catch-all
        gateway = TestGateway.in(directory).console("127.0.0.1:0").trust("10.0.0.0/8")
                .protect("file.test", backend.hostPort())
                .domain("{ name: listed.test, backend: [\"" + backend.hostPort() + "\"], verification: valid_list }")
                .consoleUser("root", "admin", "root password").consoleUser("watcher", "viewer").start();
        admin = ConsoleClient.of(gateway.gateway()).login("root", "root password");
        viewer = ConsoleClient.of(gateway.gateway()).session("watcher");
    }

    @AfterAll
    static void stop() {
        admin.close();
        viewer.close();
        gateway.close();
        backend.close();
    }

    @Test
    void changesTheHarvestThresholdsFromTheSettingsPage() throws Exception {
        HttpResponse<String> page = admin.get("/settings");
        assertThat(page.body()).contains("name=\"harvest.block_after\" value=\"30\"")
                .contains("name=\"cache.positive_ttl\" value=\"7d\"");

        HttpResponse<String> saved = admin.post("/settings/limits", Map.of("harvest.block_after", "40",
                "harvest.tarpit_after", "12", "cache.positive_ttl", "7d"));

        assertThat(saved.statusCode()).isEqualTo(200);
        assertThat(saved.body()).contains("Saved.").contains("name=\"harvest.block_after\" value=\"40\"");
        assertThat(gateway.gateway().policy().current().harvest().tarpitAfter()).isEqualTo(12);

        HttpResponse<String> refused = admin.post("/settings/limits", Map.of("harvest.tarpit_after", "99"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("tarpit_after").contains("must not be more than block_after");
        assertThat(gateway.gateway().policy().current().harvest().tarpitAfter()).isEqualTo(12);
    }

    @Test
    void rendersEveryPageForAViewerWithoutItsChangeForms() throws Exception {
        for (String path : new String[] {"/domains", "/domains/file.test", "/recipients?domain=listed.test",
                "/networks", "/tester"}) {
            HttpResponse<String> page = viewer.get(path);
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            assertThat(page.body()).as(path).contains("<h1>").doesNotContain("id=\"add-", "id=\"delete-", "id=\"import-");
        }
        assertThat(viewer.get("/domains").body()).contains("file.test", "set in the configuration file");
        assertThat(viewer.get("/networks").body()).contains("10.0.0.0/8", "set in the configuration file");
    }

    @Test
    void sendsAnonymousVisitorsToTheLoginPage() throws Exception {
        try (ConsoleClient anonymous = ConsoleClient.of(gateway.gateway())) {
            for (String path : new String[] {"/domains", "/recipients", "/networks", "/tester", "/domains/file.test"}) {
                HttpResponse<String> page = anonymous.get(path);
                assertThat(page.statusCode()).as(path).isEqualTo(302);
                assertThat(page.headers().firstValue("Location")).get().asString().startsWith("/login?next=");
            }
            assertThat(anonymous.postForm("/domains", Map.of("name", "anon.test", "backends", "h")).statusCode())
                    .isEqualTo(401);
        }
    }

    @Test
    void addsEditsAndDeletesADomainWithTheFormsAndRefusesFormsWithoutTheToken() throws Exception {
        HttpResponse<String> forged = admin.postForm("/domains", Map.of("name", "forged.test", "backends", "h:25"));
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(gateway.gateway().policy().effective().domain("forged.test")).isEmpty();
        viewer.get("/domains");
        assertThat(viewer.post("/domains", Map.of("name", "viewer.test", "backends", "h:25")).statusCode())
                .isEqualTo(403);

        admin.get("/domains");
        HttpResponse<String> added = admin.post("/domains", Map.of("name", "form.test",
                "backends", backend.hostPort() + "\n127.0.0.1:2526", "verification", "valid_list"));
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        assertThat(added.body()).contains("Added form.test", "data-domain=\"form.test\"");
        assertThat(rcpt("nobody@form.test")).as("valid_list, nobody listed").isEqualTo(550);

        admin.get("/domains/form.test");
        HttpResponse<String> edited = admin.post("/domains/form.test", Map.of("backends", backend.hostPort(),
                "verification", "none"));
        assertThat(edited.statusCode()).as(edited.body()).isEqualTo(200);
        assertThat(rcpt("nobody@form.test")).isEqualTo(250);

        HttpResponse<String> invalid = admin.post("/domains", Map.of("name", "bad.test", "backends", "h:0"));
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.body()).contains("notice error", "backend");

        HttpResponse<String> forgedDelete = admin.postForm("/domains/form.test/delete", Map.of());
        assertThat(forgedDelete.statusCode()).isEqualTo(403);
        HttpResponse<String> deleted = admin.post("/domains/form.test/delete", Map.of());
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(deleted.body()).contains("Deleted form.test").doesNotContain("data-domain=\"form.test\"");
        assertThat(rcpt("nobody@form.test")).isEqualTo(554);
    }

    @Test
    void aValidRecipientAddedInTheConsoleIsAcceptedAtTheVeryNextRcpt() throws Exception {
        assertThat(rcpt("newcomer@listed.test")).isEqualTo(550);

        admin.get("/recipients?domain=listed.test");
        HttpResponse<String> added = admin.post("/recipients/add", Map.of("domain", "listed.test",
                "addresses", "newcomer@listed.test\nother@listed.test"));
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        assertThat(added.body()).contains("Added 2 of 2");
        assertThat(rcpt("newcomer@listed.test")).as("no waiting for the directory's poll").isEqualTo(250);

        HttpResponse<String> deleted = admin.post("/recipients/delete", Map.of("domain", "listed.test",
                "address", "newcomer@listed.test"));
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(rcpt("newcomer@listed.test")).isEqualTo(550);
        assertThat(admin.postForm("/recipients/add", Map.of("domain", "listed.test", "addresses", "x@listed.test"))
                .statusCode()).isEqualTo(403);
        assertThat(new AuditLog(gateway.gateway().database()).recent(20)).anySatisfy(entry -> {
            assertThat(entry.action()).isEqualTo("recipients.add");
            assertThat(entry.actor()).isEqualTo("root");
            assertThat(entry.newValue()).contains("newcomer@listed.test");
        });
    }

    @Test
    void importsAnUploadedListFile() throws Exception {
        admin.get("/recipients?domain=import.test");
        HttpResponse<String> imported = admin.upload("/recipients/import", Map.of("domain", "import.test"),
                "users.csv", "name,email\nAnn,ann@import.test\nBen,ben@import.test\n");
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
        assertThat(imported.body()).contains("2 entries read, 2 new", "ann@import.test", "ben@import.test");

        HttpResponse<String> refused = admin.upload("/recipients/import", Map.of("domain", "import.test"),
                "bad.txt", "ok@import.test\nnope@other.test\n");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("line 2", "nothing changed");
        assertThat(gateway.gateway().validRecipientStore().count("import.test")).isEqualTo(2);
    }

    @Test
    void trustsAndForgetsANetworkWithTheForms() throws Exception {
        admin.get("/networks");
        HttpResponse<String> invalid = admin.post("/networks", Map.of("cidr", "192.0.2.0/33"));
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.body()).contains("notice error", "cidr");

        HttpResponse<String> added = admin.post("/networks", Map.of("cidr", "192.0.2.0/24"));
        assertThat(added.statusCode()).isEqualTo(200);
        assertThat(added.body()).contains("Trusted 192.0.2.0/24");
        assertThat(gateway.gateway().policy().effective().trustedNetworks()).contains("192.0.2.0/24");

        assertThat(admin.postForm("/networks/delete", Map.of("cidr", "192.0.2.0/24")).statusCode()).isEqualTo(403);
        HttpResponse<String> removed = admin.post("/networks/delete", Map.of("cidr", "192.0.2.0/24"));
        assertThat(removed.body()).contains("No longer trusted: 192.0.2.0/24");
        assertThat(gateway.gateway().policy().effective().trustedNetworks()).doesNotContain("192.0.2.0/24");
    }

    @Test
    void showsTheCatchAllWarningWithTheFixOnceTheBackendAcceptsAnything() throws Exception {
        admin.get("/domains");
        admin.post("/domains", Map.of("name", "catchall.test", "backends", backend.hostPort(),
                "verification", "callout"));

        admin.get("/tester");
        HttpResponse<String> tested = admin.post("/tester", Map.of("address", "someone@catchall.test",
                "client", "192.0.2.1"));
        assertThat(tested.statusCode()).isEqualTo(200);
        assertThat(tested.body()).contains("id=\"verdict\"", "catch-all");

        String domains = admin.get("/domains").body();
        assertThat(domains).contains("catchall.test: the back-end accepts mail for any address",
                "accepted unverified", "Reject", "smtpd_reject_unlisted_recipient");
        assertThat(admin.get("/domains/catchall.test").body()).contains("accepts mail for any address");
        assertThat(admin.get("/domains/file.test").body()).doesNotContain("accepts mail for any address");
    }

    @Test
    void checksANewCalloutDomainForACatchAllBackendBeforeItsFirstRecipient() throws Exception {
        admin.get("/domains");
        admin.post("/domains", Map.of("name", "fresh-catchall.test", "backends", backend.hostPort(),
                "verification", "callout"));

        // no RCPT, no tester: adding the domain started the check
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(admin.get("/domains/fresh-catchall.test").body()).contains("accepts mail for any address"));
    }

    @Test
    void testsAnAddressWithTheTesterAndRefusesItWithoutTheToken() throws Exception {
        viewer.get("/tester");
        HttpResponse<String> tested = viewer.post("/tester", Map.of("address", "a@elsewhere.test", "client", ""));
        assertThat(tested.statusCode()).isEqualTo(200);
        assertThat(tested.body()).contains("permanent refusal", "554 5.7.1", "is not trusted");
        assertThat(viewer.postForm("/tester", Map.of("address", "a@file.test")).statusCode()).isEqualTo(403);
        HttpResponse<String> badClient = viewer.post("/tester", Map.of("address", "a@file.test", "client", "x"));
        assertThat(badClient.statusCode()).isEqualTo(400);
        assertThat(badClient.body()).contains("client must be an IP address");
    }

    @Test
    void rendersAttackerTextInert() throws Exception {
        String script = "<script>alert(1)</script>";
        String search = admin.get("/recipients?domain=listed.test&q=" + ConsoleClient.encode(script)).body();
        assertThat(search).doesNotContain(script).contains("&lt;script&gt;alert(1)&lt;/script&gt;");

        admin.get("/tester");
        String tested = admin.post("/tester", Map.of("address", script + "@file.test", "client", "")).body();
        assertThat(tested).doesNotContain(script).contains("&lt;script&gt;");

        admin.get("/recipients?domain=listed.test");
        HttpResponse<String> entry = admin.post("/recipients/add", Map.of("domain", "listed.test",
                "addresses", "<img/src=x/onerror=alert(1)>@listed.test"));
        assertThat(entry.statusCode()).isEqualTo(400);
        assertThat(entry.body()).doesNotContain("<img").contains("&lt;img");

        admin.get("/domains");
        HttpResponse<String> domain = admin.post("/domains", Map.of("name", script + ".test", "backends", "h"));
        assertThat(domain.statusCode()).isEqualTo(400);
        assertThat(domain.body()).doesNotContain(script).contains("&lt;script&gt;");

        // an entry with the characters an address may hold that matter in HTML attributes
        admin.post("/recipients/add", Map.of("domain", "listed.test", "addresses", "o'neil&co@listed.test"));
        String listed = admin.get("/recipients?domain=listed.test&q=neil").body();
        assertThat(listed).contains("o&#39;neil&amp;co@listed.test").doesNotContain("o'neil&co");
    }

    private static int rcpt(String address) throws Exception {
        try (SmtpTestClient client = gateway.client()) {
            client.command("MAIL FROM:<sender@outside.test>");
            return client.command("RCPT TO:<" + address + ">").code();
        }
    }
}
