package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import net.gatehouse.store.AuditLog;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The rollout settings (SPEC §9) from every door of the console: the MTA advanced settings page,
 * the domain form and the API; each change audited, in force at the next RCPT, and what observe
 * mode lets through found in the message log (page and API) and on the dashboard.
 */
class RolloutConsoleIT {

    @TempDir
    Path directory;
    private TestBackend backend;
    private TestGateway gateway;
    private ConsoleClient admin;
    private ConsoleClient api;
    private ConsoleClient viewerApi;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.start();
        gateway = TestGateway.in(directory).console("127.0.0.1:0")
                .domain("{ name: listed.test, backend: [\"" + backend.hostPort() + "\"], valid_recipients: [alice@listed.test] }")
                .policy("recipient_verification: valid_list")
                .consoleUser("root", "admin", "root password").consoleUser("watcher", "viewer").start();
        admin = ConsoleClient.of(gateway.gateway()).login("root", "root password");
        api = ConsoleClient.of(gateway.gateway()).bearer(ConsoleClient.createToken(gateway.gateway(), "root"));
        viewerApi = ConsoleClient.of(gateway.gateway()).bearer(ConsoleClient.createToken(gateway.gateway(), "watcher"));
    }

    @AfterEach
    void stop() {
        admin.close();
        api.close();
        viewerApi.close();
        gateway.close();
        backend.close();
    }

    @Test
    void observeModeSwitchedOnFromTheSettingsPageShowsTheWouldRejectInTheLogAndOnTheDashboard() throws Exception {
        assertThat(admin.get("/settings").body()).contains("name=\"enforce\" value=\"false\"")
                .contains("Observe only");
        assertThat(gateway.rcpt("nobody@listed.test")).isEqualTo("550 5.1.1");

        HttpResponse<String> saved = admin.post("/settings", Map.of("enforce", "false"));
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        assertThat(saved.body()).contains("Saved.");
        assertThat(new AuditLog(gateway.gateway().database()).recent(1).getFirst()).satisfies(entry -> {
            assertThat(entry.action()).isEqualTo("settings.change");
            assertThat(entry.newValue()).contains("enforce: false");
        });

        assertThat(gateway.rcpt("nobody@listed.test")).isEqualTo("250 2.1.5");
        assertThat(gateway.rcpt("someone@elsewhere.test")).isEqualTo("554 5.7.1");   // relay control stays
        assertThat(gateway.gateway().messageLog().flush(Duration.ofSeconds(10))).isTrue();

        String log = admin.get("/log?verdict=would_reject").body();
        assertThat(log).contains("&lt;nobody@listed.test&gt;").contains("not_in_valid_list")
                .doesNotContain("someone@elsewhere.test");
        JsonNode entries = ConsoleClient.json(api.api("GET", "/api/v1/log?verdict=would_reject", null));
        assertThat(entries.size()).isEqualTo(1);
        assertThat(entries.get(0).path("reason").asString()).isEqualTo("not_in_valid_list");
        // reject finds the refusals only: nobody@ before observe mode, and the relay attempt
        JsonNode rejected = ConsoleClient.json(api.api("GET", "/api/v1/log?verdict=reject", null));
        assertThat(rejected.size()).isEqualTo(2);
        assertThat(admin.get("/").body()).contains("id=\"would-reject\"><span class=\"figure\">1</span>");
    }

    @Test
    void theApiSetsTheGlobalSettingsAndRefusesBadValuesAndViewers() throws Exception {
        HttpResponse<String> changed = api.api("PUT", "/api/v1/settings",
                "{\"unknown_recipient_reply\":450,\"when_backend_down\":\"accept_known\"}");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
        JsonNode settings = ConsoleClient.json(changed);
        assertThat(settings.path("enforce").asBoolean()).isTrue();
        assertThat(settings.path("unknown_recipient_reply").asInt()).isEqualTo(450);
        assertThat(settings.path("when_backend_down").asString()).isEqualTo("accept_known");
        assertThat(gateway.rcpt("nobody@listed.test")).isEqualTo("450 4.1.1");
        assertThat(new AuditLog(gateway.gateway().database()).recent(1).getFirst()).satisfies(entry -> {
            assertThat(entry.door()).isEqualTo("api");
            assertThat(entry.action()).isEqualTo("settings.change");
            assertThat(entry.newValue()).contains("unknown_recipient_reply: 450").contains("when_backend_down: accept_known");
        });

        HttpResponse<String> bad = api.api("PUT", "/api/v1/settings", "{\"unknown_recipient_reply\":451}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(ConsoleClient.json(bad).path("error").asString()).contains("unknown_recipient_reply");
        assertThat(viewerApi.api("PUT", "/api/v1/settings", "{\"enforce\":false}").statusCode()).isEqualTo(403);
        assertThat(gateway.gateway().policy().effective().rollout().enforces()).isTrue();
    }

    @Test
    void aDomainObservesFromItsFormAndTheApiShowsIt() throws Exception {
        HttpResponse<String> added = api.api("POST", "/api/v1/domains", "{\"name\":\"new.test\",\"backends\":[\""
                + backend.hostPort() + "\"],\"verification\":\"valid_list\",\"enforce\":false}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(ConsoleClient.json(added).path("enforce").asString()).isEqualTo("false");
        assertThat(gateway.rcpt("nobody@new.test")).isEqualTo("250 2.1.5");
        assertThat(gateway.rcpt("nobody@listed.test")).isEqualTo("550 5.1.1");   // the global setting enforces

        assertThat(admin.get("/domains/new.test").body()).contains("name=\"enforce\"");
        HttpResponse<String> saved = admin.post("/domains/new.test", Map.of("backends", backend.hostPort(),
                "verification", "valid_list", "enforce", "inherit", "unknown_recipient_reply", "450",
                "when_backend_down", "inherit"));
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        assertThat(gateway.rcpt("nobody@new.test")).isEqualTo("450 4.1.1");
        assertThat(new AuditLog(gateway.gateway().database()).recent(1).getFirst().newValue())
                .contains("unknown_recipient_reply: 450");

        HttpResponse<String> bad = admin.post("/domains/new.test", Map.of("backends", backend.hostPort(),
                "verification", "valid_list", "enforce", "perhaps"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("enforce: expected inherit, true or false");
    }
}
