package net.gatehouse.smtp.server;

import java.time.Clock;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import net.gatehouse.config.SmtpConfig;
import net.gatehouse.log.MessageSink;
import net.gatehouse.metrics.GatewayMetrics;
import net.gatehouse.policy.HarvestGuard;
import net.gatehouse.policy.RecipientPolicy;
import net.gatehouse.queue.Spool;
import net.gatehouse.queue.SpooledMessage;

/** What every session of one server shares. */
record SessionContext(String hostname, SmtpConfig config, Optional<SSLContext> tls, RecipientPolicy recipientPolicy,
                      HarvestGuard harvest, Spool spool, Consumer<SpooledMessage> onQueued, Clock clock, BooleanSupplier drainingFlag,
                      GatewayMetrics metrics, MessageSink messageLog) {

    boolean draining() {
        return drainingFlag.getAsBoolean();
    }
}
