package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The name of a node of a cluster ({@code node:}, SPEC §6): 1 to {@value #MAX_LENGTH} letters,
 * digits, {@code .}, {@code -} and {@code _}, so that it reads the same in the console, the API,
 * the log and a URL path. Compared as written (case counts).
 */
final class NodeName {

    static final int MAX_LENGTH = 63;
    /** Where Linux keeps the host name that {@code hostname} prints; then the file it is set from. */
    private static final List<Path> HOST_NAME_FILES = List.of(Path.of("/proc/sys/kernel/hostname"),
            Path.of("/etc/hostname"));

    private NodeName() {
    }

    /** {@code text} if it is a node name. */
    static String check(String text) {
        if (text.isEmpty() || text.length() > MAX_LENGTH
                || !text.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_'))) {
            throw new IllegalArgumentException("expected 1 to " + MAX_LENGTH + " letters, digits, . - or _ (gw1, "
                    + "mx-2.site_a), got " + quote(text));
        }
        return text;
    }

    /**
     * The system's host name as the kernel has it, without a DNS lookup (unlike {@code
     * InetAddress.getLocalHost()}, which resolves it and may wait for DNS); {@code localhost} when
     * the system does not say.
     */
    static String systemHostName() {
        for (Path file : HOST_NAME_FILES) {
            try {
                String name = Files.readString(file).strip();
                if (!name.isEmpty()) {
                    return name;
                }
            } catch (IOException | SecurityException e) {
                // not Linux, or not readable: the next source
            }
        }
        String fromEnvironment = System.getenv("HOSTNAME");
        return fromEnvironment == null || fromEnvironment.isBlank() ? "localhost" : fromEnvironment.strip();
    }
}
