package net.gatehouse.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import java.net.InetAddress;
import java.time.ZoneId;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * The layout of the gateway's log on standard output ({@code logback.xml}): each event in the
 * format {@link LogControl#apply} chose, {@code postfix} until then. The format can change while
 * lines are being written (a reload): the next event is written in the new one, none is lost.
 */
public final class LogLayout extends LayoutBase<ILoggingEvent> {

    private volatile LineFormat format;

    @Override
    public String doLayout(ILoggingEvent event) {
        LineFormat current = format;
        if (current == null) {
            current = defaultFormat();
            format = current;
        }
        return current.format(event);
    }

    void use(LineFormat next) {
        format = next;
    }

    /** The record of a {@link MailEvent}, or null for any other line. */
    static MailEvent mailEvent(ILoggingEvent event) {
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                if (pair.value instanceof MailEvent mail) {
                    return mail;
                }
            }
        }
        return null;
    }

    /**
     * Before the configuration is read (and for the commands that never read one): Postfix's shape
     * with the machine's name, looked up only if such a line is ever written.
     */
    private static LineFormat defaultFormat() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return new PostfixFormat("postfix", host, ProcessHandle.current().pid(), ZoneId.systemDefault());
    }
}
