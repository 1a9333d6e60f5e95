package net.gatehouse.web;

import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.gatehouse.admin.QueueActions;
import net.gatehouse.queue.Envelope;
import net.gatehouse.queue.MessageAge;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.QueuedMessage;
import net.gatehouse.smtp.protocol.RcptDsn;

/**
 * This node's queue: the messages waiting for delivery, each with its envelope, and the
 * administrator's actions on one: retry now, delete (no DSN), bounce (a DSN to the sender for the
 * pending recipients, as for a permanent failure; none to the null sender) then remove.
 *
 * <p>A message whose delivery attempt is under way is not touched: the action is refused with 409
 * and can be asked again once the attempt is over (a second or so), rather than racing the
 * attempt and delivering or bouncing twice. Every action goes through the administration
 * ({@code admin.QueueActions}), which audits it.
 */
public final class QueuePage {

    /**
     * A queued message as the page and the API show it.
     *
     * @param held        on hold ({@code gatehouse queue hold}): not attempted until released
     * @param nextAttempt  null while on hold
     * @param dsn          the DSN parameters of MAIL FROM ({@code RET=HDRS ENVID=...}); empty for none
     * @param recipientDsn those of each recipient that had any ({@code NOTIFY=... ORCPT=...})
     */
    public record Message(String id, Instant received, String client, String helo, String sender,
                          List<String> recipients, List<String> pendingRecipients, long size, int attempts,
                          boolean delivering, boolean held, Instant nextAttempt, String lastError, long ageSeconds,
                          String dsn, Map<String, String> recipientDsn) {

        static Message of(QueuedMessage queued, Instant now) {
            Envelope envelope = queued.envelope();
            Map<String, String> recipientDsn = new LinkedHashMap<>();
            for (String recipient : envelope.recipients()) {
                RcptDsn dsn = envelope.dsn(recipient);
                if (!dsn.isEmpty()) {
                    recipientDsn.put(recipient, parameters(
                            dsn.notifications().isEmpty() ? Optional.empty() : Optional.of("NOTIFY=" + dsn.notifications()
                                    .stream().sorted().map(Enum::name).collect(Collectors.joining(","))),
                            dsn.originalRecipient().map(orcpt -> "ORCPT=" + orcpt)));
                }
            }
            return new Message(queued.id().value(), envelope.received(), envelope.client(), envelope.helo(),
                    envelope.sender(), envelope.recipients(), queued.pendingRecipients(), queued.size(),
                    queued.attempts(), queued.delivering(), queued.held(), queued.nextAttempt(), queued.lastError(),
                    Math.max(0, Duration.between(envelope.received(), now).toSeconds()),
                    parameters(envelope.dsn().ret().map(ret -> "RET=" + ret),
                            envelope.dsn().envelopeId().map(envid -> "ENVID=" + envid)),
                    recipientDsn);
        }

        /** The DSN parameters given (RFC 3461), as they were on MAIL or RCPT and are relayed. */
        private static String parameters(Optional<String> first, Optional<String> second) {
            return Stream.of(first, second).flatMap(Optional::stream).collect(Collectors.joining(" "));
        }

        public String age() {
            return MessageAge.format(Duration.ofSeconds(ageSeconds));
        }
    }

    /** The answer to an action through the API. */
    public record Done(String id, String action, String result) {
    }

    /** What an administrator can do to a queued message, in the words of the paths and the notices. */
    enum Operation {
        RETRY("retry", QueueActions.Action.RETRY, "Delivery is being attempted now."),
        DELETE("delete", QueueActions.Action.DELETE, "Deleted from the queue, without a DSN."),
        BOUNCE("bounce", QueueActions.Action.BOUNCE, "Returned to the sender and removed from the queue.");

        final String word;
        final QueueActions.Action action;
        final String notice;

        Operation(String word, QueueActions.Action action, String notice) {
            this.word = word;
            this.action = action;
            this.notice = notice;
        }

        static Operation of(String word) {
            for (Operation operation : values()) {
                if (operation.word.equals(word)) {
                    return operation;
                }
            }
            return null;
        }
    }

    private QueuePage() {
    }

    static void register(RouteTable table, Console console) {
        table.page(GET, "/queue", Access.VIEWER, "The queue", (ctx, who) -> {
            View view = View.of("Queue", "queue", who);
            Operation done = Operation.of(RequestValues.text(ctx, "done"));
            if (done != null) {
                view = view.withNotice(done.notice);
            }
            Console.page(ctx, "queue.jte", Map.of("view", view, "messages", messages(console)));
        });
        table.page(GET, "/queue/{id}", Access.VIEWER, "One queued message's envelope", (ctx, who) -> {
            Message message = message(console, id(ctx));
            Console.page(ctx, "queue-message.jte", Map.of("view", View.of("Queued message " + message.id(), "queue", who),
                    "message", message));
        });
        for (Operation operation : Operation.values()) {
            table.page(POST, "/queue/{id}/" + operation.word, Access.ADMIN, "Queued message: " + operation.word,
                    (ctx, who) -> {
                        QueueId id = id(ctx);
                        console.admin().queue().act(who.actor(), id, operation.action);
                        ctx.redirect(operation == Operation.RETRY ? "/queue/" + id + "?done=retry"
                                : "/queue?done=" + operation.word, HttpStatus.SEE_OTHER);
                    });
        }

        table.api(GET, "/api/v1/queue", Access.VIEWER, "Lists this node's queued messages, oldest first",
                (ctx, who) -> ctx.json(messages(console)));
        table.api(GET, "/api/v1/queue/{id}", Access.VIEWER, "One queued message's envelope and delivery state",
                (ctx, who) -> ctx.json(message(console, id(ctx))));
        table.api(POST, "/api/v1/queue/{id}/retry", Access.ADMIN, "Attempts delivery of a queued message now "
                + "(409 while an attempt is under way, or while it is on hold)", (ctx, who) -> api(ctx, console, who, Operation.RETRY));
        table.api(POST, "/api/v1/queue/{id}/bounce", Access.ADMIN, "Returns a queued message to its sender in a DSN "
                + "(none for the null sender) and removes it (409 while an attempt is under way)",
                (ctx, who) -> api(ctx, console, who, Operation.BOUNCE));
        table.api(DELETE, "/api/v1/queue/{id}", Access.ADMIN, "Deletes a queued message without a DSN "
                + "(409 while an attempt is under way)", (ctx, who) -> api(ctx, console, who, Operation.DELETE));
    }

    private static void api(Context ctx, Console console, Principal who, Operation operation) throws IOException {
        QueueId id = id(ctx);
        String result = console.admin().queue().act(who.actor(), id, operation.action);
        ctx.json(new Done(id.value(), operation.word, result));
    }

    static List<Message> messages(Console console) throws IOException {
        Instant now = console.clock().instant();
        return console.parts().delivery().snapshot().stream().map(m -> Message.of(m, now)).toList();
    }

    static Message message(Console console, QueueId id) throws IOException {
        return console.parts().delivery().find(id).map(m -> Message.of(m, console.clock().instant()))
                .orElseThrow(() -> notQueued(id));
    }

    private static QueueId id(Context ctx) {
        String id = ctx.pathParam("id");
        if (!QueueId.isValid(id)) {
            throw ApiException.badRequest("not a queue ID: \"" + id + "\" (13 characters of Crockford base 32)");
        }
        return new QueueId(id);
    }

    private static ApiException notQueued(QueueId id) {
        return ApiException.notFound("message " + id + " is not in the queue (delivered, bounced or deleted)");
    }
}
