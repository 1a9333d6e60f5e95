package net.gatehouse.policy;

import net.gatehouse.smtp.protocol.Reply;

/**
 * Why a recipient got its answer at RCPT TO: one per row of SPEC §3's tables, with the reply the
 * client gets and the word that logs, metrics and the message log use for it. The reply is the
 * reason's own: a row of the table always answers the same.
 */
public enum Reason {

    POSTMASTER("postmaster", Reply.RECIPIENT_OK),
    NO_PROTECTED_DOMAIN("no_protected_domain",
            Reply.of(550, "5.1.1", "No postmaster here: this gateway protects no domain")),
    TRUSTED("trusted", Reply.RECIPIENT_OK),
    TRUSTED_RELAY("trusted_relay", Reply.of(250, "2.1.5", "Recipient ok, relayed for a trusted client")),
    RELAY_DENIED("relay_denied", Reply.RELAY_DENIED),
    UNVERIFIED("unverified", Reply.RECIPIENT_OK),
    VALID_LIST("valid_list", Reply.RECIPIENT_OK),
    // Postfix's words (show_user_unknown_table_name = no), which log tools such as fail2ban's postfix filter know
    NOT_IN_VALID_LIST("not_in_valid_list", Reply.of(550, "5.1.1", "Recipient address rejected: User unknown")),
    CALLOUT_ACCEPTED("callout_accepted", Reply.RECIPIENT_OK),
    MAILBOX_UNKNOWN("mailbox_unknown", NOT_IN_VALID_LIST.reply),
    CALLOUT_TEMPFAIL("callout_tempfail",
            Reply.of(451, "4.4.3", "Recipient address could not be verified now, try again later")),
    // The same words as a callout's temporary failure: a harvester learns nothing from the difference.
    HARVEST_DEFERRED("harvest_deferred", CALLOUT_TEMPFAIL.reply),
    CATCH_ALL("catch_all", Reply.RECIPIENT_OK),
    DIRECTORY("directory", Reply.RECIPIENT_OK),
    NOT_IN_DIRECTORY("not_in_directory", NOT_IN_VALID_LIST.reply),
    DIRECTORY_TEMPFAIL("directory_tempfail", CALLOUT_TEMPFAIL.reply),
    UNKNOWN_DOMAIN("unknown_domain", Reply.of(550, "5.1.2", "Recipient address rejected: domain not found")),
    NULL_MX("null_mx", Reply.of(556, "5.1.10", "Recipient address rejected: domain accepts no mail (null MX)")),
    MALFORMED_MX("malformed_mx",
            Reply.of(550, "5.1.2", "Recipient address rejected: domain has no valid mail exchanger")),
    DNS_TEMPFAIL("dns_tempfail", Reply.of(451, "4.4.3", "Recipient domain lookup failed, try again later"));

    private final String word;
    private final Reply reply;

    Reason(String word, Reply reply) {
        this.word = word;
        this.reply = reply;
    }

    /** The word in logs, metrics and the message log: {@code not_in_valid_list}. */
    public String word() {
        return word;
    }

    public Reply reply() {
        return reply;
    }

    /**
     * The recipient does not exist: what directory-harvest protection counts. A harvester's RCPT
     * deferred unprobed counts too, or the client would never reach {@code block_after}.
     */
    public boolean unknownRecipient() {
        return this == NOT_IN_VALID_LIST || this == MAILBOX_UNKNOWN || this == NOT_IN_DIRECTORY
                || this == HARVEST_DEFERRED;
    }

    @Override
    public String toString() {
        return word;
    }
}
