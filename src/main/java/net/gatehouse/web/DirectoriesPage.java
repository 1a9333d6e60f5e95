package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.gatehouse.directory.Directories;
import net.gatehouse.directory.DirectoryProbe;
import net.gatehouse.directory.DirectoryStatus;
import net.gatehouse.queue.MessageAge;
import net.gatehouse.smtp.protocol.Command;
import net.gatehouse.smtp.protocol.CommandParser;
import net.gatehouse.smtp.protocol.MailboxAddress;

/**
 * The LDAP directories of {@code verification: directory} (SPEC §8): each one's state, its last
 * sync and its errors; a sync now (through {@code admin.DirectorySyncs}, which audits it; admins
 * only); and the test, which reads the directory now and shows which entry and which attribute give
 * an address, and whether the snapshot in force has it (open to viewers, as the address tester is:
 * it changes nothing). The API's routes are {@link DirectoriesApi}'s.
 */
public final class DirectoriesPage {

    /** Longest address accepted: RFC 5321 4.5.3.1.3, a path of 256 octets, with room for brackets. */
    private static final int MAX_ADDRESS = 300;

    /**
     * One directory as the page and the API show it.
     *
     * @param state              {@code ok}, {@code stale} (failing, serving its last good snapshot) or
     *                           {@code unavailable} (no snapshot: its domains get 451)
     * @param snapshotTakenAt    null before the first snapshot
     * @param snapshotAgeSeconds null before the first snapshot
     * @param lastError          why the last attempt failed or was refused; empty when it succeeded
     * @param failingSince       the first failed attempt of the current streak; null when not failing
     * @param source, password, settings as {@link DirectorySettingsPage.Settings} gives them
     */
    public record DirectoryState(String name, String state, List<String> servers, Instant snapshotTakenAt,
                                 Long snapshotAgeSeconds, int entries, int addresses, Instant lastAttempt,
                                 Instant lastSuccess, String lastError, Instant failingSince, String source,
                                 String password, Map<String, Object> settings) {

        static DirectoryState of(DirectoryStatus status, Instant now, DirectorySettingsPage.Settings settings) {
            return new DirectoryState(status.name(), status.state(), status.servers(),
                    status.snapshotTakenAt().orElse(null),
                    status.snapshotAge(now).map(age -> Math.max(0, age.toSeconds())).orElse(null),
                    status.entries(), status.addresses(), status.lastAttempt().orElse(null),
                    status.lastSuccess().orElse(null), status.lastError(), status.failingSince().orElse(null),
                    settings.source(), settings.password(), settings.settings());
        }

        public boolean ok() {
            return "ok".equals(state);
        }

        /** The snapshot's age in words, or "none". */
        public String snapshotAge() {
            return snapshotAgeSeconds == null ? "none" : MessageAge.format(Duration.ofSeconds(snapshotAgeSeconds));
        }
    }

    /** The answer of {@code GET /api/v1/directories}: every directory, in the order of the file. */
    public record DirectoryList(List<DirectoryState> directories) {

        /** The directories that are not {@code ok}: for the page's and the dashboard's warnings. */
        public List<DirectoryState> troubled() {
            return directories.stream().filter(d -> !d.ok()).toList();
        }
    }

    /** What a sync asked for by an administrator did, and the directory's state after it. */
    public record SyncAnswer(String directory, String result, String message, int entries, int addresses,
                             DirectoryState status) {
    }

    /**
     * The answer of the test.
     *
     * @param read       whether the directory could be read; if not, {@code problem} says why and
     *                   {@code listed} and {@code inSnapshot} are null
     * @param matches    each value that gives the address: entry (dn), attribute, value
     * @param listed     whether the directory lists the address now
     * @param inSnapshot whether the snapshot in force (the gateway's answer at RCPT TO) lists it
     * @param snapshot   the snapshot in force in words
     */
    public record TestResult(String directory, String address, boolean read, String problem, String server,
                             int entries, int addresses, List<DirectoryProbe.Match> matches, Boolean listed,
                             Boolean inSnapshot, String snapshot) {
    }

    /** The test form as filled in, and its answer if there is one. */
    public record TestForm(String directory, String address, Optional<TestResult> result) {
    }

    private DirectoriesPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/directories", Access.VIEWER, "The LDAP directories: state, last sync, entries, errors",
                (ctx, who) -> show(ctx, console, view(who), DirectorySettingsPage.AddForm.EMPTY));
        table.page(POST, "/directories/{name}/sync", Access.ADMIN, "Syncs a directory now", (ctx, who) -> {
            String name = ctx.pathParam("name");
            Directories.SyncResult result = console.admin().directories().sync(who.actor(), name,
                    !RequestValues.form(ctx, "force").isEmpty());
            String notice = "Sync of " + name + ": " + result.result() + ": " + result.message();
            show(ctx, console, "ok".equals(result.result()) ? view(who).withNotice(notice) : view(who).withError(notice),
                    new TestForm(name, "", Optional.empty()), DirectorySettingsPage.AddForm.EMPTY);
        });
        table.page(POST, "/directories/test", Access.VIEWER, "Tests an address against a directory read now",
                (ctx, who) -> {
                    String name = RequestValues.form(ctx, "directory").strip();
                    String address = RequestValues.form(ctx, "address").strip();
                    try {
                        TestResult result = test(console, name, address);
                        show(ctx, console, view(who), new TestForm(name, address, Optional.of(result)),
                                DirectorySettingsPage.AddForm.EMPTY);
                    } catch (ApiException e) {
                        ctx.status(e.status());
                        show(ctx, console, view(who).withError(e.getMessage()), new TestForm(name, address,
                                Optional.empty()), DirectorySettingsPage.AddForm.EMPTY);
                    }
                });
    }

    static View view(Principal who) {
        return View.of("Directories", "directories", who);
    }

    /** The page with the add form as given, and no test. */
    static void show(Context ctx, Console console, View view, DirectorySettingsPage.AddForm add) {
        show(ctx, console, view, new TestForm("", "", Optional.empty()), add);
    }

    private static void show(Context ctx, Console console, View view, TestForm test, DirectorySettingsPage.AddForm add) {
        Console.page(ctx, "directories.jte", Map.of("view", view, "directories", list(console), "test", test,
                "add", add));
    }

    /**
     * Every directory's state now: those of the policy in force (a directory just added, or just
     * removed, is in the policy before the directories follow it, a moment later).
     */
    static DirectoryList list(Console console) {
        Instant now = console.clock().instant();
        return new DirectoryList(console.parts().directories().status().get().stream()
                .filter(status -> console.parts().policy().effective().directory(status.name()).isPresent())
                .map(status -> DirectoryState.of(status, now, DirectorySettingsPage.find(console, status.name())))
                .toList());
    }

    /** @throws ApiException 404 if there is no directory of that name */
    static DirectoryState state(Console console, String name) {
        return list(console).directories().stream().filter(d -> d.name().equals(name)).findFirst()
                .orElseThrow(() -> ApiException.notFound("no directory " + name + " in policy.directories"));
    }

    /**
     * Reads the directory now and says where the address is.
     *
     * @throws ApiException 404 for an unknown directory, 400 for an address that is not one
     */
    static TestResult test(Console console, String name, String address) {
        if (name.isEmpty()) {
            throw ApiException.badRequest("directory is required: the name of one of policy.directories");
        }
        state(console, name);
        MailboxAddress mailbox = mailbox(address);
        String delimiter = console.parts().policy().current().subAddressDelimiter();
        try {
            DirectoryProbe.Result result = console.parts().directories().probe().apply(name).test(mailbox, delimiter);
            return new TestResult(name, mailbox.address(), true, "", result.server(), result.entries(),
                    result.addresses(), result.matches(), !result.matches().isEmpty(), result.inSnapshot(),
                    result.snapshot());
        } catch (DirectoryProbe.FailedException e) {
            return new TestResult(name, mailbox.address(), false, e.getMessage(), "", 0, 0, List.of(), null, null, "");
        }
    }

    private static MailboxAddress mailbox(String address) {
        if (address.isEmpty()) {
            throw ApiException.badRequest("address is required, e.g. alice@corp.example");
        }
        if (address.length() > MAX_ADDRESS) {
            throw ApiException.badRequest("address is longer than an SMTP path may be (256 octets)");
        }
        String path = address.startsWith("<") ? address : "<" + address + ">";
        if (CommandParser.parse("RCPT TO:" + path) instanceof Command.Rcpt rcpt && rcpt.recipient().mailbox().isPresent()) {
            return rcpt.recipient().mailbox().get();
        }
        throw ApiException.badRequest("not a valid address: " + address);
    }
}
