package net.gatehouse.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

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

    static void quiet() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
    }
}
