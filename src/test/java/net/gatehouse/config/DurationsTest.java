package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
            "500ms, PT0.5S",
            "0s,    PT0S",
            "30s,   PT30S",
            "5m,    PT5M",
            "1h,    PT1H",
            "5d,    PT120H",
            "90 s,  PT1M30S",
    })
    void readsWholeNumbersWithAUnit(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "30          | missing unit in \"30\": write for example 30s or 30m",
            "-5s         | must not be negative",
            "5min        | unknown unit \"min\"",
            "5M          | unknown unit \"M\"",
            "1.5h        | expected a duration such as 30s or 5m",
            "1h30m       | expected a duration such as 30s or 5m",
            "soon        | expected a duration such as 30s or 5m",
            "999999999999999999999d | is too long",
            "9999999999999999d | is too long",
    })
    void refusesWithAReasonThatSaysHowToFixIt(String text, String reason) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @ParameterizedTest(name = "{0} is written {1}")
    @CsvSource({
            "PT0S,     0s",
            "PT0.5S,   500ms",
            "PT1.5S,   1500ms",
            "PT90S,    90s",
            "PT5M,     5m",
            "PT1H,     1h",
            "PT120H,   5d",
            "PT36H,    36h",
    })
    void formatsInTheLargestExactUnit(Duration duration, String text) {
        assertThat(Durations.format(duration)).isEqualTo(text);
        assertThat(Durations.parse(text)).isEqualTo(duration);
    }

    @ParameterizedTest
    @CsvSource({"PT-1S", "PT0.0005S"})
    void refusesToFormatWhatCannotBeParsedBack(Duration duration) {
        assertThatThrownBy(() -> Durations.format(duration)).isInstanceOf(IllegalArgumentException.class);
    }
}
