package net.gatehouse.admin;

import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import net.gatehouse.callout.CalloutResult;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.callout.VerdictCache;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.policy.Policy;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.protocol.Command;
import net.gatehouse.smtp.protocol.CommandParser;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.store.Actor;
import net.gatehouse.store.AuditLog;

/**
 * The verification cache's tools (SPEC §9), whichever door they come through (the console's
 * address tester, {@code /api/v1/cache}, {@code gatehouse cache}): flush an address, a domain or
 * everything, and probe an address again now. A flush decides who may receive mail from then on
 * (a stale "no such user" is forgotten), so every flush and re-probe is audited:
 * {@code cache.flush}, {@code cache.flush_domain}, {@code cache.flush_all}, {@code cache.probe},
 * with the entry before and after. In a cluster they act on the shared cache in Redis, which every
 * node reads; a node's own fallback copy (used only while Redis is lost) is flushed on this node.
 */
public final class VerdictCacheTools {

    private final CalloutVerifier callout;
    private final Supplier<Policy> policy;
    private final AuditLog audit;
    private final Clock clock;

    public VerdictCacheTools(CalloutVerifier callout, Supplier<Policy> policy, AuditLog audit, Clock clock) {
        this.callout = callout;
        this.policy = policy;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * The address as RCPT TO would take it.
     *
     * @throws Refusal INVALID if it is not an RFC 5321 mailbox with a domain
     */
    public static MailboxAddress mailbox(String address) {
        String text = address.strip();
        String path = text.startsWith("<") ? text : "<" + text + ">";
        Command command = CommandParser.parse("RCPT TO:" + path);
        if (command instanceof Command.Rcpt rcpt && rcpt.recipient().mailbox().isPresent()
                && !rcpt.recipient().mailbox().get().domain().isEmpty()) {
            return rcpt.recipient().mailbox().get();
        }
        throw Refusal.invalid("not an address: \"" + printable(text) + "\" (expected local-part@domain)");
    }

    /** Flushes an address's cached verdict (and its hold-down); audited even when none was cached. */
    public void flush(Actor actor, MailboxAddress address) {
        Optional<VerdictCache.Entry> before = callout.cached(address);
        callout.forget(address);
        audit.record(clock.instant(), actor, "cache.flush", address.address().toLowerCase(Locale.ROOT),
                before.map(VerdictCacheTools::describe).orElse(""), "");
    }

    /**
     * Flushes the cached verdicts of a domain's addresses (not its subdomains').
     *
     * @return how many were flushed
     * @throws Refusal INVALID for something that is not a domain name
     */
    public long flushDomain(Actor actor, String domain) {
        String ascii;
        try {
            ascii = MailboxAddress.asciiDomain(domain.strip()).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw Refusal.invalid("not a domain name: \"" + printable(domain) + "\"");
        }
        if (!ascii.matches("[a-z0-9_.:\\[\\]-]{1,255}")) {
            throw Refusal.invalid("not a domain name: \"" + printable(domain) + "\"");
        }
        long flushed = callout.forgetDomain(ascii);
        audit.record(clock.instant(), actor, "cache.flush_domain", ascii, flushed + " cached verdicts", "");
        return flushed;
    }

    /** Flushes every cached verdict: how many were flushed. */
    public long flushAll(Actor actor) {
        long flushed = callout.forgetAll();
        audit.record(clock.instant(), actor, "cache.flush_all", "*", flushed + " cached verdicts", "");
        return flushed;
    }

    /**
     * Probes the address's back-end now, whatever the cache holds, within the callout budget.
     *
     * @return the answer, and the entry it left (none for a temporary failure, or a catch-all domain)
     * @throws Refusal NOT_FOUND if its domain is not protected, CONFLICT if it is not verified by callout
     */
    public Reprobe probe(Actor actor, MailboxAddress address) {
        Policy current = policy.get();
        ProtectedDomain domain = current.domain(address.asciiDomain()).orElseThrow(() -> Refusal.notFound(
                address.asciiDomain() + " is not a protected domain"));
        Verification mode = current.verificationFor(domain);
        if (mode != Verification.CALLOUT) {
            throw Refusal.conflict(domain.name() + " is verified by " + mode.configName()
                    + ", not by callout: there is no back-end answer to probe");
        }
        Optional<VerdictCache.Entry> before = callout.cached(address);
        CalloutResult result = callout.probeNow(domain, address);
        Optional<VerdictCache.Entry> after = callout.cached(address);
        audit.record(clock.instant(), actor, "cache.probe", address.address().toLowerCase(Locale.ROOT),
                before.map(VerdictCacheTools::describe).orElse(""),
                after.map(VerdictCacheTools::describe).orElse(describe(result)));
        return new Reprobe(result, after);
    }

    /** What a re-probe found, and the cache entry it left. */
    public record Reprobe(CalloutResult result, Optional<VerdictCache.Entry> entry) {
    }

    /** An entry in the audit log's words: "rejected at 2026-...: 550 5.1.1 ...". */
    private static String describe(VerdictCache.Entry entry) {
        return entry.word() + " at " + entry.written() + entry.backendReply().map(reply -> ": " + reply).orElse("");
    }

    private static String describe(CalloutResult result) {
        return switch (result) {
            case CalloutResult.TemporaryFailure failure -> "not cached, temporary failure: " + failure.reason();
            case CalloutResult.Unverifiable unverifiable -> "not cached, unverifiable: " + unverifiable.reason();
            default -> "not cached";
        };
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(64).forEach(c -> out.append(c >= 0x20 && c != 0x7f ? Character.toString(c) : "?"));
        return out.toString();
    }
}
