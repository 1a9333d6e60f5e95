package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SessionPagesTest {

    @Test
    void sendsPeopleOnlyToPagesOfThisConsoleAfterSigningIn() {
        assertThat(SessionPages.safeNext("/settings")).isEqualTo("/settings");
        assertThat(SessionPages.safeNext("/log?recipient=a%40b")).isEqualTo("/log?recipient=a%40b");
        assertThat(SessionPages.safeNext(null)).isEqualTo("/");
        assertThat(SessionPages.safeNext("https://evil.example/")).isEqualTo("/");
        assertThat(SessionPages.safeNext("//evil.example/")).isEqualTo("/");
        assertThat(SessionPages.safeNext("/\\evil.example/")).isEqualTo("/");
        assertThat(SessionPages.safeNext("/x\r\nSet-Cookie: a=b")).isEqualTo("/");
    }
}
