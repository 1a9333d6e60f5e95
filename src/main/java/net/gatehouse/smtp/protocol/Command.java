package net.gatehouse.smtp.protocol;

import java.util.OptionalLong;

/**
 * One SMTP command line, parsed (RFC 5321 4.1.1). A line that is not a valid command is an
 * {@link Invalid} carrying the reply it deserves, so the session answers it without re-parsing.
 */
public sealed interface Command {

    /** EHLO or HELO. */
    record Hello(String domain, boolean extended) implements Command {
    }

    /**
     * MAIL FROM with its RFC 1870/6152/6531 parameters.
     *
     * @param size     the SIZE the client declared, if any
     * @param eightBit BODY=8BITMIME was given
     * @param smtpUtf8 the SMTPUTF8 parameter was given
     * @param dsn      RET and ENVID (RFC 3461), {@link MailDsn#NONE} when neither was given
     */
    record Mail(MailPath sender, OptionalLong size, boolean eightBit, boolean smtpUtf8, MailDsn dsn) implements Command {
    }

    /** RCPT TO with NOTIFY and ORCPT (RFC 3461), {@link RcptDsn#NONE} when neither was given. */
    record Rcpt(MailPath recipient, RcptDsn dsn) implements Command {
    }

    record Data() implements Command {
    }

    record Rset() implements Command {
    }

    record Noop() implements Command {
    }

    record Quit() implements Command {
    }

    record Help() implements Command {
    }

    record StartTls() implements Command {
    }

    record Vrfy() implements Command {
    }

    record Expn() implements Command {
    }

    /** A verb Gatehouse knows but does not offer (AUTH, BDAT, ETRN, TURN...). */
    record NotImplemented(String verb) implements Command {
    }

    /** Not a command Gatehouse understands, or a known one with bad arguments. */
    record Invalid(Reply reply) implements Command {
    }
}
