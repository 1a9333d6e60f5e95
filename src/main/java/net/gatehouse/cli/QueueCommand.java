package net.gatehouse.cli;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import net.gatehouse.config.GatewayConfig;
import net.gatehouse.queue.QueueId;
import net.gatehouse.queue.Spool;
import net.gatehouse.queue.SpooledMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "queue", mixinStandardHelpOptions = true,
        description = "Inspect and act on this node's mail queue (the spool in data_dir).",
        subcommands = {QueueCommand.ListMessages.class, QueueCommand.Flush.class, QueueCommand.Delete.class})
final class QueueCommand {

    static Spool openSpool(GatewayConfig config) throws IOException {
        return new Spool(config.dataDir().resolve("spool"), 0);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List queued messages with their pending recipients.")
    static final class ListMessages implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws IOException {
            Logging.quiet();
            GatewayConfig loaded = config.loadOrReport();
            if (loaded == null) {
                return Main.EXIT_BAD_CONFIG;
            }
            Spool spool = openSpool(loaded);
            List<QueueId> ids = spool.ids();
            for (QueueId id : ids) {
                Optional<SpooledMessage> message;
                try {
                    message = spool.read(id);
                } catch (Spool.CorruptMessageException e) {
                    System.out.printf("%s  corrupt: %s%n", id, e.getMessage());
                    continue;
                }
                message.ifPresent(m -> System.out.printf("%s  %s  %8d  %s -> %s%n", id, m.envelope().received(),
                        m.contentLength(), m.envelope().sender(), String.join(" ", m.pendingRecipients())));
            }
            System.out.println(ids.size() == 1 ? "1 message" : ids.size() + " messages");
            return 0;
        }
    }

    @Command(name = "flush", mixinStandardHelpOptions = true,
            description = "Ask the running gateway to attempt every deferred message now (within a second).")
    static final class Flush implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws IOException {
            Logging.quiet();
            GatewayConfig loaded = config.loadOrReport();
            if (loaded == null) {
                return Main.EXIT_BAD_CONFIG;
            }
            openSpool(loaded).requestFlush();
            System.out.println("flush requested");
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete messages from the queue, without a bounce. An attempt already under way may still complete.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Parameters(paramLabel = "QUEUE_ID", arity = "1..*", description = "IDs as shown by 'queue list'.")
        List<String> ids;

        @Override
        public Integer call() throws IOException {
            Logging.quiet();
            GatewayConfig loaded = config.loadOrReport();
            if (loaded == null) {
                return Main.EXIT_BAD_CONFIG;
            }
            Spool spool = openSpool(loaded);
            int missing = 0;
            for (String id : ids) {
                if (QueueId.isValid(id) && spool.remove(new QueueId(id))) {
                    System.out.println(id + " deleted");
                } else {
                    System.out.println(id + " not in the queue");
                    missing++;
                }
            }
            return missing == 0 ? 0 : 1;
        }
    }
}
