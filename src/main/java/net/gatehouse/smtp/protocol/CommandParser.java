package net.gatehouse.smtp.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Turns one command line (without its CRLF) into a {@link Command}. Pure and allocation-light:
 * it runs once per command on the receiving path.
 */
public final class CommandParser {

    private static final Set<String> NOT_IMPLEMENTED =
            Set.of("AUTH", "BDAT", "ETRN", "TURN", "ATRN", "SEND", "SOML", "SAML", "XCLIENT", "XFORWARD");

    private CommandParser() {
    }

    public static Command parse(String line) {
        int space = line.indexOf(' ');
        String verb = asciiUpperCase(space < 0 ? line : line.substring(0, space));
        String argument = space < 0 ? "" : line.substring(space + 1).strip();
        return switch (verb) {
            case "EHLO" -> hello(argument, true);
            case "HELO" -> hello(argument, false);
            case "MAIL" -> mail(argument);
            case "RCPT" -> rcpt(argument);
            case "DATA" -> noArgument(argument, new Command.Data());
            case "RSET" -> noArgument(argument, new Command.Rset());
            case "QUIT" -> noArgument(argument, new Command.Quit());
            case "STARTTLS" -> noArgument(argument, new Command.StartTls());
            case "NOOP" -> new Command.Noop(); // RFC 5321 4.1.1.9: the argument is ignored
            case "HELP" -> new Command.Help();
            case "VRFY" -> argument.isEmpty() ? invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS) : new Command.Vrfy();
            case "EXPN" -> argument.isEmpty() ? invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS) : new Command.Expn();
            default -> NOT_IMPLEMENTED.contains(verb) ? new Command.NotImplemented(verb)
                    : invalid(Reply.COMMAND_UNRECOGNIZED);
        };
    }

    private static Command hello(String domain, boolean extended) {
        // RFC 5321 4.1.1.1 wants a domain or address literal; real clients send all sorts of
        // names, and refusing them would lose mail for nothing, so any single word is accepted.
        if (domain.isEmpty() || domain.indexOf(' ') >= 0) {
            return invalid(Reply.EHLO_REQUIRES_DOMAIN);
        }
        return new Command.Hello(domain, extended);
    }

    private static Command mail(String argument) {
        Optional<String> rest = afterKeyword(argument, "FROM:");
        if (rest.isEmpty()) {
            return invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS.withText("Syntax: MAIL FROM:<address>"));
        }
        String[] pathAndParameters = splitPath(rest.get());
        if (pathAndParameters == null) {
            return invalid(Reply.BAD_SENDER_SYNTAX);
        }
        Optional<MailPath> sender = PathParser.parse(pathAndParameters[0], true, false);
        if (sender.isEmpty()) {
            return invalid(Reply.BAD_SENDER_SYNTAX);
        }
        OptionalLong size = OptionalLong.empty();
        boolean eightBit = false;
        boolean smtpUtf8 = false;
        Optional<MailDsn.Ret> ret = Optional.empty();
        Optional<String> envelopeId = Optional.empty();
        for (Parameter parameter : parameters(pathAndParameters[1])) {
            String value = parameter.value();
            switch (parameter.keyword()) {
                case "SIZE" -> {
                    if (value == null || value.isEmpty() || value.length() > 20 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        return invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS.withText("Bad SIZE parameter"));
                    }
                    try {
                        size = OptionalLong.of(Long.parseLong(value));
                    } catch (NumberFormatException tooBig) {
                        size = OptionalLong.of(Long.MAX_VALUE);
                    }
                }
                case "BODY" -> {
                    String body = value == null ? "" : asciiUpperCase(value);
                    if (body.equals("8BITMIME")) {
                        eightBit = true;
                    } else if (!body.equals("7BIT")) {
                        return invalid(Reply.UNSUPPORTED_PARAMETER.withText("Unsupported BODY type"));
                    }
                }
                case "SMTPUTF8" -> {
                    if (value != null) {
                        return invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS.withText("SMTPUTF8 takes no value"));
                    }
                    smtpUtf8 = true;
                }
                case "RET" -> {
                    if (ret.isPresent()) {
                        return invalid(duplicate("RET"));
                    }
                    ret = MailDsn.parseRet(value);
                    if (ret.isEmpty()) {
                        return invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS.withText("Bad RET parameter: FULL or HDRS"));
                    }
                }
                case "ENVID" -> {
                    if (envelopeId.isPresent()) {
                        return invalid(duplicate("ENVID"));
                    }
                    if (!MailDsn.isValidEnvelopeId(value)) {
                        return invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS.withText("Bad ENVID parameter"));
                    }
                    envelopeId = Optional.of(value);
                }
                default -> {
                    return invalid(Reply.UNSUPPORTED_PARAMETER);
                }
            }
        }
        return new Command.Mail(sender.get(), size, eightBit, smtpUtf8, new MailDsn(ret, envelopeId));
    }

    private static Command rcpt(String argument) {
        Optional<String> rest = afterKeyword(argument, "TO:");
        if (rest.isEmpty()) {
            return invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS.withText("Syntax: RCPT TO:<address>"));
        }
        String[] pathAndParameters = splitPath(rest.get());
        if (pathAndParameters == null) {
            return invalid(Reply.BAD_RECIPIENT_SYNTAX);
        }
        Optional<MailPath> recipient = PathParser.parse(pathAndParameters[0], false, true);
        if (recipient.isEmpty()) {
            return invalid(Reply.BAD_RECIPIENT_SYNTAX);
        }
        // DSN's NOTIFY and ORCPT (RFC 3461 4.1, 4.2) are the only RCPT parameters advertised.
        Optional<Set<RcptDsn.Notify>> notify = Optional.empty();
        Optional<String> originalRecipient = Optional.empty();
        for (Parameter parameter : parameters(pathAndParameters[1])) {
            String value = parameter.value();
            switch (parameter.keyword()) {
                case "NOTIFY" -> {
                    if (notify.isPresent()) {
                        return invalid(duplicate("NOTIFY"));
                    }
                    notify = RcptDsn.parseNotify(value);
                    if (notify.isEmpty()) {
                        return invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS.withText(
                                "Bad NOTIFY parameter: NEVER, or SUCCESS, FAILURE and DELAY, each once"));
                    }
                }
                case "ORCPT" -> {
                    if (originalRecipient.isPresent()) {
                        return invalid(duplicate("ORCPT"));
                    }
                    if (!RcptDsn.isValidOriginalRecipient(value)) {
                        return invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS.withText("Bad ORCPT parameter"));
                    }
                    originalRecipient = Optional.of(value);
                }
                default -> {
                    return invalid(Reply.UNSUPPORTED_PARAMETER);
                }
            }
        }
        return new Command.Rcpt(recipient.get(), new RcptDsn(notify.orElse(Set.of()), originalRecipient));
    }

    /** "FROM:" or "TO:", case-insensitive, then optional spaces (tolerated: many clients send one). */
    private static Optional<String> afterKeyword(String argument, String keyword) {
        if (!argument.regionMatches(true, 0, keyword, 0, keyword.length())) {
            return Optional.empty();
        }
        return Optional.of(argument.substring(keyword.length()).stripLeading());
    }

    /**
     * Splits "&lt;path&gt; params" at the closing bracket, honouring quoted local parts that may
     * contain '&gt;' or spaces. Returns null when there is no bracketed path.
     */
    private static String[] splitPath(String text) {
        if (text.isEmpty() || text.charAt(0) != '<') {
            return null;
        }
        boolean inQuotes = false;
        for (int i = 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && inQuotes) {
                i++;
            } else if (c == '"') {
                inQuotes = !inQuotes;
            } else if (c == '>' && !inQuotes) {
                String parameters = text.substring(i + 1);
                if (!parameters.isEmpty() && parameters.charAt(0) != ' ') {
                    return null;
                }
                return new String[] {text.substring(0, i + 1), parameters.strip()};
            }
        }
        return null;
    }

    /** One ESMTP parameter (RFC 5321 4.1.2): its keyword in upper case, its value; null without {@code =}. */
    private record Parameter(String keyword, String value) {
    }

    /** The parameters of a MAIL or RCPT command, separated by spaces. */
    private static List<Parameter> parameters(String text) {
        List<Parameter> parameters = new ArrayList<>();
        for (String parameter : text.split(" +")) {
            if (!parameter.isEmpty()) {
                int equals = parameter.indexOf('=');
                parameters.add(new Parameter(asciiUpperCase(equals < 0 ? parameter : parameter.substring(0, equals)),
                        equals < 0 ? null : parameter.substring(equals + 1)));
            }
        }
        return parameters;
    }

    /**
     * Verbs and parameter keywords are ASCII, their case is ASCII case (RFC 5321 2.4). Java's
     * upper-casing maps more than that to ASCII: "R\u017FET" (long s) and "MA\u0131L" (dotless i)
     * would be RSET and MAIL (issue 11: the fuzzer found the first). Anything else stays as it is,
     * and so matches no verb.
     */
    private static String asciiUpperCase(String word) {
        char[] chars = word.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            if (chars[i] >= 'a' && chars[i] <= 'z') {
                chars[i] -= 'a' - 'A';
            }
        }
        return new String(chars);
    }

    /** RFC 3461 4.1 to 4.4: each DSN parameter at most once per command. */
    private static Reply duplicate(String keyword) {
        return Reply.SYNTAX_ERROR_IN_PARAMETERS.withText("Duplicate " + keyword + " parameter");
    }

    private static Command noArgument(String argument, Command command) {
        return argument.isEmpty() ? command : invalid(Reply.SYNTAX_ERROR_IN_PARAMETERS);
    }

    private static Command invalid(Reply reply) {
        return new Command.Invalid(reply);
    }
}
