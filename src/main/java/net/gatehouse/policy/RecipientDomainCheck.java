package net.gatehouse.policy;

import java.util.Optional;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.dns.MxResult;

/**
 * "Reject messages for unknown recipient domains" (the seed's setting, SPEC §3): a domain that DNS
 * says cannot receive mail is refused at RCPT, before anything is queued for it. Answers are kept
 * for their TTL by the resolver; a failure to get one is only ever a temporary refusal.
 */
final class RecipientDomainCheck {

    private final MxResolver resolver;

    RecipientDomainCheck(MxResolver resolver) {
        this.resolver = resolver;
    }

    /** The DNS answer for the domain, and the refusal it means, if any. */
    Checked check(String asciiDomain) {
        MxResult answer = resolver.resolve(asciiDomain);
        Optional<Reason> refusal = switch (answer) {
            case MxResult.Found found -> Optional.empty();
            case MxResult.NoSuchDomain none -> Optional.of(Reason.UNKNOWN_DOMAIN);
            case MxResult.NullMx nullMx -> Optional.of(Reason.NULL_MX);
            case MxResult.Malformed malformed -> Optional.of(Reason.MALFORMED_MX);
            case MxResult.TemporaryFailure failure -> Optional.of(Reason.DNS_TEMPFAIL);
        };
        return new Checked(answer, refusal);
    }

    /** The DNS answer, and the reason to refuse the domain if it is one. */
    record Checked(MxResult answer, Optional<Reason> refusal) {
    }
}
