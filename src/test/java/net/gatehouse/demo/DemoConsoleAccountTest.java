package net.gatehouse.demo;

import net.gatehouse.testing.TestActor;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import net.gatehouse.store.ConsoleUsers;
import net.gatehouse.testing.ConsoleClient;
import net.gatehouse.store.Database;
import net.gatehouse.users.Passwords;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's console sign-in: made once, shown on every run while it works, never shown when it does not. */
class DemoConsoleAccountTest {

    @TempDir
    Path data;

    private Database database;
    private ConsoleUsers users;
    private Path passwordFile;

    @BeforeEach
    void openStore() {
        database = Database.open(Database.EMBEDDED, data);
        users = new ConsoleUsers(database);
        passwordFile = data.resolve("demo-console-password");
    }

    @AfterEach
    void closeStore() {
        database.close();
    }

    @Test
    void firstRunMakesAnAdministratorWhosePasswordSignsInAndIsKeptForItsOwnerOnly() throws Exception {
        DemoConsoleAccount account = DemoConsoleAccount.prepare(users, passwordFile, Instant.now());

        String password = ((DemoConsoleAccount.Created) account).password();
        ConsoleUsers.User admin = users.user(DemoConsoleAccount.USER).orElseThrow();
        assertThat(admin.role()).isEqualTo("admin");
        assertThat(Passwords.verify(password, admin.passwordHash())).isTrue();
        assertThat(Files.readString(passwordFile).strip()).isEqualTo(password);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile))).isEqualTo("rw-------");
    }

    @Test
    void laterRunsShowTheSamePasswordWhileItStillSignsIn() throws Exception {
        String first = ((DemoConsoleAccount.Created) DemoConsoleAccount.prepare(users, passwordFile, Instant.now()))
                .password();

        assertThat(DemoConsoleAccount.prepare(users, passwordFile, Instant.now()))
                .isEqualTo(new DemoConsoleAccount.Kept(first));
    }

    @Test
    void aPasswordChangedSinceIsNeitherShownNorReset() throws Exception {
        DemoConsoleAccount.prepare(users, passwordFile, Instant.now());
        String hash = ConsoleClient.cheapHash("chosen by the newcomer");
        users.setPassword(DemoConsoleAccount.USER, hash, Instant.now(), TestActor.console("admin"));

        assertThat(DemoConsoleAccount.prepare(users, passwordFile, Instant.now()))
                .isEqualTo(new DemoConsoleAccount.Changed());
        assertThat(users.user(DemoConsoleAccount.USER).orElseThrow().passwordHash()).isEqualTo(hash);
    }

    @Test
    void aRemovedPasswordFileIsNotGuessedAt() throws Exception {
        DemoConsoleAccount.prepare(users, passwordFile, Instant.now());
        Files.delete(passwordFile);

        assertThat(DemoConsoleAccount.prepare(users, passwordFile, Instant.now()))
                .isEqualTo(new DemoConsoleAccount.Changed());
    }

    @Test
    void anAdministratorRemovedSinceIsMadeAgain() throws Exception {
        String first = ((DemoConsoleAccount.Created) DemoConsoleAccount.prepare(users, passwordFile, Instant.now()))
                .password();
        users.add("carol", "admin", ConsoleClient.cheapHash("another administrator"), Instant.now(), TestActor.console("admin"));
        users.remove(DemoConsoleAccount.USER, Instant.now(), TestActor.console("carol"));

        DemoConsoleAccount again = DemoConsoleAccount.prepare(users, passwordFile, Instant.now());

        String second = ((DemoConsoleAccount.Created) again).password();
        assertThat(second).isNotEqualTo(first);
        assertThat(Files.readString(passwordFile).strip()).isEqualTo(second);
    }
}
