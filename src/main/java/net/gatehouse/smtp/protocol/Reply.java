package net.gatehouse.smtp.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An SMTP reply: a three-digit code, an RFC 3463 enhanced status code and text, possibly on
 * several lines. Gatehouse's own replies are the constants below, defined once; replies read from
 * other servers are parsed with {@link #parse(List)} and may lack an enhanced code.
 *
 * <p>RFC 2034 section 3: the enhanced code appears in every 2xx, 4xx and 5xx reply except the
 * greeting and the replies to HELO and EHLO, so those are built without one.
 */
public record Reply(int code, String enhanced, List<String> lines) {

    public Reply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code out of range: " + code);
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            lines = List.of("");
        }
    }

    public static Reply of(int code, String enhanced, String text) {
        return new Reply(code, enhanced, List.of(text));
    }

    /** A reply without an enhanced status code (greeting, HELO/EHLO, 354). */
    public static Reply plain(int code, String text) {
        return new Reply(code, "", List.of(text));
    }

    // --- connection and session
    public static final Reply CLOSING = of(221, "2.0.0", "Bye");
    public static final Reply OK = of(250, "2.0.0", "Ok");
    public static final Reply HELP = of(214, "2.0.0",
            "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY STARTTLS");
    public static final Reply READY_TO_START_TLS = of(220, "2.0.0", "Ready to start TLS");
    public static final Reply START_MAIL_INPUT = plain(354, "End data with <CR><LF>.<CR><LF>");
    public static final Reply CANNOT_VRFY = of(252, "2.5.2",
            "Cannot VRFY user, but will accept message and attempt delivery");

    // --- envelope
    public static final Reply SENDER_OK = of(250, "2.1.0", "Sender ok");
    public static final Reply RECIPIENT_OK = of(250, "2.1.5", "Recipient ok");

    // --- temporary refusals, ours (RFC 3463: 4.3.x system, 4.4.x network, 4.7.x policy)
    public static final Reply SHUTTING_DOWN = of(421, "4.3.2", "Service shutting down, try again later");
    public static final Reply TIMEOUT = of(421, "4.4.2", "Timeout exceeded, closing connection");
    public static final Reply TOO_MANY_ERRORS = of(421, "4.7.0", "Too many errors, closing connection");
    public static final Reply TOO_MANY_CONNECTIONS = of(421, "4.7.0", "Too many connections, try again later");
    public static final Reply HARVEST_BLOCKED =
            of(421, "4.7.0", "Too many unknown recipients, closing connection; try again later");
    public static final Reply HARVEST_BLOCKED_AT_CONNECT =
            of(421, "4.7.0", "Too many unknown recipients from your address, try again later");
    public static final Reply TOO_MANY_CONNECTIONS_FROM_YOU =
            of(421, "4.7.0", "Too many connections from your address, try again later");
    public static final Reply LOCAL_ERROR = of(451, "4.3.0", "Local error in processing, try again later");
    public static final Reply INSUFFICIENT_STORAGE = of(452, "4.3.1", "Insufficient system storage, try again later");
    public static final Reply TOO_MANY_RECIPIENTS = of(452, "4.5.3", "Too many recipients for this message");
    public static final Reply TLS_UNAVAILABLE = of(454, "4.7.0", "TLS not available due to temporary reason");

    // --- client errors (RFC 3463: 5.5.x protocol, 5.1.x address)
    public static final Reply COMMAND_UNRECOGNIZED = of(500, "5.5.2", "Syntax error, command unrecognized");
    public static final Reply LINE_TOO_LONG = of(500, "5.5.2", "Line too long");
    public static final Reply SYNTAX_ERROR_IN_PARAMETERS = of(501, "5.5.4", "Syntax error in parameters or arguments");
    public static final Reply BAD_RECIPIENT_SYNTAX = of(501, "5.1.3", "Bad recipient address syntax");
    public static final Reply BAD_SENDER_SYNTAX = of(501, "5.1.7", "Bad sender address syntax");
    public static final Reply EHLO_REQUIRES_DOMAIN = of(501, "5.5.4", "Syntax: EHLO hostname");
    public static final Reply COMMAND_NOT_IMPLEMENTED = of(502, "5.5.1", "Command not implemented");
    public static final Reply EXPN_DISABLED = of(502, "5.5.1", "EXPN not available");
    public static final Reply SEND_HELO_FIRST = of(503, "5.5.1", "Send EHLO or HELO first");
    public static final Reply NESTED_MAIL = of(503, "5.5.1", "Sender already specified");
    public static final Reply NEED_MAIL = of(503, "5.5.1", "Need MAIL command first");
    public static final Reply NEED_RCPT = of(503, "5.5.1", "Need RCPT command first");
    public static final Reply NO_VALID_RECIPIENTS = of(554, "5.5.1", "No valid recipients");
    public static final Reply ALREADY_TLS = of(503, "5.5.1", "TLS already active");
    public static final Reply EARLY_TALKER = of(554, "5.5.1", "Protocol error: talked before the greeting");
    public static final Reply UNSUPPORTED_PARAMETER = of(555, "5.5.4", "Unsupported MAIL or RCPT parameter");
    public static final Reply NON_ASCII_NEEDS_SMTPUTF8 =
            of(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter");

    // --- message content
    public static final Reply MESSAGE_TOO_BIG = of(552, "5.3.4", "Message size exceeds fixed limit");
    public static final Reply BARE_LINE_ENDING =
            of(550, "5.6.0", "Message refused: bare CR or LF in message data (RFC 5321 2.3.8)");
    /** After DATA: a line longer than RFC 5321 allows, which a back-end could refuse after our 250. */
    public static final Reply DATA_LINE_TOO_LONG = of(550, "5.6.0",
            "Message refused: a line is longer than 998 octets (RFC 5321 4.5.3.1.6); encode it");

    // --- relay control
    public static final Reply RELAY_DENIED = of(554, "5.7.1", "Relay access denied");

    public static Reply queued(String queueId) {
        return of(250, "2.0.0", "Ok: queued as " + queueId);
    }

    public boolean isPositive() {
        return code < 400;
    }

    public boolean isTransientFailure() {
        return code >= 400 && code < 500;
    }

    public boolean isPermanentFailure() {
        return code >= 500;
    }

    /** Whether the server closes the connection after sending this reply (RFC 5321 3.8: 421). */
    public boolean closesConnection() {
        return code == 421 || code == 221;
    }

    /** The first line's text, without code. */
    public String text() {
        return lines.getFirst();
    }

    /** This reply with other text, same codes. */
    public Reply withText(String text) {
        return new Reply(code, enhanced, List.of(text));
    }

    /** The reply as sent on the wire, each line ending in CRLF. */
    public String wire() {
        StringBuilder out = new StringBuilder(32 * lines.size());
        for (int i = 0; i < lines.size(); i++) {
            out.append(code).append(i == lines.size() - 1 ? ' ' : '-');
            if (!enhanced.isEmpty()) {
                out.append(enhanced).append(' ');
            }
            out.append(lines.get(i)).append("\r\n");
        }
        return out.toString();
    }

    /** "550 5.1.1 text" on one line, for logs and messages. */
    @Override
    public String toString() {
        return enhanced.isEmpty() ? code + " " + String.join(" / ", lines)
                : code + " " + enhanced + " " + String.join(" / ", lines);
    }

    /**
     * Parses the lines of one reply read from another server ("250-a", "250 b"), without CRLF.
     * An enhanced code is recognised when every line carries the same one after the reply code.
     *
     * @throws IllegalArgumentException when the lines are not a well-formed reply
     */
    public static Reply parse(List<String> wireLines) {
        if (wireLines.isEmpty()) {
            throw new IllegalArgumentException("empty reply");
        }
        int code = -1;
        List<String> texts = new ArrayList<>(wireLines.size());
        for (String line : wireLines) {
            if (line.length() < 3 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1))
                    || !Character.isDigit(line.charAt(2)) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                throw new IllegalArgumentException("malformed reply line: " + line);
            }
            int lineCode = Integer.parseInt(line, 0, 3, 10);
            if (code == -1) {
                code = lineCode;
            } else if (code != lineCode) {
                throw new IllegalArgumentException("reply codes differ between lines: " + wireLines);
            }
            texts.add(line.length() > 4 ? line.substring(4) : "");
        }
        String enhanced = enhancedPrefix(texts.getFirst(), code).orElse("");
        if (!enhanced.isEmpty()) {
            for (String text : texts) {
                if (!text.startsWith(enhanced)) {
                    enhanced = "";
                    break;
                }
            }
        }
        if (!enhanced.isEmpty()) {
            String prefix = enhanced;
            texts.replaceAll(text -> text.substring(prefix.length()).stripLeading());
        }
        return new Reply(code, enhanced, texts);
    }

    private static Optional<String> enhancedPrefix(String text, int code) {
        int space = text.indexOf(' ');
        String word = space < 0 ? text : text.substring(0, space);
        String[] parts = word.split("\\.", -1);
        if (parts.length != 3 || parts[0].length() != 1 || parts[0].charAt(0) != (char) ('0' + code / 100)) {
            return Optional.empty();
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                return Optional.empty();
            }
        }
        return Optional.of(word);
    }
}
