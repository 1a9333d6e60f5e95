package net.gatehouse.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MessageAgeTest {

    @ParameterizedTest(name = "{0} seconds read {1}")
    @CsvSource({
            "-5, 0s",
            "0, 0s",
            "59, 59s",
            "60, 1m",
            "3599, 59m",
            "3600, 1h 0m",
            "12000, 3h 20m",
            "86399, 23h 59m",
            "86400, 1d 0h",
            "187200, 2d 4h",
    })
    void showsTheTwoLargestUnits(long seconds, String shown) {
        assertThat(MessageAge.format(Duration.ofSeconds(seconds))).isEqualTo(shown);
    }
}
