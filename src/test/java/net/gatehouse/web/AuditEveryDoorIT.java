package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.gatehouse.queue.DeliveryScheduler;
import net.gatehouse.queue.QueueId;
import net.gatehouse.store.AuditLog;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.testing.SmtpTestClient;
import net.gatehouse.testing.TestBackend;
import net.gatehouse.testing.TestDirectory;
import net.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The house rule through the console's two doors: every change made with a form of the console, or
 * with a call of the API, leaves exactly one new entry in the audit log, naming its actor and the
 * door it came through. (The command line's door: {@code cli.AuditEveryDoorTest}.) One table per
 * door, one row per kind of change, run in order on one gateway: a row may rely on the rows above.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditEveryDoorIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String PASSWORD = "ada's first password";

    @TempDir
    static Path directory;
    /** example.test's back-end defers every recipient: messages stay queued for the queue's rows. */
    private final TestBackend deferring = TestBackend.start().greylist();
    private final TestBackend senders = TestBackend.start();
    /** The directory of the "directory sync" rows. */
    private final TestDirectory ldap = TestDirectory.start();
    private TestGateway gateway;
    private DeliveryScheduler delivery;
    private ConsoleClient console;
    private ConsoleClient api;

    /** One change through one door, and the audit action it must leave. */
    record Row(String change, String action, Call call) {
        @Override
        public String toString() {
            return change;
        }
    }

    @FunctionalInterface
    interface Call {
        HttpResponse<String> send(AuditEveryDoorIT test) throws Exception;
    }

    @BeforeAll
    void start() throws Exception {
        deferring.tempFailRecipient("alice@example.test");
        Path ldapPassword = directory.resolve("ldap.secret");
        Files.writeString(ldapPassword, TestDirectory.BIND_PASSWORD);
        gateway = TestGateway.in(directory).console("127.0.0.1:0")
                .policy("directories: [{ name: corp, servers: [\"" + ldap.url() + "\"], bind_dn: \""
                        + TestDirectory.BIND_DN + "\", bind_password_file: " + ldapPassword + ", base_dn: \""
                        + TestDirectory.BASE_DN + "\", page_size: 4 }]")
                .protect("example.test", deferring.hostPort()).protect("senders.test", senders.hostPort())
                .delivery("min_backoff: 1m").delivery("max_backoff: 2m")
                .consoleUser("ada", "admin", PASSWORD).consoleUser("api", "admin").start();
        delivery = gateway.gateway().delivery();
        console = ConsoleClient.of(gateway.gateway()).session("ada");
        api = ConsoleClient.of(gateway.gateway()).bearer(ConsoleClient.createToken(gateway.gateway(), "api"));
    }

    @AfterAll
    void stop() {
        if (console != null) {
            console.close();
            api.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        deferring.close();
        senders.close();
        ldap.close();
    }

    static Stream<Row> consoleForms() {
        return Stream.of(
                new Row("recipients add", "recipients.add", t -> t.console.post("/recipients/add",
                        "domain", "example.test", "addresses", "one@example.test two@example.test")),
                new Row("recipients remove", "recipients.remove", t -> t.console.post("/recipients/delete",
                        "domain", "example.test", "address", "two@example.test")),
                new Row("recipients import", "recipients.import", t -> t.console.upload("/recipients/import",
                        Map.of("domain", "example.test"), "staff.txt", "three@example.test\nfour@example.test\n")),
                new Row("recipients replace", "recipients.replace", t -> t.console.upload("/recipients/import",
                        Map.of("domain", "example.test", "replace", "on"), "staff.txt", "one@example.test\n")),
                new Row("domain add", "domain.add", t -> t.console.post("/domains",
                        "name", "forms.example", "backends", "127.0.0.1:2526", "verification", "none")),
                new Row("domain change", "domain.change", t -> t.console.post("/domains/forms.example",
                        "backends", "127.0.0.1:2527", "verification", "valid_list")),
                new Row("domain remove", "domain.remove", t -> t.console.post("/domains/forms.example/delete")),
                new Row("network add", "network.add", t -> t.console.post("/networks", "cidr", "192.0.2.0/24")),
                new Row("network remove", "network.remove", t -> t.console.post("/networks/delete",
                        "cidr", "192.0.2.0/24")),
                new Row("settings change", "settings.change", t -> t.console.post("/settings",
                        "reject_unknown_recipient_domains", "no", "recipient_verification", "none",
                        "sub_address_delimiter", "")),
                new Row("limits change", "settings.change", t -> t.console.post("/settings/limits",
                        "harvest.block_after", "77")),
                new Row("user add", "user.add", t -> t.console.post("/users",
                        "name", "viv", "role", "viewer", "password", "viv's long password")),
                new Row("user role", "user.role", t -> t.console.post("/users/viv/role", "role", "admin")),
                new Row("user password", "user.password", t -> t.console.post("/users/viv/password",
                        "password", "viv's other password")),
                new Row("user remove", "user.remove", t -> t.console.post("/users/viv/remove")),
                new Row("token create", "token.create", t -> t.console.post("/tokens", "label", "laptop")),
                new Row("token revoke", "token.revoke", t -> t.console.post("/tokens/" + t.newestToken() + "/revoke")),
                new Row("queue retry", "queue.retry", t -> t.console.post("/queue/" + t.queued() + "/retry")),
                new Row("queue delete", "queue.delete", t -> t.console.post("/queue/" + t.queued() + "/delete")),
                new Row("queue bounce", "queue.bounce", t -> t.console.post("/queue/" + t.queued() + "/bounce")),
                new Row("directory sync", "directory.sync", t -> t.console.post("/directories/corp/sync")),
                new Row("directory sync forced", "directory.sync_forced", t -> t.console.post("/directories/corp/sync",
                        "force", "on")),
                new Row("directory add", "directory.add", t -> t.console.post("/directories", "name", "forms",
                        "servers", t.ldap.url(), "base_dn", TestDirectory.BASE_DN, "sync_every", "1h")),
                new Row("directory change", "directory.change", t -> t.console.post("/directories/forms/settings",
                        "servers", t.ldap.url(), "base_dn", TestDirectory.BASE_DN, "sync_every", "2h")),
                new Row("directory remove", "directory.remove", t -> t.console.post("/directories/forms/delete")),
                new Row("cache flush", "cache.flush", t -> t.console.post("/tester/flush",
                        "address", "carol@example.test")),
                new Row("cache flush domain", "cache.flush_domain", t -> t.console.post("/tester/flush-cache",
                        "domain", "example.test")),
                new Row("cache flush all", "cache.flush_all", t -> t.console.post("/tester/flush-cache",
                        "scope", "all")),
                new Row("own password", "user.password", t -> t.console.post("/account/password",
                        "current_password", PASSWORD, "new_password", "ada's second password",
                        "new_password_again", "ada's second password")));
    }

    static Stream<Row> apiCalls() {
        return Stream.of(
                new Row("recipients add", "recipients.add", t -> t.api.api("POST",
                        "/api/v1/domains/example.test/recipients", "{\"addresses\": [\"five@example.test\", "
                                + "\"six@example.test\"]}")),
                new Row("recipients remove", "recipients.remove", t -> t.api.api("DELETE",
                        "/api/v1/domains/example.test/recipients/six@example.test", null)),
                new Row("recipients import", "recipients.import", t -> t.api.text(
                        "/api/v1/domains/example.test/recipients/import", "seven@example.test\n")),
                new Row("recipients replace", "recipients.replace", t -> t.api.text(
                        "/api/v1/domains/example.test/recipients/import?replace=true", "five@example.test\n")),
                new Row("domain add", "domain.add", t -> t.api.api("POST", "/api/v1/domains",
                        "{\"name\": \"api.example\", \"backends\": [\"127.0.0.1:2526\"], \"verification\": \"none\"}")),
                new Row("domain change", "domain.change", t -> t.api.api("PUT", "/api/v1/domains/api.example",
                        "{\"backends\": [\"127.0.0.1:2527\"]}")),
                new Row("domain remove", "domain.remove", t -> t.api.api("DELETE", "/api/v1/domains/api.example",
                        null)),
                new Row("network add", "network.add", t -> t.api.api("POST", "/api/v1/networks",
                        "{\"cidr\": \"198.51.100.0/24\"}")),
                new Row("network remove", "network.remove", t -> t.api.api("DELETE",
                        "/api/v1/networks?cidr=198.51.100.0/24", null)),
                new Row("settings change", "settings.change", t -> t.api.api("PUT", "/api/v1/settings",
                        "{\"reject_unknown_recipient_domains\": true}")),
                new Row("user add", "user.add", t -> t.api.api("POST", "/api/v1/users",
                        "{\"name\": \"val\", \"role\": \"viewer\", \"password\": \"val's long password\"}")),
                new Row("user role", "user.role", t -> t.api.api("PUT", "/api/v1/users/val", "{\"role\": \"admin\"}")),
                new Row("user password", "user.password", t -> t.api.api("PUT", "/api/v1/users/val",
                        "{\"password\": \"val's other password\"}")),
                new Row("user remove", "user.remove", t -> t.api.api("DELETE", "/api/v1/users/val", null)),
                new Row("token create", "token.create", t -> t.api.api("POST", "/api/v1/tokens",
                        "{\"label\": \"script\"}")),
                new Row("token revoke", "token.revoke", t -> t.api.api("DELETE", "/api/v1/tokens/" + t.newestToken(),
                        null)),
                new Row("queue retry", "queue.retry", t -> t.api.api("POST", "/api/v1/queue/" + t.queued() + "/retry",
                        null)),
                new Row("queue delete", "queue.delete", t -> t.api.api("DELETE", "/api/v1/queue/" + t.queued(), null)),
                new Row("queue bounce", "queue.bounce", t -> t.api.api("POST", "/api/v1/queue/" + t.queued()
                        + "/bounce", null)),
                new Row("directory sync", "directory.sync", t -> t.api.api("POST", "/api/v1/directories/corp/sync",
                        null)),
                new Row("directory sync forced", "directory.sync_forced", t -> t.api.api("POST",
                        "/api/v1/directories/corp/sync", "{\"force\": true}")),
                new Row("directory add", "directory.add", t -> t.api.api("POST", "/api/v1/directories",
                        "{\"name\": \"api-dir\", \"servers\": [\"" + t.ldap.url() + "\"], \"base_dn\": \""
                                + TestDirectory.BASE_DN + "\", \"sync_every\": \"1h\"}")),
                new Row("directory change", "directory.change", t -> t.api.api("PUT", "/api/v1/directories/api-dir",
                        "{\"servers\": [\"" + t.ldap.url() + "\"], \"base_dn\": \"" + TestDirectory.BASE_DN
                                + "\", \"sync_every\": \"2h\"}")),
                new Row("directory remove", "directory.remove", t -> t.api.api("DELETE", "/api/v1/directories/api-dir",
                        null)),
                new Row("cache flush", "cache.flush", t -> t.api.api("DELETE", "/api/v1/cache/carol@example.test",
                        null)),
                new Row("cache flush domain", "cache.flush_domain", t -> t.api.api("DELETE",
                        "/api/v1/cache?domain=example.test", null)),
                new Row("cache flush all", "cache.flush_all", t -> t.api.api("DELETE", "/api/v1/cache", null)));
    }

    @Order(1)
    @ParameterizedTest(name = "console form: {0}")
    @MethodSource("consoleForms")
    void everyChangeMadeWithAConsoleFormIsAuditedOnceAsItsUserThroughTheConsole(Row row) throws Exception {
        assertAuditedOnce(row, "ada", "console");
    }

    @Order(2)
    @ParameterizedTest(name = "API: {0}")
    @MethodSource("apiCalls")
    void everyChangeMadeThroughTheApiIsAuditedOnceAsItsTokensUserThroughTheApi(Row row) throws Exception {
        assertAuditedOnce(row, "api", "api");
    }

    private void assertAuditedOnce(Row row, String actor, String door) throws Exception {
        AuditLog audit = new AuditLog(gateway.gateway().database());
        long before = newestId(audit);

        HttpResponse<String> response = row.call().send(this);

        assertThat(response.statusCode()).as(response.body()).isBetween(200, 303);
        assertThat(response.body()).as("the page shows no refusal").doesNotContain("notice error");
        List<AuditLog.Entry> added = audit.recent(AuditLog.MAX_ENTRIES).stream().filter(e -> e.id() > before).toList();
        assertThat(added).as("new audit entries").hasSize(1);
        assertThat(added.getFirst()).satisfies(entry -> {
            assertThat(entry.action()).isEqualTo(row.action());
            assertThat(entry.actor()).isEqualTo(actor);
            assertThat(entry.door()).isEqualTo(door);
        });
    }

    private static long newestId(AuditLog audit) {
        List<AuditLog.Entry> newest = audit.recent(1);
        return newest.isEmpty() ? 0 : newest.getFirst().id();
    }

    private String newestToken() {
        List<ConsoleUsers.Token> tokens = new ConsoleUsers(gateway.gateway().database()).tokens();
        return tokens.getLast().id();
    }

    /** A new message to alice, queued and waiting after its first attempt. */
    private QueueId queued() throws Exception {
        QueueId id;
        try (SmtpTestClient client = gateway.client()) {
            String reply = client.sendMail("bob@senders.test", List.of("alice@example.test"),
                    "Subject: hi\r\n\r\nhi\r\n").text();
            id = new QueueId(reply.substring("Ok: queued as ".length()));
        }
        await().atMost(WAIT).until(() -> delivery.find(id).orElseThrow(), m -> m.attempts() >= 1 && !m.delivering());
        return id;
    }
}
