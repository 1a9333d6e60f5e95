package net.gatehouse.queue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import net.gatehouse.config.DeliveryConfig;
import net.gatehouse.log.MailEvent;
import net.gatehouse.smtp.client.ConnectionPool;
import net.gatehouse.smtp.client.MessageContent;
import net.gatehouse.smtp.client.SmtpClient;
import net.gatehouse.smtp.client.TransactionResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mail transaction of a message with one server, for some of its recipients, on a pooled
 * connection ({@link ConnectionPool}: reused when one is idle, replaced once if the server had
 * dropped it). A new connection uses STARTTLS whenever the server offers it, and plaintext if the
 * handshake fails: opportunistic TLS (RFC 7435) must not make mail undeliverable. The DSN
 * parameters of RFC 3461 (RET, ENVID, NOTIFY, ORCPT) go with the message to a server that offers
 * DSN, and are left out for one that does not.
 */
final class MailTransaction {

    /** The delivery agent's logger: the name its lines have always had in the JSON log. */
    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);

    /** A new connection failed and the failure is logged: the next server is tried. */
    private static final class NotConnected extends IOException {
        NotConnected(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final ConnectionPool connections;
    private final String hostname;
    private final SSLContext opportunisticTls;
    private final DeliveryConfig config;

    /**
     * @param hostname         said in EHLO
     * @param opportunisticTls the client context for STARTTLS
     */
    MailTransaction(ConnectionPool connections, String hostname, SSLContext opportunisticTls, DeliveryConfig config) {
        this.connections = connections;
        this.hostname = hostname;
        this.opportunisticTls = opportunisticTls;
        this.config = config;
    }

    /**
     * Sends the message to {@code recipients} through {@code server}: the outcome of each, or
     * empty when the server could not take the transaction (connection refused or lost, a 4xx
     * greeting or MAIL), so that the next server is tried (RFC 5321 5.1).
     */
    Optional<Map<String, Outcome>> send(SpooledMessage message, InetSocketAddress server, List<String> recipients) {
        String relay = relay(server);
        Envelope envelope = message.envelope();
        TransactionResult result;
        AtomicBoolean nextHopDsn = new AtomicBoolean();
        try {
            // No delivery waits for a connection (the pool allows as many per server as run at once):
            // the deadline is a formality.
            result = connections.exchange(server, System.nanoTime() + config.connectTimeout().toNanos(),
                    (address, deadline) -> connect(address, relay, message.id()),
                    client -> {
                        // RFC 3461 4.2: the DSN parameters go on with the message where the server takes them
                        nextHopDsn.set(client.supports("DSN"));
                        return client.send(Envelope.address(envelope.sender()),
                                recipients.stream().map(Envelope::address).toList(),
                                new MessageContent.FileRegion(message.file(), message.contentOffset(), message.contentLength()),
                                envelope.dsn(), recipients.stream().map(envelope::dsn).toList());
                    });
        } catch (NotConnected e) {
            return Optional.empty();
        } catch (IOException | TimeoutException e) {
            log.info("queue_id={} transaction_failed relay={} error=\"{}\"", message.id(), relay, e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (result.mail().isTransientFailure()) {
            return Optional.empty();
        }
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        for (int i = 0; i < recipients.size(); i++) {
            outcomes.put(recipients.get(i), Outcome.of(result.outcome(i), relay, nextHopDsn.get()));
        }
        return Optional.of(outcomes);
    }

    /** @throws NotConnected when the server could not be reached, logged here */
    private SmtpClient connect(InetSocketAddress server, String relay, QueueId id) throws NotConnected {
        try {
            try {
                return SmtpClient.connect(server, hostname, config.connectTimeout(), config.commandTimeout(), opportunisticTls);
            } catch (SSLException e) {
                log.info("queue_id={} tls_failed relay={} error=\"{}\" retrying=plaintext", id, relay, e.getMessage());
                return SmtpClient.connect(server, hostname, config.connectTimeout(), config.commandTimeout(), null);
            }
        } catch (IOException e) {
            new MailEvent.ConnectFailed(id.value(), relay, connectError(e)).logTo(log);
            throw new NotConnected(e);
        }
    }

    /**
     * The server as Postfix's {@code relay=} names it: the host it was found under (the MX host,
     * the back-end's configured name, or the address itself), its address and port.
     */
    private static String relay(InetSocketAddress server) {
        return server.getHostString() + "[" + server.getAddress().getHostAddress() + "]:" + server.getPort();
    }

    /**
     * Why a new connection failed, in the words Postfix writes after "connect to host[addr]:port: "
     * ("Connection refused", "Connection timed out"), or what went wrong after the TCP connection.
     */
    private static String connectError(IOException e) {
        Throwable cause = e.getCause();
        if (cause instanceof SocketTimeoutException && "Connect timed out".equalsIgnoreCase(cause.getMessage())) {
            return "Connection timed out";
        }
        if (e instanceof ConnectException && cause != null && cause.getMessage() != null) {
            return cause.getMessage();
        }
        return String.valueOf(e.getMessage());
    }
}
