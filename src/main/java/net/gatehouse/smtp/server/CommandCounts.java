package net.gatehouse.smtp.server;

import java.util.Locale;
import net.gatehouse.smtp.protocol.Command;

/**
 * The commands of one session, as Postfix's {@code disconnect from} line counts them: each command
 * used, with how many succeeded out of how many were sent when some failed, then all of them
 * ({@code ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6}). Log tools read the failed RCPTs and
 * the missing QUIT from it.
 */
final class CommandCounts {

    /** What a command line counts as, in the order Postfix lists them. */
    enum Verb {
        HELO, EHLO, STARTTLS, MAIL, RCPT, DATA, RSET, NOOP, VRFY, EXPN, HELP, QUIT, UNKNOWN;

        static Verb of(Command command, String line) {
            return switch (command) {
                case Command.Hello hello -> hello.extended() ? EHLO : HELO;
                case Command.Mail mail -> MAIL;
                case Command.Rcpt rcpt -> RCPT;
                case Command.Data data -> DATA;
                case Command.Rset rset -> RSET;
                case Command.Noop noop -> NOOP;
                case Command.Quit quit -> QUIT;
                case Command.Help help -> HELP;
                case Command.StartTls startTls -> STARTTLS;
                case Command.Vrfy vrfy -> VRFY;
                case Command.Expn expn -> EXPN;
                case Command.NotImplemented notImplemented -> UNKNOWN;
                case Command.Invalid invalid -> named(line); // a known verb with bad arguments counts as a failed one
            };
        }

        /** The verb the line starts with, if it is one of these; {@code UNKNOWN} otherwise. */
        static Verb named(String line) {
            int end = 0;
            while (end < line.length() && end < 8 && Character.isLetter(line.charAt(end))) {
                end++;
            }
            String word = line.substring(0, end).toUpperCase(Locale.ROOT);
            for (Verb verb : values()) {
                if (verb != UNKNOWN && verb.name().equals(word)) {
                    return verb;
                }
            }
            return UNKNOWN;
        }
    }

    private final int[] succeeded = new int[Verb.values().length];
    private final int[] sent = new int[Verb.values().length];

    void count(Verb verb, boolean success) {
        sent[verb.ordinal()]++;
        if (success) {
            succeeded[verb.ordinal()]++;
        }
    }

    /** {@code ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6}; {@code commands=0} when there were none. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(64);
        int allSucceeded = 0;
        int allSent = 0;
        for (Verb verb : Verb.values()) {
            int i = verb.ordinal();
            if (sent[i] > 0) {
                append(text.append(verb.name().toLowerCase(Locale.ROOT)).append('='), succeeded[i], sent[i]).append(' ');
                allSucceeded += succeeded[i];
                allSent += sent[i];
            }
        }
        return append(text.append("commands="), allSucceeded, allSent).toString();
    }

    private static StringBuilder append(StringBuilder text, int succeeded, int sent) {
        text.append(succeeded);
        return succeeded == sent ? text : text.append('/').append(sent);
    }
}
