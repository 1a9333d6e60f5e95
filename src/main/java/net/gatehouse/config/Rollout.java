package net.gatehouse.config;

import static net.gatehouse.config.ConfigException.quote;

import java.util.Locale;

/**
 * How verification's refusals are applied while an administrator rolls it out (SPEC §9): globally
 * under {@code policy}, and per domain, where each setting may be left to {@code INHERIT} the
 * global one. The global rollout never holds {@code INHERIT} (the reader fills in the defaults).
 *
 * @param enforce               {@code enforce}: refuse, or only observe what would be refused
 * @param unknownRecipientReply {@code unknown_recipient_reply}: {@code 550} or {@code 450} for an unknown recipient
 * @param whenBackendDown       {@code when_backend_down}: what a callout domain's known addresses get while
 *                              its back-end cannot answer
 */
public record Rollout(Enforce enforce, UnknownRecipientReply unknownRecipientReply, BackendDown whenBackendDown) {

    /** The global defaults: enforce, {@code 550}, defer. */
    public static final Rollout DEFAULTS = new Rollout(Enforce.TRUE, UnknownRecipientReply.REJECT,
            BackendDown.DEFER);

    /** A domain that states none of the three: each follows the global setting. */
    public static final Rollout INHERIT = new Rollout(Enforce.INHERIT, UnknownRecipientReply.INHERIT,
            BackendDown.INHERIT);

    /** The keys, as the file, the console and the API name them. */
    public static final String ENFORCE = "enforce";
    public static final String UNKNOWN_RECIPIENT_REPLY = "unknown_recipient_reply";
    public static final String WHEN_BACKEND_DOWN = "when_backend_down";

    /** This domain's rollout with what it inherits taken from {@code global}. */
    public Rollout over(Rollout global) {
        return new Rollout(enforce == Enforce.INHERIT ? global.enforce : enforce,
                unknownRecipientReply == UnknownRecipientReply.INHERIT ? global.unknownRecipientReply : unknownRecipientReply,
                whenBackendDown == BackendDown.INHERIT ? global.whenBackendDown : whenBackendDown);
    }

    /** Whether refusals are sent; false: observe mode, where they are only logged as {@code would_reject}. */
    public boolean enforces() {
        return enforce != Enforce.FALSE;
    }

    /** {@code enforce: true|false}; {@code inherit} only on a domain. */
    public enum Enforce {
        INHERIT, TRUE, FALSE;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code unknown_recipient_reply: 550|450}; {@code inherit} only on a domain. */
    public enum UnknownRecipientReply {
        INHERIT("inherit"), REJECT("550"), DEFER("450");

        private final String configName;

        UnknownRecipientReply(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }

    /** {@code when_backend_down: defer|accept_known}; {@code inherit} only on a domain. */
    public enum BackendDown {
        INHERIT, DEFER, ACCEPT_KNOWN;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Reads the three keys of a section ({@code policy} or one of its domains) with the file's
     * validation; a key left out is {@code fallback}'s.
     */
    static Rollout read(ConfigSection section, Rollout fallback, boolean domain) throws ConfigException {
        String inherit = domain ? "inherit, " : "";
        Enforce enforce = section.get(ENFORCE, v -> v.parse(inherit + "true or false", word -> enforce(word, domain)),
                fallback.enforce());
        UnknownRecipientReply reply = section.get(UNKNOWN_RECIPIENT_REPLY, v -> v.parse(inherit + "550 or 450",
                word -> word(UnknownRecipientReply.values(), UnknownRecipientReply::configName, word, domain,
                        inherit + "550 or 450")), fallback.unknownRecipientReply());
        BackendDown down = section.get(WHEN_BACKEND_DOWN, v -> v.parse(inherit + "defer or accept_known",
                word -> word(BackendDown.values(), BackendDown::configName, word, domain,
                        inherit + "defer or accept_known")), fallback.whenBackendDown());
        return new Rollout(enforce, reply, down);
    }

    private static Enforce enforce(String word, boolean domain) {
        return switch (word.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes" -> Enforce.TRUE;
            case "false", "no" -> Enforce.FALSE;
            case "inherit" -> {
                if (domain) {
                    yield Enforce.INHERIT;
                }
                throw new IllegalArgumentException("expected true or false, got " + quote(word));
            }
            default -> throw new IllegalArgumentException("expected " + (domain ? "inherit, " : "")
                    + "true or false, got " + quote(word));
        };
    }

    /** The value whose word this is; {@code inherit} (each enum's first value) only on a domain. */
    private static <E extends Enum<E>> E word(E[] values, java.util.function.Function<E, String> name, String word,
                                              boolean domain, String expected) {
        for (E value : values) {
            boolean inherit = value.name().equals("INHERIT");
            if (name.apply(value).equalsIgnoreCase(word.strip()) && (domain || !inherit)) {
                return value;
            }
        }
        throw new IllegalArgumentException("expected " + expected + ", got " + quote(word));
    }
}
