package net.gatehouse.demo;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import net.gatehouse.store.Actor;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.users.Passwords;
import net.gatehouse.users.Role;

/**
 * The console sign-in that {@code gatehouse demo} prints in its banner.
 *
 * <p>A newcomer should be able to sign in with what the banner says on every run, so the demo, not
 * the gateway's first start, makes the administrator {@value #USER}: with a random password that it
 * keeps in a file of the data directory (readable by its owner only) and shows again on the next
 * runs. When that password no longer signs in (changed in the console, or the file removed), the
 * banner says so rather than show one that does not work, and the user's own password stands.
 *
 * <p>Demo only: a real gateway prints its first password once in the log and keeps no copy of it.
 */
public sealed interface DemoConsoleAccount {

    /** The administrator the demo makes, the same name as the gateway's first-run administrator. */
    String USER = "admin";
    /** The audit log's actor for the account's creation: {@code gatehouse demo}, a command. */
    Actor ACTOR = new Actor("demo", Actor.Door.CLI);

    /** This run made {@value #USER}, with this password. */
    record Created(String password) implements DemoConsoleAccount {
    }

    /** {@value #USER} was made by an earlier run, and this password, kept since, still signs in. */
    record Kept(String password) implements DemoConsoleAccount {
    }

    /** {@value #USER} exists but the demo does not know its password: changed since, or the file removed. */
    record Changed() implements DemoConsoleAccount {
    }

    /**
     * Makes {@value #USER} if the store has no such user (first run, or removed since), writing its
     * password to {@code passwordFile}; otherwise tells whether the kept password still signs in.
     * Call it before the gateway starts, so that the gateway makes no first-run administrator of
     * its own.
     */
    static DemoConsoleAccount prepare(ConsoleUsers users, Path passwordFile, Instant now) throws IOException {
        Optional<ConsoleUsers.User> existing = users.user(USER);
        if (existing.isEmpty()) {
            String password = Passwords.generate();
            writeOwnerOnly(passwordFile, password + "\n");
            users.add(USER, Role.ADMIN.word(), Passwords.hash(password), now, ACTOR);
            return new Created(password);
        }
        if (Files.isRegularFile(passwordFile)) {
            String kept = Files.readString(passwordFile).strip();
            if (Passwords.verify(kept, existing.get().passwordHash())) {
                return new Kept(kept);
            }
        }
        return new Changed();
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(file, content);
    }
}
