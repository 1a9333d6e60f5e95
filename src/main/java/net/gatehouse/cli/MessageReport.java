package net.gatehouse.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.stream.Collectors;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.Journal;
import net.gatehouse.queue.MessageAge;
import net.gatehouse.queue.SpooledMessage;
import net.gatehouse.smtp.protocol.RcptDsn;

/**
 * One queued message as {@code gatehouse queue show} prints it, in the shape of Postfix's {@code
 * postcat -q}: the envelope, each recipient's state and last reply, then the message, so that
 * administrators who know postcat read it without a manual.
 */
final class MessageReport {

    private MessageReport() {
    }

    /** Prints the report, ages counted to {@code now}; the whole content with {@code body}, else only its header. */
    static void print(SpooledMessage message, boolean body, Instant now, PrintStream out) throws IOException {
        Envelope envelope = message.envelope();
        Journal journal = message.journal();
        out.println("*** ENVELOPE " + message.id() + " ***");
        out.println("queue_id:      " + message.id());
        out.println("state:         " + (journal.held() ? "on hold (not attempted until released)"
                : journal.attempts() == 0 ? "not attempted yet" : "deferred"));
        out.println("arrival_time:  " + seconds(envelope.received()) + " ("
                + MessageAge.format(Duration.between(envelope.received(), now)) + " ago)");
        if (journal.requeued()) {
            out.println("requeued:      " + seconds(journal.lifetimeStart()) + " (the maximum lifetime counts from here)");
        }
        out.println("client:        " + envelope.client());
        out.println("helo:          " + envelope.helo());
        out.println("sender:        " + envelope.sender());
        // the DSN parameters (RFC 3461), as the client gave them and as they are relayed: xtext
        envelope.dsn().ret().ifPresent(ret -> out.println("dsn_ret:       " + ret));
        envelope.dsn().envelopeId().ifPresent(envid -> out.println("dsn_envid:     " + envid));
        out.println("message_size:  " + message.contentLength());
        out.println("attempts:      " + journal.attempts());
        for (String recipient : envelope.recipients()) {
            out.println("recipient:     " + recipient);
            RcptDsn dsn = envelope.dsn(recipient);
            if (!dsn.notifications().isEmpty()) {
                out.println("  dsn_notify:  " + dsn.notifications().stream().sorted().map(Enum::name)
                        .collect(Collectors.joining(",")));
            }
            dsn.originalRecipient().ifPresent(orcpt -> out.println("  dsn_orcpt:   " + orcpt));
            Optional<Journal.LastResult> result = journal.result(recipient);
            if (result.isEmpty()) {
                out.println("  state:       pending, not attempted yet");
                continue;
            }
            Journal.LastResult last = result.get();
            String state = !last.finished() ? "deferred" : last.reply().isEmpty() ? "finished"
                    : last.delivered() ? "delivered" : "bounced";
            out.println("  state:       " + state + (last.attempt() > 0 ? " in attempt " + last.attempt() : "")
                    + (last.at() != null ? ", " + seconds(last.at()) : ""));
            if (!last.reply().isEmpty()) {
                out.println("  last_reply:  " + QueueListing.reason(last));
            }
        }
        out.println("*** MESSAGE " + (body ? "CONTENTS " : "HEADER ") + message.id() + " ***");
        content(message, body, out);
        out.println("*** END OF MESSAGE " + message.id() + " ***");
    }

    /** The content as lines ending in LF, as postcat prints it; only the header section unless {@code body}. */
    private static void content(SpooledMessage message, boolean body, PrintStream out) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(message.file()))) {
            in.skipNBytes(message.contentOffset());
            long left = message.contentLength();
            boolean lineStart = true;
            int previous = -1;
            while (left-- > 0) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                if (b == '\r') {
                    previous = b;
                    continue; // CRLF becomes LF; a lone CR cannot be in the spool (smuggling defence)
                }
                if (b == '\n' && lineStart && !body) {
                    return; // the empty line that ends the header section
                }
                if (previous == '\r' && b != '\n') {
                    out.write('\r');
                }
                out.write(b);
                lineStart = b == '\n';
                previous = b;
            }
            if (!lineStart) {
                out.write('\n');
            }
        } finally {
            out.flush();
        }
    }

    private static Instant seconds(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS);
    }
}
