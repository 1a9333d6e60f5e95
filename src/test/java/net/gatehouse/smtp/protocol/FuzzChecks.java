package net.gatehouse.smtp.protocol;

import java.util.regex.Pattern;

/**
 * The invariants the protocol fuzz tests share. Plain checks rather than AssertJ: they run
 * millions of times a minute while fuzzing, and a failure only has to say what broke and on
 * which input (Jazzer also saves the input).
 */
final class FuzzChecks {

    private static final Pattern ENHANCED_CODE = Pattern.compile("[245]\\.[0-9]{1,3}\\.[0-9]{1,3}");

    private FuzzChecks() {
    }

    static void check(boolean holds, String what, Object input) {
        if (!holds) {
            throw new AssertionError(what + " (input: " + escape(String.valueOf(input)) + ")");
        }
    }

    /** A refusal the session can send as it is: 4xx or 5xx, an enhanced code of the same class, one line. */
    static void checkRefusal(Reply reply, Object input) {
        check(reply != null, "Invalid without a reply", input);
        check(reply.code() >= 400 && reply.code() <= 599, "refusal with code " + reply.code(), input);
        check(ENHANCED_CODE.matcher(reply.enhanced()).matches()
                        && reply.enhanced().charAt(0) == (char) ('0' + reply.code() / 100),
                "refusal " + reply + " without a matching enhanced code", input);
        String wire = reply.wire();
        check(wire.indexOf('\r') == wire.length() - 2 && wire.indexOf('\n') == wire.length() - 1,
                "refusal is not one CRLF-terminated line: " + escape(wire), input);
    }

    /**
     * A path the parser accepted: printed and parsed again it is the same path, it fits the RFC
     * 5321 limit, and its mailbox holds no control character or U+FFFD.
     */
    static void checkPath(MailPath path, Object input) {
        String printed = path.toString();
        check(printed.length() <= PathParser.MAX_PATH_LENGTH, "printed path longer than 256: " + printed, input);
        boolean barePostmaster = path.mailbox().map(MailboxAddress::isBarePostmaster).orElse(false);
        check(PathParser.parse(printed, path.isNull(), barePostmaster).map(again -> samePath(again, path)).orElse(false),
                "path printed as \"" + printed + "\" does not parse back to " + path.mailbox(), input);
        path.mailbox().ifPresent(mailbox -> checkMailbox(mailbox, input));
    }

    static void checkMailbox(MailboxAddress mailbox, Object input) {
        check(isClean(mailbox.localPart()), "local part with a control character or U+FFFD: "
                + escape(mailbox.localPart()), input);
        check(isClean(mailbox.domain()), "domain with a control character or U+FFFD: " + escape(mailbox.domain()), input);
        boolean nonAscii = !(mailbox.localPart() + mailbox.domain()).chars().allMatch(c -> c < 0x80);
        check(mailbox.isInternational() == nonAscii, "isInternational() is " + mailbox.isInternational(), input);
        String ascii = mailbox.asciiDomain(); // IDN conversion must not throw
        check(ascii.equals(ascii.toLowerCase(java.util.Locale.ROOT)), "asciiDomain() not lower case: " + ascii, input);
    }

    /** The same mailbox (a source route is not printed, so it is not compared). */
    static boolean samePath(MailPath a, MailPath b) {
        return a.mailbox().equals(b.mailbox());
    }

    private static boolean isClean(String text) {
        return text.chars().noneMatch(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xFFFD);
    }

    /** The input as Java would write it, so that a failure message shows every control character. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.chars().forEach(c -> {
            if (c == '\\' || c == '"') {
                out.append('\\').append((char) c);
            } else if (c >= 0x20 && c < 0x7f) {
                out.append((char) c);
            } else {
                out.append(String.format("\\u%04x", c));
            }
        });
        return out.toString();
    }
}
