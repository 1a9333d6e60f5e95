package net.gatehouse.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A program of the machine (postfix, swaks, dnsmasq, python3) for the interop tests: found on
 * {@code PATH} or in the sbin directories, or the test fails saying what to install; run to its
 * end with a deadline, its output merged and kept.
 */
public final class ExternalCommand {

    /** How a run ended: the exit code and everything it wrote to stdout and stderr. */
    public record Result(List<String> command, int exitCode, String output) {

        /** The result, or an AssertionError with the command and its output when it did not exit 0. */
        public Result orFail() {
            if (exitCode != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    private static final List<String> SBIN = List.of("/usr/sbin", "/sbin", "/usr/local/sbin");

    private ExternalCommand() {
    }

    /**
     * The path of {@code program}, or an AssertionError naming the package to install: a missing peer
     * fails the interop suite, it is never skipped silently.
     */
    public static String require(String program, String debianPackage) {
        return find(program).orElseThrow(() -> new AssertionError(program + " is not installed, and the interop tests"
                + " need it: run ./run-tests as root, or apt-get install " + debianPackage));
    }

    /** Fails unless this process may start Postfix instances (the master process must start as root). */
    public static void requireRoot(String why) {
        String user = System.getProperty("user.name");
        if (!"root".equals(user)) {
            throw new AssertionError(why + " must run as root (as ./run-tests in CI does), not as " + user);
        }
    }

    public static Optional<String> find(String program) {
        List<String> directories = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        directories.addAll(SBIN);
        return directories.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, program))
                .filter(Files::isExecutable).map(Path::toString).findFirst();
    }

    public static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    /** Runs {@code command} to its end (killed with its children after {@code timeout}). */
    public static Result run(Duration timeout, List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            CompletableFuture<String> output = readAll(process.getInputStream());
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                destroyTree(process.toHandle());
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout + ":\n"
                        + output.getNow(""));
            }
            return new Result(List.copyOf(command), process.exitValue(), output.get(10, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the output of " + command, e);
        }
    }

    /** SIGKILL to a process and everything it started. */
    public static void destroyTree(ProcessHandle process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // gone or stuck; nothing more a test can do
        }
    }

    static CompletableFuture<String> readAll(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.complete("(output lost: " + e + ")");
            }
        });
        return text;
    }
}
