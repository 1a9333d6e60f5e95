package net.gatehouse.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import net.gatehouse.callout.CalloutResult;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.smtp.protocol.MailPath;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.smtp.protocol.Reply;

/**
 * The decision at RCPT TO, in the order of SPEC §3's table: one step per row. Address syntax and
 * the recipient limit are the session's business (they need no policy); everything after that is
 * decided here, against the current {@link Policy} snapshot.
 */
public final class RecipientPolicy {

    static final Reply POSTMASTER_OK = Reply.RECIPIENT_OK;
    static final Reply RELAYED_OUTBOUND = Reply.of(250, "2.1.5", "Recipient ok, relayed for a trusted client");
    // Postfix's words (show_user_unknown_table_name = no), which log tools such as fail2ban's postfix filter know
    static final Reply MAILBOX_UNKNOWN = Reply.of(550, "5.1.1", "Recipient address rejected: User unknown");
    static final Reply VERIFICATION_TEMPFAIL =
            Reply.of(451, "4.4.3", "Recipient address could not be verified now, try again later");
    static final Reply NO_POSTMASTER_HERE = Reply.of(550, "5.1.1", "No postmaster here: this gateway protects no domain");

    static final String NOT_IN_VALID_LIST = "not_in_valid_list";
    static final String MAILBOX_UNKNOWN_REASON = "mailbox_unknown";

    private final Supplier<Policy> policy;
    private final Optional<RecipientDomainCheck> domainCheck;
    private final Optional<CalloutVerifier> callout;
    private final Function<ProtectedDomain, ValidRecipients> validLists;

    /**
     * A policy without DNS or callouts, with the config file's valid lists: relay control,
     * postmaster and valid lists only (for tests).
     */
    public RecipientPolicy(Supplier<Policy> policy) {
        this.policy = policy;
        this.domainCheck = Optional.empty();
        this.callout = Optional.empty();
        this.validLists = ProtectedDomain::validRecipients;
    }

    /**
     * @param validLists a domain's valid list as in force now (the store's merged with the file's);
     *                   never blocks
     */
    public RecipientPolicy(Supplier<Policy> policy, MxResolver resolver, CalloutVerifier callout,
                           Function<ProtectedDomain, ValidRecipients> validLists) {
        this.policy = policy;
        this.domainCheck = Optional.of(new RecipientDomainCheck(resolver));
        this.callout = Optional.of(callout);
        this.validLists = validLists;
    }

    public Policy currentPolicy() {
        return policy.get();
    }

    public Verdict decide(InetAddress client, MailPath recipient) {
        return decide(policy.get(), client, recipient);
    }

    /** Decides against a given snapshot (a session keeps one snapshot for its whole transaction). */
    public Verdict decide(Policy policy, InetAddress client, MailPath recipient) {
        MailboxAddress mailbox = recipient.mailbox().orElseThrow();
        List<String> chain = new ArrayList<>(4);
        Optional<ProtectedDomain> domain = policy.domain(mailbox.asciiDomain());
        boolean trusted = policy.isTrusted(client);
        chain.add("client " + client.getHostAddress() + (trusted ? " is in trusted_networks" : " is not trusted"));

        if (mailbox.isBarePostmaster()) {
            return policy.postmasterDomain()
                    .map(d -> accept(POSTMASTER_OK, "postmaster", "postmaster@" + d.name(), chain,
                            "<postmaster> is always accepted (RFC 5321 4.5.1), delivered to postmaster@" + d.name()))
                    .orElseGet(() -> verdict(NO_POSTMASTER_HERE, "no_protected_domain", mailbox.address(), chain,
                            "<postmaster> but no domain is protected"));
        }
        if (domain.isPresent() && mailbox.localPart().equalsIgnoreCase("postmaster") && !recipient.hasSourceRoute()) {
            return accept(POSTMASTER_OK, "postmaster", mailbox.address(), chain,
                    "postmaster of a protected domain is always accepted, never verified (RFC 5321 4.5.1)");
        }
        if (trusted) {
            if (domain.isEmpty()) {
                if (policy.rejectUnknownRecipientDomains() && domainCheck.isPresent() && !mailbox.isAddressLiteral()) {
                    RecipientDomainCheck.Checked checked = domainCheck.get().check(mailbox.asciiDomain());
                    chain.add("DNS for " + mailbox.asciiDomain() + ": " + checked.answer());
                    if (checked.refusal().isPresent()) {
                        RecipientDomainCheck.Refusal refusal = checked.refusal().get();
                        return verdict(refusal.reply(), refusal.reason(), mailbox.address(), chain,
                                "reject_unknown_recipient_domains is on: " + refusal.reply().text());
                    }
                }
                return accept(RELAYED_OUTBOUND, "trusted_relay", mailbox.address(), chain,
                        "domain " + mailbox.asciiDomain() + " is not protected: relayed outbound via its MX");
            }
            return accept(Reply.RECIPIENT_OK, "trusted", mailbox.address(), chain,
                    "domain " + domain.get().name() + " is protected: trusted clients are not verified");
        }
        Optional<String> relayRefusal = RelayControl.refusal(recipient, domain);
        if (relayRefusal.isPresent()) {
            return verdict(Reply.RELAY_DENIED, "relay_denied", mailbox.address(), chain, relayRefusal.get());
        }
        ProtectedDomain protectedDomain = domain.orElseThrow();
        Verification mode = policy.verificationFor(protectedDomain);
        chain.add("domain " + protectedDomain.name() + " is protected, verification " + mode.configName());
        return switch (mode) {
            case NONE, INHERIT -> accept(Reply.RECIPIENT_OK, "unverified", mailbox.address(), chain,
                    "verification is off for this domain");
            case VALID_LIST -> validLists.apply(protectedDomain).contains(mailbox, policy.subAddressDelimiter())
                    ? accept(Reply.RECIPIENT_OK, "valid_list", mailbox.address(), chain, "address is in the valid list")
                    : verdict(MAILBOX_UNKNOWN, NOT_IN_VALID_LIST, mailbox.address(), chain,
                            "address is not in the domain's valid list");
            case CALLOUT -> callout.isEmpty()
                    ? accept(Reply.RECIPIENT_OK, "unverified", mailbox.address(), chain, "no callout engine here: accepted unverified")
                    : callout(callout.get().verify(protectedDomain, mailbox), mailbox, chain);
        };
    }

    /** The back-end's answer as the client's reply; its raw reply and host names stay in the chain. */
    private static Verdict callout(CalloutResult result, MailboxAddress mailbox, List<String> chain) {
        chain.add("callout: " + result.how());
        return switch (result) {
            case CalloutResult.Accepted accepted -> accept(Reply.RECIPIENT_OK, "callout_accepted", mailbox.address(),
                    chain, "the back-end accepts the address");
            case CalloutResult.Rejected rejected -> verdict(MAILBOX_UNKNOWN, MAILBOX_UNKNOWN_REASON, mailbox.address(),
                    chain, "the back-end refuses the address: " + rejected.backendReply());
            case CalloutResult.TemporaryFailure failure -> verdict(VERIFICATION_TEMPFAIL, "callout_tempfail",
                    mailbox.address(), chain, "no answer to rely on: " + failure.reason());
            case CalloutResult.Unverifiable unverifiable -> accept(Reply.RECIPIENT_OK, "catch_all", mailbox.address(),
                    chain, "accepted unverified: " + unverifiable.reason());
        };
    }

    private static Verdict accept(Reply reply, String reason, String recipient, List<String> chain, String step) {
        return verdict(reply, reason, recipient, chain, step);
    }

    private static Verdict verdict(Reply reply, String reason, String recipient, List<String> chain, String step) {
        chain.add(step);
        return new Verdict(reply, reason, recipient, chain);
    }
}
