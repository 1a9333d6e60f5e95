package net.gatehouse.users;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordsTest {

    @Test
    void verifiesTheRightPasswordOnly() {
        String stored = Passwords.hash("correct horse battery");

        assertThat(stored).startsWith("pbkdf2-sha256$" + Passwords.ITERATIONS + "$");
        assertThat(Passwords.verify("correct horse battery", stored)).isTrue();
        assertThat(Passwords.verify("correct horse batterY", stored)).isFalse();
        assertThat(Passwords.verify("", stored)).isFalse();
    }

    @Test
    void saltsEachHash() {
        assertThat(Passwords.hash("same password")).isNotEqualTo(Passwords.hash("same password"));
    }

    @Test
    void refusesStoredFormsItDoesNotKnow() {
        assertThat(Passwords.verify("x", "")).isFalse();
        assertThat(Passwords.verify("x", "md5$abc")).isFalse();
        assertThat(Passwords.verify("x", "pbkdf2-sha256$notanumber$AAAA$AAAA")).isFalse();
        assertThat(Passwords.verify("x", "pbkdf2-sha256$1000$!!!$AAAA")).isFalse();
    }

    @Test
    void judgesNewPasswords() {
        assertThat(Passwords.weakness("short")).contains("at least 10");
        assertThat(Passwords.weakness("x".repeat(2000))).contains("at most");
        assertThat(Passwords.weakness("long enough")).isNull();
        assertThat(Passwords.weakness(Passwords.generate())).isNull();
        assertThat(Passwords.generate()).hasSize(20).doesNotContain("0", "O", "1", "l", "I");
    }
}
