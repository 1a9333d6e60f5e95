package net.gatehouse.log;

import ch.qos.logback.classic.spi.ILoggingEvent;

/** How {@link LogLayout} turns one logging event into text: one or more lines, each ending in LF. */
sealed interface LineFormat permits PostfixFormat, JsonFormat {

    String format(ILoggingEvent event);
}
