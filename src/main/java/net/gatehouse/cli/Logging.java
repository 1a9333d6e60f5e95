package net.gatehouse.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** Commands that print results keep the log to warnings; {@code run} and {@code demo} log everything. */
final class Logging {

    private Logging() {
    }

    /**
     * Writes out the lines still queued for the asynchronous appender (logback.xml) and stops
     * logging: the last thing before the process exits, so that no line is lost.
     */
    static void flush() {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.stop();
        }
    }

    /** Keeps the log to warnings for the rest of the command ({@link #quietForTheCommandOnly}). */
    static void quiet() {
        root().setLevel(Level.WARN);
    }

    /**
     * Runs the command, then puts the log's level back as it was: a command's {@link #quiet()} lasts
     * as long as the command, not as long as the JVM, which runs many commands in the tests.
     */
    static int quietForTheCommandOnly(CommandLine.ParseResult parsed) {
        Logger root = root();
        Level before = root.getLevel();
        try {
            return new CommandLine.RunLast().execute(parsed);
        } finally {
            root.setLevel(before);
        }
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
