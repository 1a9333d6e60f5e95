package net.gatehouse.smtp.protocol;

import java.util.Comparator;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The DSN parameters of one RCPT TO (RFC 3461 4.1, 4.2): which reports the sender asked for about
 * this recipient, and the address the sender first gave for it, kept as it came.
 *
 * @param notifications     NOTIFY's values; empty when NOTIFY was not given, then an MTA reports
 *                          failures (and may report delays) as it always did; {@code {NEVER}}
 *                          alone for NOTIFY=NEVER
 * @param originalRecipient ORCPT, when given: {@code addr-type;xtext}, at most
 *                          {@value #MAX_ORIGINAL_RECIPIENT} characters
 */
public record RcptDsn(Set<Notify> notifications, Optional<String> originalRecipient) {

    /** RFC 3461 4.2: the ORCPT parameter "MUST NOT exceed 500 characters". */
    public static final int MAX_ORIGINAL_RECIPIENT = 500;

    /** No DSN parameter given. */
    public static final RcptDsn NONE = new RcptDsn(Set.of(), Optional.empty());

    public enum Notify { NEVER, SUCCESS, FAILURE, DELAY }

    public RcptDsn {
        notifications = notifications.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(notifications));
        if (notifications.contains(Notify.NEVER) && notifications.size() > 1) {
            throw new IllegalArgumentException("NOTIFY=NEVER with other values: " + notifications);
        }
        originalRecipient.ifPresent(orcpt -> {
            if (!isValidOriginalRecipient(orcpt)) {
                throw new IllegalArgumentException("bad ORCPT: " + orcpt);
            }
        });
    }

    /**
     * NOTIFY's value: NEVER alone, or one or more of SUCCESS, FAILURE and DELAY, comma-separated,
     * in any case, each once (RFC 3461 4.1). Empty when it is anything else.
     */
    public static Optional<Set<Notify>> parseNotify(String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        Set<Notify> values = EnumSet.noneOf(Notify.class);
        for (String word : value.split(",", -1)) {
            Notify notify;
            try {
                notify = Notify.valueOf(word.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException unknown) {
                return Optional.empty();
            }
            if (!word.chars().allMatch(c -> c < 0x80) || !values.add(notify)) {
                return Optional.empty();
            }
        }
        if (values.contains(Notify.NEVER) && values.size() > 1) {
            return Optional.empty();
        }
        return Optional.of(Set.copyOf(values));
    }

    /**
     * Whether {@code value} may be an ORCPT: {@code addr-type;xtext} (RFC 3461 4.2), the type an
     * atom. For the {@code utf-8} type of RFC 6533 the address may also hold non-ASCII characters,
     * which are kept as they are; no control character or space passes, whatever the type.
     */
    public static boolean isValidOriginalRecipient(String value) {
        if (value == null || value.length() > MAX_ORIGINAL_RECIPIENT) {
            return false;
        }
        int semicolon = value.indexOf(';');
        if (semicolon <= 0 || semicolon == value.length() - 1) {
            return false;
        }
        String type = value.substring(0, semicolon);
        String address = value.substring(semicolon + 1);
        if (!type.chars().allMatch(RcptDsn::isAtext)) {
            return false;
        }
        if (type.equalsIgnoreCase("utf-8")) {
            return address.codePoints().allMatch(c -> c > 0x7F && !Character.isISOControl(c) && !Character.isWhitespace(c)
                    || c >= 0x21 && c <= 0x7E && c != '=' && c != '+')
                    || Xtext.isValid(address);
        }
        return Xtext.isValid(address);
    }

    public boolean isEmpty() {
        return notifications.isEmpty() && originalRecipient.isEmpty();
    }

    /** NOTIFY=NEVER: no report of any kind about this recipient. */
    public boolean never() {
        return notifications.contains(Notify.NEVER);
    }

    /** Whether a failure may be reported: NOTIFY not given (the default), or given with FAILURE. */
    public boolean wantsFailure() {
        return notifications.isEmpty() || notifications.contains(Notify.FAILURE);
    }

    /** Whether a successful delivery or relay is to be reported: NOTIFY given with SUCCESS. */
    public boolean wantsSuccess() {
        return notifications.contains(Notify.SUCCESS);
    }

    /** Whether a delay may be reported: NOTIFY not given, or given with DELAY. */
    public boolean wantsDelay() {
        return notifications.isEmpty() || notifications.contains(Notify.DELAY);
    }

    /** NOTIFY's value as sent on: {@code "SUCCESS,FAILURE"}; "" when not given. */
    public String notifyValue() {
        return notifications.stream().sorted(Comparator.naturalOrder()).map(Enum::name).collect(Collectors.joining(","));
    }

    /**
     * The ORCPT as the Original-Recipient field of a report gives it (RFC 3464 2.3.1): the type, a
     * semicolon and the address decoded; the address left as xtext when its decoded form would not
     * be printable ASCII, so that a report's header can never be broken by it.
     */
    public Optional<String> originalRecipientForReport() {
        return originalRecipient.map(orcpt -> {
            int semicolon = orcpt.indexOf(';');
            String type = orcpt.substring(0, semicolon);
            String address = orcpt.substring(semicolon + 1);
            if (Xtext.isValid(address)) {
                String decoded = Xtext.decode(address);
                if (Xtext.isPrintableAscii(decoded)) {
                    return type + ";" + decoded;
                }
            }
            return orcpt;
        });
    }

    /** The parameters as RCPT TO carries them, each after a space: {@code " NOTIFY=NEVER ORCPT=rfc822;a@b"}, or "". */
    public String parameters() {
        StringBuilder text = new StringBuilder();
        if (!notifications.isEmpty()) {
            text.append(" NOTIFY=").append(notifyValue());
        }
        originalRecipient.ifPresent(orcpt -> text.append(" ORCPT=").append(orcpt));
        return text.toString();
    }

    /**
     * The parameters as they go on to the next hop: as {@link #parameters}, but with the non-ASCII
     * characters of a {@code utf-8} ORCPT written as {@code \x{HEX}}, RFC 6533's utf-8-addr-xtext,
     * which every server that offers DSN can take, whether or not the transaction is SMTPUTF8.
     */
    public String parametersForRelay() {
        StringBuilder text = new StringBuilder();
        if (!notifications.isEmpty()) {
            text.append(" NOTIFY=").append(notifyValue());
        }
        originalRecipient.ifPresent(orcpt -> {
            text.append(" ORCPT=");
            orcpt.codePoints().forEach(c -> {
                if (c < 0x80) {
                    text.append((char) c);
                } else {
                    text.append("\\x{").append(Integer.toHexString(c).toUpperCase(Locale.ROOT)).append('}');
                }
            });
        });
        return text.toString();
    }

    /** RFC 5322 atext: what an addr-type (an atom) is made of. */
    private static boolean isAtext(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }
}
