package net.gatehouse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.gatehouse.testing.TestClock;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    private final TestClock clock = new TestClock();
    private final LoginThrottle throttle = new LoginThrottle(clock);

    @Test
    void makesOneAddressWaitAfterAFewWrongPasswordsForOneUser() {
        for (int i = 0; i < LoginThrottle.MAX_PAIR_FAILURES; i++) {
            assertThat(throttle.wait("192.0.2.1", "admin")).isZero();
            throttle.failed("192.0.2.1", "admin");
        }

        assertThat(throttle.wait("192.0.2.1", "admin")).isEqualTo(LoginThrottle.WINDOW);
        assertThat(throttle.wait("192.0.2.1", "alice")).isZero();
    }

    @Test
    void aFloodFromOnePlaceNeverLocksTheAdministratorOutFromAnother() {
        for (int i = 0; i < 1000; i++) {
            throttle.failed("203.0.113." + (i % 250), "admin");
            clock.advance(Duration.ofSeconds(1));
        }

        assertThat(throttle.wait("192.0.2.10", "admin")).isZero();
    }

    @Test
    void oneAddressCannotGuessManyUsers() {
        for (int i = 0; i < LoginThrottle.MAX_ADDRESS_FAILURES; i++) {
            assertThat(throttle.wait("192.0.2.1", "user" + i)).isZero();
            throttle.failed("192.0.2.1", "user" + i);
        }

        assertThat(throttle.wait("192.0.2.1", "someone")).isPositive();
        assertThat(throttle.wait("192.0.2.2", "someone")).isZero();
    }

    @Test
    void countsAnIpv6ClientPerSlash64() {
        for (int i = 0; i < LoginThrottle.MAX_PAIR_FAILURES; i++) {
            throttle.failed("2001:db8:1:2::" + Integer.toHexString(i + 1), "admin");
        }

        assertThat(throttle.wait("2001:db8:1:2:ffff::9", "admin")).isPositive();
        assertThat(throttle.wait("2001:db8:1:3::1", "admin")).isZero();
        assertThat(LoginThrottle.addressKey("::ffff:192.0.2.7")).isEqualTo("ip:::ffff:192.0.2.7");
    }

    @Test
    void raisesTheAlarmOncePerWindowForDistributedGuessing() {
        List<LoginThrottle.Alarm> alarms = new ArrayList<>();
        for (int i = 0; i < 3 * LoginThrottle.ALARM_FAILURES; i++) {
            Optional<LoginThrottle.Alarm> alarm = throttle.failed("198.51.100." + (i % 200), "admin");
            alarm.ifPresent(alarms::add);
        }

        assertThat(alarms).containsExactly(new LoginThrottle.Alarm("admin", LoginThrottle.ALARM_FAILURES));

        clock.advance(LoginThrottle.WINDOW);
        for (int i = 0; i < LoginThrottle.ALARM_FAILURES; i++) {
            throttle.failed("198.51.100." + i, "admin").ifPresent(alarms::add);
        }
        assertThat(alarms).hasSize(2);
    }

    @Test
    void forgetsFailuresOnceTheyLeaveTheWindow() {
        for (int i = 0; i < LoginThrottle.MAX_PAIR_FAILURES; i++) {
            throttle.failed("192.0.2.1", "admin");
        }
        clock.advance(LoginThrottle.WINDOW.minusSeconds(1));
        assertThat(throttle.wait("192.0.2.1", "admin")).isEqualTo(Duration.ofSeconds(1));

        clock.advance(Duration.ofSeconds(1));

        assertThat(throttle.wait("192.0.2.1", "admin")).isZero();
    }

    @Test
    void aRightPasswordClearsThatClientsFailuresForTheUser() {
        for (int i = 0; i < LoginThrottle.MAX_PAIR_FAILURES - 1; i++) {
            throttle.failed("192.0.2.1", "admin");
        }
        throttle.succeeded("192.0.2.1", "admin");
        throttle.failed("192.0.2.1", "admin");

        assertThat(throttle.wait("192.0.2.1", "admin")).isZero();
    }
}
