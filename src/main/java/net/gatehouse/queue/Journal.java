package net.gatehouse.queue;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a message's journal ({@code active/ID.done}) says: which recipients are finished, the last
 * result of each recipient, how many attempts were made, whether the message is on hold, and since
 * when its maximum lifetime counts.
 *
 * <p>The journal is appended to, never rewritten: one line per record, fields separated by tabs (a
 * tab cannot occur in an address, RFC 5321 4.1.2; relay and reply text are made tab-free), the
 * reply text last:
 * <pre>
 * done      ATTEMPT TIME RECIPIENT RELAY REPLY   the recipient is finished: delivered (2xx) or bounced
 * deferred  ATTEMPT TIME RECIPIENT RELAY REPLY   the recipient was deferred in that attempt
 * hold      TIME                                 no attempt until released (gatehouse queue hold)
 * release   TIME                                 attempts again (gatehouse queue release)
 * requeue   TIME                                 attempts and reasons start again; so does the lifetime
 * done RECIPIENT                                 written before the other records existed: finished
 * </pre>
 * Only complete lines count: a crash can leave the last append half written. Unknown records are
 * skipped, so that a later version's journal is read for what this one knows. Versions before
 * these records read only {@code done RECIPIENT}: downgraded, they deliver again to recipients
 * finished since.
 *
 * @param held          no attempt is started while true (Postfix's hold queue)
 * @param lifetimeStart the maximum lifetime counts from here: arrival, or the last requeue
 * @param requeued      whether a requeue reset the attempts since arrival
 * @param attempts      attempts recorded since arrival or the last requeue
 * @param recipients    the last result of each recipient that has one
 */
public record Journal(boolean held, Instant lifetimeStart, boolean requeued, int attempts,
                      Map<String, LastResult> recipients) {

    static final String DONE = "done";
    static final String DEFERRED = "deferred";
    static final String HOLD = "hold";
    static final String RELEASE = "release";
    static final String REQUEUE = "requeue";

    /**
     * A recipient's last result.
     *
     * @param finished whether no further attempt is made for it (delivered or bounced)
     * @param attempt  the attempt it comes from (1 = the first one); 0 when the journal does not say
     * @param at       when; null when the journal does not say (records of older versions)
     * @param relay    the server that answered, as in the log's {@code relay=}; "none" when no server did
     * @param reply    the reply, one line ("450 4.2.0 Mailbox busy"); empty when the journal does not say
     */
    public record LastResult(boolean finished, int attempt, Instant at, String relay, String reply) {

        /** Finished with a 2xx reply: delivered. */
        public boolean delivered() {
            return finished && reply.startsWith("2");
        }
    }

    public Journal {
        recipients = Map.copyOf(recipients);
    }

    /** The journal of a message nobody has attempted yet. */
    public static Journal empty(Instant arrival) {
        return new Journal(false, arrival, false, 0, Map.of());
    }

    /** Recipients that need no further attempt. */
    public Set<String> finished() {
        if (recipients.isEmpty()) {
            return Set.of(); // every message's first attempt asks: no stream for nothing
        }
        return recipients.entrySet().stream().filter(e -> e.getValue().finished()).map(Map.Entry::getKey)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** The recipient's last result, if the journal has one since arrival or the last requeue. */
    public Optional<LastResult> result(String recipient) {
        return Optional.ofNullable(recipients.get(recipient));
    }

    /**
     * Reads the text of a journal.
     *
     * @param arrival when the message arrived, where its lifetime starts unless it was requeued
     */
    static Journal parse(String text, Instant arrival) {
        boolean held = false;
        boolean requeued = false;
        Instant lifetimeStart = arrival;
        int attempts = 0;
        Map<String, LastResult> recipients = new LinkedHashMap<>();
        int start = 0;
        for (int newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
            String line = text.substring(start, newline);
            start = newline + 1;
            if (line.startsWith(DONE + " ")) {
                recipients.put(line.substring(DONE.length() + 1), new LastResult(true, 0, null, "none", ""));
                continue;
            }
            String[] fields = line.split("\t", 6);
            try {
                switch (fields[0]) {
                    case DONE, DEFERRED -> {
                        int attempt = Integer.parseInt(fields[1]);
                        boolean finished = fields[0].equals(DONE);
                        LastResult before = recipients.get(fields[3]);
                        // a deferral never undoes a finished recipient, whatever the order of lines
                        if (finished || before == null || !before.finished()) {
                            recipients.put(fields[3], new LastResult(finished, attempt, Instant.parse(fields[2]),
                                    fields[4], fields[5]));
                        }
                        attempts = Math.max(attempts, attempt);
                    }
                    case HOLD -> held = true;
                    case RELEASE -> held = false;
                    case REQUEUE -> {
                        // Postfix's postsuper -r: from scratch, but finished recipients stay finished
                        held = false;
                        requeued = true;
                        attempts = 0;
                        lifetimeStart = Instant.parse(fields[1]);
                        recipients.values().removeIf(result -> !result.finished());
                    }
                    default -> {
                        // a record of a newer version, or a line garbled by a crash: not ours to read
                    }
                }
            } catch (RuntimeException garbled) { // too few fields, or one that does not parse
                // a line garbled by a crash (unordered writes on some file systems): skipped
            }
        }
        return new Journal(held, lifetimeStart, requeued, attempts, recipients);
    }

    /** The line of a recipient's result in an attempt. */
    static String resultLine(int attempt, Instant at, String recipient, Outcome outcome) {
        return String.join("\t", outcome.finished() ? DONE : DEFERRED, Integer.toString(attempt), time(at),
                recipient, field(outcome.relay()), field(outcome.reply().toString())) + "\n";
    }

    /** The line of a hold, release or requeue. */
    static String actionLine(String record, Instant at) {
        return record + "\t" + time(at) + "\n";
    }

    /** To the millisecond: finer is noise in a journal read by administrators. */
    private static String time(Instant at) {
        return at.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** Text made safe for a field: no tab, no line break. */
    private static String field(String text) {
        return text.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }
}
