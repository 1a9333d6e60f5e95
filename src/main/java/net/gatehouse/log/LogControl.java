package net.gatehouse.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AsyncAppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.time.ZoneId;
import java.util.Iterator;
import net.gatehouse.config.LogConfig;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@code log} section of the configuration to the running logger: at start-up, and
 * again whenever the configuration is reloaded. Nothing is stopped or replaced, so no line queued
 * for writing is lost: the level is set on the loggers and the format handed to the
 * {@link LogLayout} of the appenders of {@code logback.xml}.
 */
public final class LogControl {

    private static final String GATEHOUSE_LOGGERS = "net.gatehouse";

    private LogControl() {
    }

    /**
     * @param hostname the gateway's {@code hostname}, the host of postfix-format lines
     */
    public static void apply(LogConfig config, String hostname) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // not Logback (a test's own binding): nothing of ours to configure
        }
        Level level = switch (config.level()) {
            case ERROR -> Level.ERROR;
            case WARN -> Level.WARN;
            case INFO -> Level.INFO;
            case DEBUG -> Level.DEBUG;
        };
        // debug is for Gatehouse's own lines; libraries stay at info, or they bury them
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(level.isGreaterOrEqual(Level.INFO) ? level : Level.INFO);
        context.getLogger(GATEHOUSE_LOGGERS).setLevel(level);
        LineFormat format = switch (config.format()) {
            case POSTFIX -> new PostfixFormat(config.syslogName(), hostname, ProcessHandle.current().pid(),
                    ZoneId.systemDefault());
            case JSON -> new JsonFormat();
        };
        for (Iterator<Appender<ILoggingEvent>> appenders = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
             appenders.hasNext(); ) {
            use(appenders.next(), format);
        }
    }

    private static void use(Appender<ILoggingEvent> appender, LineFormat format) {
        if (appender instanceof AsyncAppenderBase<ILoggingEvent> async) {
            for (Iterator<Appender<ILoggingEvent>> inner = async.iteratorForAppenders(); inner.hasNext(); ) {
                use(inner.next(), format);
            }
        } else if (appender instanceof OutputStreamAppender<ILoggingEvent> output
                && output.getEncoder() instanceof LayoutWrappingEncoder<ILoggingEvent> encoder
                && encoder.getLayout() instanceof LogLayout layout) {
            layout.use(format);
        }
    }
}
