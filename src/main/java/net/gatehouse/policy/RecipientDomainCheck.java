package net.gatehouse.policy;

import java.util.Optional;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.dns.MxResult;
import net.gatehouse.smtp.protocol.Reply;

/**
 * "Reject messages for unknown recipient domains" (the seed's setting, SPEC §3): a domain that DNS
 * says cannot receive mail is refused at RCPT, before anything is queued for it. Answers are kept
 * for their TTL by the resolver; a failure to get one is only ever a temporary refusal.
 */
final class RecipientDomainCheck {

    static final Reply DOMAIN_NOT_FOUND = Reply.of(550, "5.1.2", "Recipient address rejected: domain not found");
    static final Reply DOMAIN_ACCEPTS_NO_MAIL = Reply.of(556, "5.1.10", "Recipient address rejected: domain accepts no mail (null MX)");
    static final Reply DOMAIN_MX_INVALID = Reply.of(550, "5.1.2", "Recipient address rejected: domain has no valid mail exchanger");
    static final Reply DOMAIN_LOOKUP_FAILED = Reply.of(451, "4.4.3", "Recipient domain lookup failed, try again later");

    /** Why a domain is refused: the client's reply and the reason word for logs and metrics. */
    record Refusal(Reply reply, String reason) {
    }

    private final MxResolver resolver;

    RecipientDomainCheck(MxResolver resolver) {
        this.resolver = resolver;
    }

    /** The DNS answer for the domain, and the refusal it means, if any. */
    Checked check(String asciiDomain) {
        MxResult answer = resolver.resolve(asciiDomain);
        Optional<Refusal> refusal = switch (answer) {
            case MxResult.Found found -> Optional.empty();
            case MxResult.NoSuchDomain none -> Optional.of(new Refusal(DOMAIN_NOT_FOUND, "unknown_domain"));
            case MxResult.NullMx nullMx -> Optional.of(new Refusal(DOMAIN_ACCEPTS_NO_MAIL, "null_mx"));
            case MxResult.Malformed malformed -> Optional.of(new Refusal(DOMAIN_MX_INVALID, "malformed_mx"));
            case MxResult.TemporaryFailure failure -> Optional.of(new Refusal(DOMAIN_LOOKUP_FAILED, "dns_tempfail"));
        };
        return new Checked(answer, refusal);
    }

    record Checked(MxResult answer, Optional<Refusal> refusal) {
    }
}
