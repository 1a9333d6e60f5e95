package net.gatehouse.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The PostgreSQL store's password (SPEC §6), kept out of the configuration file:
 * {@code GATEHOUSE_STORE_PASSWORD}, else the first line of the file named by
 * {@code GATEHOUSE_STORE_PASSWORD_FILE}; without either, the driver's own (a {@code password=} in
 * the URL, or {@code ~/.pgpass}). As the cache's ({@code cluster.RedisLink#password}); never
 * logged, never in a message.
 */
public final class StorePassword {

    public static final String VARIABLE = "GATEHOUSE_STORE_PASSWORD";
    public static final String FILE_VARIABLE = "GATEHOUSE_STORE_PASSWORD_FILE";

    private StorePassword() {
    }

    /**
     * @throws StoreException naming the variable and the file (never the content) if the file
     *                        cannot be read or is empty
     */
    public static Optional<String> from(Map<String, String> environment) {
        String direct = environment.get(VARIABLE);
        if (direct != null && !direct.isEmpty()) {
            return Optional.of(direct);
        }
        String file = environment.get(FILE_VARIABLE);
        if (file == null || file.isEmpty()) {
            return Optional.empty();
        }
        String content;
        try {
            content = Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StoreException(FILE_VARIABLE + ": cannot read the store's password from " + file
                    + " (" + e.getClass().getSimpleName() + ")", e);
        }
        String line = content.lines().findFirst().orElse("").strip();
        if (line.isEmpty()) {
            throw new StoreException(FILE_VARIABLE + ": " + file + " is empty; it should hold the store's password",
                    null);
        }
        return Optional.of(line);
    }
}
