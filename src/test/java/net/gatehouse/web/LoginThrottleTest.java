package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import net.gatehouse.testing.TestClock;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    private final TestClock clock = new TestClock();
    private final LoginThrottle throttle = new LoginThrottle(clock);

    @Test
    void allowsAFewFailuresThenMakesTheAddressWait() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            assertThat(throttle.wait("192.0.2.1", "user" + i)).isZero();
            throttle.failed("192.0.2.1", "user" + i);
        }

        assertThat(throttle.wait("192.0.2.1", "someone")).isEqualTo(LoginThrottle.WINDOW);
        assertThat(throttle.wait("192.0.2.2", "someone")).isZero();
    }

    @Test
    void protectsOneUserFromManyAddresses() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            throttle.failed("192.0.2." + i, "admin");
        }

        assertThat(throttle.wait("198.51.100.7", "admin")).isPositive();
        assertThat(throttle.wait("198.51.100.7", "other")).isZero();
    }

    @Test
    void forgetsFailuresOnceTheyLeaveTheWindow() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            throttle.failed("192.0.2.1", "admin");
        }
        clock.advance(LoginThrottle.WINDOW.minusSeconds(1));
        assertThat(throttle.wait("192.0.2.1", "admin")).isEqualTo(Duration.ofSeconds(1));

        clock.advance(Duration.ofSeconds(1));

        assertThat(throttle.wait("192.0.2.1", "admin")).isZero();
    }

    @Test
    void aSuccessClearsTheUsersFailures() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES - 1; i++) {
            throttle.failed("192.0.2." + i, "admin");
        }
        throttle.succeeded("admin");
        throttle.failed("192.0.2.99", "admin");

        assertThat(throttle.wait("198.51.100.7", "admin")).isZero();
    }
}
