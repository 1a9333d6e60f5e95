package net.gatehouse.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.config.IpLiteral;
import net.gatehouse.smtp.protocol.Command;
import net.gatehouse.smtp.protocol.Command.Invalid;
import net.gatehouse.smtp.protocol.Command.Rcpt;
import net.gatehouse.smtp.protocol.CommandParser;
import net.gatehouse.smtp.protocol.Reply;

/**
 * What the gateway would answer at RCPT TO for an address and a client, and why: the logic of
 * {@code gatehouse check} and of the console's address tester, which differ only in where the
 * {@link RecipientPolicy} and the {@link CalloutVerifier} come from (a one-shot set opened by the
 * command, the running gateway's own for the console).
 *
 * <p>The first use of a domain starts its catch-all check in the background. The tester waits for
 * it and, if the back-end turns out to accept anything, decides again, so that it shows what the
 * gateway says from then on rather than the one answer given before the check finished.
 */
public final class AddressTester {

    /** TEST-NET-1 (RFC 5737): an address no trusted network should contain. */
    public static final String UNTRUSTED_CLIENT = "192.0.2.1";

    private final RecipientPolicy recipients;
    private final CalloutVerifier callout;
    private final Duration backgroundWait;

    /**
     * The outcome of one test.
     *
     * @param recipient the path as given to RCPT TO, in angle brackets
     * @param client    the client's address as the policy saw it
     * @param chain     the reasons, in the order they were considered
     * @param source    what decided ({@link #source(Reason)}): list, directory, callout, catch-all,
     *                  trusted, dns, ...; {@code syntax} for an address RCPT TO would not take
     */
    public record Result(String recipient, String client, Reply reply, List<String> chain, String source) {

        public Result {
            chain = List.copyOf(chain);
        }

        /** {@code accept}, {@code tempfail} or {@code reject}, as in the message log. */
        public String word() {
            return reply.isPositive() ? "accept" : reply.isTransientFailure() ? "tempfail" : "reject";
        }

        /** The verdict in words for a person: accept, temporary refusal, permanent refusal. */
        public String description() {
            return reply.isPositive() ? "accept" : reply.isTransientFailure() ? "temporary refusal" : "permanent refusal";
        }
    }

    /**
     * @param backgroundWait how long to wait for a catch-all check that the test started (the
     *                       callout timeout is a good bound)
     */
    public AddressTester(RecipientPolicy recipients, CalloutVerifier callout, Duration backgroundWait) {
        this.recipients = recipients;
        this.callout = callout;
        this.backgroundWait = backgroundWait;
    }

    /**
     * The client address from its text form.
     *
     * @throws IllegalArgumentException if it is not an IPv4 or IPv6 address (no name lookups)
     */
    public static InetAddress client(String text) {
        try {
            return InetAddress.getByAddress(IpLiteral.parse(text.strip())
                    .orElseThrow(() -> new IllegalArgumentException("the client must be an IP address, got \""
                            + printable(text) + "\"")));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("the client must be an IP address, got \"" + printable(text) + "\"", e);
        }
    }

    /**
     * Tests an address, written as {@code alice@example.com} or {@code <alice@example.com>}.
     *
     * @throws InterruptedException if interrupted while waiting for a catch-all check
     */
    public Result test(String address, InetAddress client) throws InterruptedException {
        String path = address.startsWith("<") ? address : "<" + address + ">";
        Command command = CommandParser.parse("RCPT TO:" + path);
        if (!(command instanceof Rcpt rcpt)) {
            return new Result(path, client.getHostAddress(), ((Invalid) command).reply(),
                    List.of("the address is not valid RFC 5321 syntax"), "syntax");
        }
        Verdict verdict = recipients.decide(client, rcpt.recipient());
        callout.awaitBackground(backgroundWait);
        String domain = rcpt.recipient().mailbox().orElseThrow().asciiDomain();
        if (callout.isCatchAll(domain)) {
            verdict = recipients.decide(client, rcpt.recipient());
        }
        return new Result(path, client.getHostAddress(), verdict.reply(), verdict.chain(), source(verdict.reason()));
    }

    /**
     * What decided, in one word for {@code gatehouse check --explain} and the tester: {@code list}
     * (a valid list), {@code directory}, {@code callout} (the back-end or its cached answer),
     * {@code catch-all} (the domain's back-end is flagged as accepting anything), {@code trusted},
     * {@code dns} (the recipient domain's MX), {@code relay}, {@code postmaster}, {@code none}
     * (a domain without verification), {@code harvest-guard} (a tarpitted client's uncached
     * address, not probed).
     */
    public static String source(Reason reason) {
        return switch (reason) {
            case VALID_LIST, NOT_IN_VALID_LIST -> "list";
            case DIRECTORY, NOT_IN_DIRECTORY, DIRECTORY_TEMPFAIL -> "directory";
            case CALLOUT_ACCEPTED, MAILBOX_UNKNOWN, CALLOUT_TEMPFAIL -> "callout";
            case CATCH_ALL -> "catch-all";
            case TRUSTED, TRUSTED_RELAY -> "trusted";
            case UNKNOWN_DOMAIN, NULL_MX, MALFORMED_MX, DNS_TEMPFAIL -> "dns";
            case RELAY_DENIED -> "relay";
            case POSTMASTER, NO_PROTECTED_DOMAIN -> "postmaster";
            case UNVERIFIED -> "none";
            case HARVEST_DEFERRED -> "harvest-guard";
            default -> reason.word();
        };
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(64).forEach(c -> out.append(c >= 0x20 && c != 0x7f ? Character.toString(c) : "?"));
        return out.toString();
    }
}
