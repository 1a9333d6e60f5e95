package net.gatehouse.cli;

import java.io.PrintStream;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.Journal;
import net.gatehouse.queue.SpooledMessage;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code gatehouse queue list}: the queue as Postfix's {@code mailq} ({@code postqueue -p}) prints
 * it with long queue IDs, so that the scripts administrators keep for Postfix read it unchanged; or,
 * with {@code --json}, one object per message and line as {@code postqueue -j}.
 *
 * <p>After the ID, {@code !} marks a message on hold and {@code *} one not attempted yet since it
 * arrived or was requeued (while the gateway runs, its attempt is under way or due now: what
 * Postfix's active queue holds). Only pending recipients are listed, each under the reason of its
 * last deferral, printed when it differs from the previous recipient's, as Postfix does.
 */
final class QueueListing {

    // Postfix's showq_compat.c, long queue IDs: "%-17s %8s %-19s %s"
    private static final String HEADING = String.format("%-17s %8s %-19s %s%n", "----Queue ID-----", "--Size--",
            "---Arrival Time----", "--Sender/Recipient------");
    private static final String SENDER_LINE = "%-17s %8d %19.19s %s%n";
    private static final String RECIPIENT_LINE = "%-17s %8s %-19s %s%n";
    /** asctime(3) without the year, in local time, as mailq shows the arrival. */
    private static final DateTimeFormatter ARRIVAL = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss", Locale.US);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PrintStream out;
    private final ZoneId zone;
    private long bytes;
    private int messages;

    QueueListing(PrintStream out, ZoneId zone) {
        this.out = out;
        this.zone = zone;
    }

    /** One message, mailq-style; the heading comes before the first. */
    void add(SpooledMessage message) {
        out.print(messages == 0 ? HEADING : System.lineSeparator());
        messages++;
        bytes += message.contentLength();
        Envelope envelope = message.envelope();
        Journal journal = message.journal();
        out.printf(SENDER_LINE, message.id() + marker(journal), message.contentLength(),
                ARRIVAL.format(envelope.received().atZone(zone)), sender(envelope));
        String previous = "";
        for (String recipient : message.pendingRecipients()) {
            String reason = journal.result(recipient).map(QueueListing::reason).orElse("");
            if (!reason.equals(previous)) {
                String shown = reason.isEmpty() ? "reason unavailable" : reason;
                out.printf("%78s%n", "(" + shown + ")"); // right-aligned to column 78, as Postfix does
                previous = reason;
            }
            out.printf(RECIPIENT_LINE, "", "", "", Envelope.address(recipient));
        }
    }

    /** The summary line, or that the queue is empty. */
    void finish() {
        if (messages == 0) {
            out.println("Mail queue is empty");
        } else {
            out.println();
            out.printf("-- %d Kbytes in %d Request%s.%n", bytes / 1024, messages, messages == 1 ? "" : "s");
        }
    }

    /** One message as a line of JSON, with {@code postqueue -j}'s field names and the attempts. */
    void addJson(SpooledMessage message) {
        Journal journal = message.journal();
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("queue_name", journal.held() ? "hold" : journal.attempts() == 0 ? "active" : "deferred");
        object.put("queue_id", message.id().value());
        object.put("arrival_time", message.envelope().received().getEpochSecond());
        object.put("message_size", message.contentLength());
        object.put("sender", Envelope.address(message.envelope().sender()));
        object.put("attempts", journal.attempts());
        List<Map<String, Object>> recipients = new ArrayList<>();
        for (String recipient : message.pendingRecipients()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("address", Envelope.address(recipient));
            journal.result(recipient).map(QueueListing::reason).ifPresent(reason -> entry.put("delay_reason", reason));
            recipients.add(entry);
        }
        object.put("recipients", recipients);
        out.println(JSON.writeValueAsString(object));
    }

    private static String marker(Journal journal) {
        return journal.held() ? "!" : journal.attempts() == 0 ? "*" : "";
    }

    /** The sender as mailq shows it: the address, or MAILER-DAEMON for the null sender. */
    private static String sender(Envelope envelope) {
        return envelope.hasNullSender() ? "MAILER-DAEMON" : Envelope.address(envelope.sender());
    }

    /** Why the last attempt deferred (or ended) a recipient, in the words of Postfix's reasons. */
    static String reason(Journal.LastResult result) {
        if (result.reply().isEmpty()) {
            return "";
        }
        return result.relay().equals("none") ? result.reply() : "host " + result.relay() + " said: " + result.reply();
    }
}
