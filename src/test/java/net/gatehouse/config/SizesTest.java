package net.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SizesTest {

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({
            "0,        0",
            "1048576,  1048576",
            "1000B,    1000",
            "512KiB,   524288",
            "50MiB,    52428800",
            "50 MiB,   52428800",
            "2GiB,     2147483648",
    })
    void readsBytesAndBinaryUnits(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "50MB    | unit \"MB\" in \"50MB\" is ambiguous: write 50MiB",
            "50M     | unit \"M\" in \"50M\" is ambiguous: write 50MiB",
            "10kb    | write 10KiB",
            "1GB     | write 1GiB",
            "50mib   | write 50MiB",
            "3TiB    | unknown unit \"TiB\"",
            "-1MiB   | must not be negative",
            "1.5GiB  | expected a size such as 50MiB",
            "big     | expected a size such as 50MiB",
            "9999999999999GiB | is too large",
    })
    void refusesAmbiguousAndUnknownUnits(String text, String reason) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @ParameterizedTest(name = "{0} bytes are written {1}")
    @CsvSource({
            "0,          0B",
            "1000,       1000B",
            "1536,       1536B",
            "3072,       3KiB",
            "1572864,    1536KiB",
            "52428800,   50MiB",
            "2147483648, 2GiB",
    })
    void formatsInTheLargestExactUnit(long bytes, String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
        assertThat(Sizes.parse(Sizes.format(bytes))).isEqualTo(bytes);
    }
}
