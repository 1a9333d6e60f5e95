package net.gatehouse.config;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the configuration loader with whole files (issue 11): {@link ConfigLoader#parse} and,
 * on the same text, {@link ConfigLoader#parsePolicy} (the console's policy documents).
 *
 * <p>Invariant: a file is a {@link GatewayConfig} or a {@link ConfigException}, never any other
 * exception or error: not a NullPointerException, ClassCastException or IllegalArgumentException
 * from a value of an unexpected kind, and not a StackOverflowError or an endless expansion from
 * deep nesting or aliases. Any throwable other than ConfigException fails the test.
 */
class ConfigLoaderFuzzTest {

    /** Relative paths in a file resolve here; nothing is written to it. */
    private static final Path BASE = baseDirectory();

    @FuzzTest
    @DictionaryFile(resourcePath = "config.dict")
    void everyFileIsAConfigurationOrAConfigException(byte[] file) {
        String yaml = new String(file, UTF_8);
        try {
            ConfigLoader.parse(yaml, BASE);
        } catch (ConfigException expected) {
            // the loader's own refusal
        }
        try {
            ConfigLoader.parsePolicy(yaml);
        } catch (ConfigException expected) {
            // the loader's own refusal
        }
    }

    private static Path baseDirectory() {
        try {
            Path base = Files.createTempDirectory("gatehouse-config-fuzz");
            base.toFile().deleteOnExit();
            return base;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
