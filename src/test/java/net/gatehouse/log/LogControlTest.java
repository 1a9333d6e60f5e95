package net.gatehouse.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import net.gatehouse.config.LogConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@link LogControl#apply} on the running Logback, as the gateway calls it at start-up and on
 * reload: the format and the level change from the next line on, on the appenders already there.
 */
class LogControlTest {

    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    private final Logger gatehouse = context.getLogger("net.gatehouse");
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final org.slf4j.Logger log = LoggerFactory.getLogger("net.gatehouse.log.LogControlTest");
    private OutputStreamAppender<ILoggingEvent> appender;
    private Level rootLevel;
    private Level gatehouseLevel;

    @BeforeEach
    void addAnAppenderWithTheGatewaysLayout() {
        rootLevel = root.getLevel();
        gatehouseLevel = gatehouse.getLevel();
        LogLayout layout = new LogLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.start();
        appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setName("log-control-test");
        appender.setEncoder(encoder);
        appender.setOutputStream(written);
        appender.start();
        root.addAppender(appender);
    }

    @AfterEach
    void restore() {
        root.detachAppender(appender);
        appender.stop();
        LogControl.apply(LogConfig.DEFAULTS, "localhost"); // the format of logback-test.xml's appender too
        root.setLevel(rootLevel);
        gatehouse.setLevel(gatehouseLevel);
    }

    private String take() {
        String text = written.toString(StandardCharsets.UTF_8);
        written.reset();
        return text;
    }

    @Test
    void switchesBetweenFormatsAndLevelsWhileRunning() {
        LogControl.apply(new LogConfig(LogConfig.Format.POSTFIX, LogConfig.Level.INFO, "postfix-gatehouse"), "mx1.example.net");
        new MailEvent.Connect("192.0.2.7").logTo(log);
        log.debug("not_written");
        assertThat(take()).matches("[A-Z][a-z]{2} [ 1-3][0-9] \\d\\d:\\d\\d:\\d\\d mx1 postfix-gatehouse/smtpd\\[\\d+]: "
                + "connect from unknown\\[192\\.0\\.2\\.7]\n");

        LogControl.apply(new LogConfig(LogConfig.Format.JSON, LogConfig.Level.DEBUG, "postfix"), "mx1.example.net");
        new MailEvent.Connect("192.0.2.7").logTo(log);
        log.debug("now_written");
        assertThat(take()).startsWith("{\"ts\":\"").contains("\"event\":\"connect\"").contains("\"message\":\"now_written\"")
                .hasLineCount(2);
        assertThat(root.getLevel()).as("libraries stay at info when Gatehouse debugs").isEqualTo(Level.INFO);

        LogControl.apply(new LogConfig(LogConfig.Format.POSTFIX, LogConfig.Level.WARN, "postfix"), "mx1.example.net");
        new MailEvent.Connect("192.0.2.7").logTo(log);
        log.warn("spool_full");
        assertThat(take()).endsWith("postfix/gatehouse[" + ProcessHandle.current().pid() + "]: warning: spool_full\n")
                .hasLineCount(1);
    }
}
