package net.gatehouse.smtp.protocol;

import java.util.Locale;
import java.util.Optional;

/**
 * The DSN parameters of MAIL FROM (RFC 3461 4.3, 4.4): how much of the message a failure report
 * returns, and the sender's own identifier of the transaction, kept as xtext just as it came.
 *
 * @param ret        RET, when given
 * @param envelopeId ENVID, when given: xtext, at most {@value #MAX_ENVELOPE_ID} characters, its
 *                   decoded form printable ASCII
 */
public record MailDsn(Optional<Ret> ret, Optional<String> envelopeId) {

    /** RFC 3461 4.4: "no more than 100 characters". */
    public static final int MAX_ENVELOPE_ID = 100;

    /** No DSN parameter given. */
    public static final MailDsn NONE = new MailDsn(Optional.empty(), Optional.empty());

    /** RET=FULL returns the whole message in a failure report, RET=HDRS its header section only. */
    public enum Ret { FULL, HDRS }

    public MailDsn {
        envelopeId.ifPresent(id -> {
            if (!isValidEnvelopeId(id)) {
                throw new IllegalArgumentException("bad ENVID: " + id);
            }
        });
    }

    /** RET's value, in any case; empty when it is neither FULL nor HDRS. */
    public static Optional<Ret> parseRet(String value) {
        return switch (value == null ? "" : value.toUpperCase(Locale.ROOT)) {
            case "FULL" -> Optional.of(Ret.FULL);
            case "HDRS" -> Optional.of(Ret.HDRS);
            default -> Optional.empty();
        };
    }

    /**
     * Whether {@code value} may be an ENVID: xtext of at most 100 characters whose decoded form is
     * printable ASCII (RFC 3461 4.4), so that it can never break a header line of a report.
     */
    public static boolean isValidEnvelopeId(String value) {
        return value != null && !value.isEmpty() && value.length() <= MAX_ENVELOPE_ID && Xtext.isValid(value)
                && Xtext.isPrintableAscii(Xtext.decode(value));
    }

    public boolean isEmpty() {
        return ret.isEmpty() && envelopeId.isEmpty();
    }

    /** The ENVID decoded, for the Original-Envelope-Id field of a report (RFC 3464 2.2.1). */
    public Optional<String> decodedEnvelopeId() {
        return envelopeId.map(Xtext::decode);
    }

    /** The parameters as MAIL FROM carries them, each after a space: {@code " RET=HDRS ENVID=x"}, or "". */
    public String parameters() {
        StringBuilder text = new StringBuilder();
        ret.ifPresent(r -> text.append(" RET=").append(r));
        envelopeId.ifPresent(id -> text.append(" ENVID=").append(id));
        return text.toString();
    }
}
