package net.gatehouse.web;

import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import net.gatehouse.admin.Refusal;
import net.gatehouse.config.DirectoryConfig;
import net.gatehouse.config.DirectoryConfig.Kind;
import net.gatehouse.config.PolicyDocument;

/**
 * A directory's settings in the console (SPEC §8): the form that adds one to the console's policy,
 * and each directory's page, where the console's directories are edited and removed and the file's
 * are shown read-only. Changes go through {@code admin.DirectorySettings}, which audits them and puts
 * them in force on every node. The bind password is a write-only field: the page says whether one
 * is set, never what it is, and an empty field keeps it.
 */
public final class DirectorySettingsPage {

    /** The keys of a directory that the form and the API take, as the file names them. */
    static final List<String> KEYS = List.of("name", "servers", "start_tls", "ca_file", "bind_dn", "base_dn", "kind",
            "attributes", "filter", "exclude_disabled", "sync_every", "max_shrink", "page_size", "connect_timeout",
            "search_timeout");
    private static final List<String> LISTS = List.of("servers", "attributes");
    private static final List<String> FLAGS = List.of("start_tls", "exclude_disabled");

    /**
     * A directory as its page shows it.
     *
     * @param source   {@code file} (read-only here) or {@code console}
     * @param settings the directory's keys as the file writes them (no password, ever)
     * @param password where the bind password comes from: {@code none} (anonymous bind), {@code file}
     *                 ({@code bind_password_file}), {@code console} (set here, not shown) or
     *                 {@code environment} ({@code GATEHOUSE_LDAP_<NAME>_PASSWORD})
     */
    public record Settings(String name, String source, Map<String, Object> settings, String password) {

        public boolean pinned() {
            return source.equals("file");
        }

        /** The value of a key for a form field: lists one a line ({@code servers}) or comma-separated. */
        public String field(String key) {
            Object value = settings.get(key);
            if (value instanceof List<?> list) {
                return String.join(key.equals("servers") ? "\n" : ", ", list.stream().map(Object::toString).toList());
            }
            return value == null ? "" : value.toString();
        }

        /** The form's fields: every key, flags {@code on} or empty. */
        public Map<String, String> fields() {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String key : KEYS) {
                fields.put(key, FLAGS.contains(key) ? (Boolean.TRUE.equals(settings.get(key)) ? "on" : "") : field(key));
            }
            return fields;
        }

        /** The password's state in words. */
        public String passwordState() {
            return switch (password) {
                case "none" -> "none: an anonymous bind (no bind_dn)";
                case "file" -> "read from bind_password_file";
                case "console" -> "set (never shown)";
                default -> "not set here: read from " + DirectoryConfig.passwordVariable(name) + " in the environment";
            };
        }
    }

    /** The add form as filled in, kept when a change is refused. */
    public record AddForm(Map<String, String> fields) {

        static final AddForm EMPTY = new AddForm(Map.of("kind", Kind.ACTIVE_DIRECTORY.configName(),
                "sync_every", "10m", "max_shrink", "50%"));

        public String field(String key) {
            return fields.getOrDefault(key, "");
        }
    }

    private DirectorySettingsPage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(POST, "/directories", Access.ADMIN, "Adds a directory to the console's policy", (ctx, who) -> {
            Map<String, Object> keys = keys(name -> formText(ctx, name));
            try {
                String name = console.admin().directorySettings().put(who.actor(), keys,
                        Optional.of(RequestValues.form(ctx, "bind_password")), false, true);
                DirectoriesPage.show(ctx, console, DirectoriesPage.view(who).withNotice("Added the directory " + name
                        + ": it is being read now; its snapshot is in force once the sync succeeds."), AddForm.EMPTY);
            } catch (Refusal e) {
                ctx.status(ApiException.of(e).status());
                DirectoriesPage.show(ctx, console, DirectoriesPage.view(who).withError(e.getMessage()),
                        new AddForm(filled(ctx)));
            }
        });
        table.page(GET, "/directories/{name}", Access.VIEWER, "A directory's settings, with the edit form",
                (ctx, who) -> {
                    Settings settings = find(console, ctx.pathParam("name"));
                    edit(ctx, view(who, settings.name()), settings);
                });
        table.page(POST, "/directories/{name}/settings", Access.ADMIN, "Changes a directory's settings",
                (ctx, who) -> {
                    Settings before = find(console, ctx.pathParam("name"));
                    Map<String, Object> keys = keys(name -> formText(ctx, name));
                    keys.put("name", before.name());
                    try {
                        console.admin().directorySettings().put(who.actor(), keys,
                                Optional.of(RequestValues.form(ctx, "bind_password")),
                                !RequestValues.form(ctx, "remove_password").isEmpty(), false);
                        edit(ctx, view(who, before.name()).withNotice("Saved. The directory is read again now with "
                                + "these settings; the snapshot in force stays until that succeeds."),
                                find(console, before.name()));
                    } catch (Refusal e) {
                        ctx.status(ApiException.of(e).status());
                        edit(ctx, view(who, before.name()).withError(e.getMessage()), before);
                    }
                });
        table.page(POST, "/directories/{name}/delete", Access.ADMIN, "Removes a directory from the console's policy",
                (ctx, who) -> {
                    Settings settings = find(console, ctx.pathParam("name"));
                    try {
                        console.admin().directorySettings().remove(who.actor(), settings.name());
                        DirectoriesPage.show(ctx, console, DirectoriesPage.view(who).withNotice("Removed the directory "
                                + settings.name() + ", with its password and snapshot."), AddForm.EMPTY);
                    } catch (Refusal e) {
                        ctx.status(ApiException.of(e).status());
                        edit(ctx, view(who, settings.name()).withError(e.getMessage()), settings);
                    }
                });
    }

    private static View view(Principal who, String name) {
        return View.of("Directory " + name, "directories", who);
    }

    private static void edit(Context ctx, View view, Settings settings) {
        Console.page(ctx, "directory.jte", Map.of("view", view, "directory", settings));
    }

    /** The directory of the policy in force of that name, as its page shows it. */
    static Settings find(Console console, String name) {
        DirectoryConfig config = console.parts().policy().effective().directory(name)
                .orElseThrow(() -> ApiException.notFound("no directory " + name + " in the policy"));
        boolean pinned = console.parts().policy().file().flatMap(file -> file.directory(name)).isPresent();
        String password = config.bindDn().isEmpty() ? "none"
                : config.bindPasswordFile().isPresent() ? "file"
                : console.admin().directorySettings().passwordSet(name) ? "console" : "environment";
        return new Settings(name, pinned ? "file" : "console", PolicyDocument.directory(config), password);
    }

    /**
     * A directory's keys from the words of a form or an API call: each key given, as the file would
     * state it; a key left out (or empty) takes its default.
     *
     * @param words the text of a key: a list's items one a line or comma-separated; a flag
     *              {@code on}, {@code true} or {@code yes}
     */
    static Map<String, Object> keys(Function<String, Optional<String>> words) {
        Map<String, Object> keys = new LinkedHashMap<>();
        for (String key : KEYS) {
            Optional<String> given = words.apply(key).map(String::strip).filter(text -> !text.isEmpty());
            if (given.isEmpty()) {
                continue;
            }
            String text = given.get();
            if (LISTS.contains(key)) {
                keys.put(key, Arrays.stream(text.split("[\\s,]+"))
                        .filter(item -> !item.isEmpty()).toList());
            } else if (FLAGS.contains(key)) {
                keys.put(key, switch (text) {
                    case "on", "true", "yes" -> true;
                    case "off", "false", "no" -> false;
                    default -> throw ApiException.badRequest(key + " must be true or false, got \""
                            + Authenticator.printable(text) + "\"");
                });
            } else {
                keys.put(key, key.equals("page_size") && text.matches("[0-9]{1,9}") ? Integer.valueOf(text) : text);
            }
        }
        return keys;
    }

    private static Optional<String> formText(Context ctx, String name) {
        return Optional.ofNullable(ctx.formParam(name));
    }

    /** The add form's fields as submitted, the password left out. */
    private static Map<String, String> filled(Context ctx) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String key : KEYS) {
            fields.put(key, RequestValues.form(ctx, key));
        }
        return fields;
    }
}
