package net.gatehouse.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import net.gatehouse.callout.CalloutResult;
import net.gatehouse.callout.CalloutVerifier;
import net.gatehouse.config.PolicyConfig.Verification;
import net.gatehouse.config.Rollout;
import net.gatehouse.directory.DirectoryAnswer;
import net.gatehouse.directory.Directories;
import net.gatehouse.directory.ValidRecipients;
import net.gatehouse.dns.MxResolver;
import net.gatehouse.route.ProtectedDomain;
import net.gatehouse.smtp.protocol.MailPath;
import net.gatehouse.smtp.protocol.MailboxAddress;
import net.gatehouse.smtp.protocol.Reply;

/**
 * The decision at RCPT TO, in the order of SPEC §3's table: one step per row. Address syntax and
 * the recipient limit are the session's business (they need no policy); everything after that is
 * decided here, against the current {@link Policy} snapshot.
 */
public final class RecipientPolicy {

    private final Supplier<Policy> policy;
    private final RecipientDomainCheck domainCheck;
    private final CalloutVerifier callout;
    private final Function<ProtectedDomain, ValidRecipients> validLists;
    private final Directories directories;
    /** The clients whose RCPTs must not reach a back-end ({@link HarvestGuard#sparesBackend}). */
    private final Predicate<InetAddress> sparesBackend;

    /** Without directories: {@code verification: directory} answers 451. */
    public RecipientPolicy(Supplier<Policy> policy, MxResolver resolver, CalloutVerifier callout,
                           Function<ProtectedDomain, ValidRecipients> validLists) {
        this(policy, resolver, callout, validLists, Directories.NONE);
    }

    /**
     * @param validLists  a domain's valid list as in force now (the store's merged with the file's);
     *                    never blocks
     * @param directories the snapshots of the LDAP directories (SPEC §8)
     */
    public RecipientPolicy(Supplier<Policy> policy, MxResolver resolver, CalloutVerifier callout,
                           Function<ProtectedDomain, ValidRecipients> validLists, Directories directories) {
        this(policy, resolver, callout, validLists, directories, client -> false);
    }

    /**
     * @param sparesBackend whether a client's RCPTs may get only answers from what is known, never a
     *                      callout probe: the gateway's {@link HarvestGuard#sparesBackend}, for a
     *                      client it tarpits; asked only when a probe would follow
     */
    public RecipientPolicy(Supplier<Policy> policy, MxResolver resolver, CalloutVerifier callout,
                           Function<ProtectedDomain, ValidRecipients> validLists, Directories directories,
                           Predicate<InetAddress> sparesBackend) {
        this.policy = policy;
        this.domainCheck = new RecipientDomainCheck(resolver);
        this.callout = callout;
        this.validLists = validLists;
        this.directories = directories;
        this.sparesBackend = sparesBackend;
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
                    .map(d -> verdict(Reason.POSTMASTER, "postmaster@" + d.name(), chain,
                            "<postmaster> is always accepted (RFC 5321 4.5.1), delivered to postmaster@" + d.name()))
                    .orElseGet(() -> verdict(Reason.NO_PROTECTED_DOMAIN, mailbox.address(), chain,
                            "<postmaster> but no domain is protected"));
        }
        if (domain.isPresent() && mailbox.localPart().equalsIgnoreCase("postmaster") && !recipient.hasSourceRoute()) {
            return verdict(Reason.POSTMASTER, mailbox.address(), chain,
                    "postmaster of a protected domain is always accepted, never verified (RFC 5321 4.5.1)");
        }
        if (trusted) {
            if (domain.isEmpty()) {
                if (policy.rejectUnknownRecipientDomains() && !mailbox.isAddressLiteral()) {
                    RecipientDomainCheck.Checked checked = domainCheck.check(mailbox.asciiDomain());
                    chain.add("DNS for " + mailbox.asciiDomain() + ": " + checked.answer());
                    if (checked.refusal().isPresent()) {
                        Reason refusal = checked.refusal().get();
                        return verdict(refusal, mailbox.address(), chain,
                                "reject_unknown_recipient_domains is on: " + refusal.reply().text());
                    }
                }
                return verdict(Reason.TRUSTED_RELAY, mailbox.address(), chain,
                        "domain " + mailbox.asciiDomain() + " is not protected: relayed outbound via its MX");
            }
            return verdict(Reason.TRUSTED, mailbox.address(), chain,
                    "domain " + domain.get().name() + " is protected: trusted clients are not verified");
        }
        Optional<String> relayRefusal = RelayControl.refusal(recipient, domain);
        if (relayRefusal.isPresent()) {
            return verdict(Reason.RELAY_DENIED, mailbox.address(), chain, relayRefusal.get());
        }
        ProtectedDomain protectedDomain = domain.orElseThrow();
        Verification mode = policy.verificationFor(protectedDomain);
        chain.add("domain " + protectedDomain.name() + " is protected, verification " + mode.configName());
        Rollout rollout = policy.rolloutFor(protectedDomain);
        return rollout(rollout, switch (mode) {
            case NONE, INHERIT -> verdict(Reason.UNVERIFIED, mailbox.address(), chain,
                    "verification is off for this domain");
            case VALID_LIST -> validLists.apply(protectedDomain).contains(mailbox, policy.subAddressDelimiter())
                    ? verdict(Reason.VALID_LIST, mailbox.address(), chain, "address is in the valid list")
                    : verdict(Reason.NOT_IN_VALID_LIST, mailbox.address(), chain,
                            "address is not in the domain's valid list");
            case CALLOUT -> callout.verify(protectedDomain, mailbox, rollout.whenBackendDown(),
                            () -> !sparesBackend.test(client))
                    .map(result -> callout(result, mailbox, chain))
                    .orElseGet(() -> verdict(Reason.HARVEST_DEFERRED, mailbox.address(), chain,
                            "not probed: the client is past harvest.tarpit_after, and the address is not in the cache"));
            case DIRECTORY -> directory(directories.lookup(protectedDomain.directories(), mailbox,
                    policy.subAddressDelimiter()), mailbox, chain);
        });
    }

    /**
     * Applies the domain's rollout settings (SPEC §9) to verification's verdict. Observe mode
     * ({@code enforce: false}) accepts what verification alone would refuse: an unknown recipient,
     * and a recipient verification could not answer for now (a 451 would change what senders see
     * as much as a 550: mail that flowed before verification was switched on would be delayed).
     * Relay control, postmaster and the DNS checks of trusted clients' outbound mail are not
     * verification and never reach here. Otherwise {@code unknown_recipient_reply: 450} turns
     * {@code 550 5.1.1} into {@code 450 4.1.1}.
     */
    private static Verdict rollout(Rollout rollout, Verdict found) {
        Reason reason = found.reason();
        // not HARVEST_DEFERRED: the harvest guard's deferral is not verification's, and is never relaxed
        boolean unknown = reason == Reason.NOT_IN_VALID_LIST || reason == Reason.MAILBOX_UNKNOWN
                || reason == Reason.NOT_IN_DIRECTORY;
        boolean refusedByVerification = unknown
                || reason == Reason.CALLOUT_TEMPFAIL || reason == Reason.DIRECTORY_TEMPFAIL;
        if (refusedByVerification && !rollout.enforces()) {
            return new Verdict(reason, found.recipient(), amended(found, "; observe mode (enforce: false): accepted, "
                    + "would have been " + reason.reply().code()), Verdict.Applied.OBSERVED);
        }
        if (unknown && rollout.unknownRecipientReply() == Rollout.UnknownRecipientReply.DEFER) {
            return new Verdict(reason, found.recipient(), amended(found, "; unknown_recipient_reply: 450"),
                    Verdict.Applied.TEMPORARY);
        }
        return found;
    }

    /** The verdict's chain with its last step (the log's "why") extended. */
    private static List<String> amended(Verdict verdict, String more) {
        List<String> chain = new ArrayList<>(verdict.chain());
        chain.set(chain.size() - 1, chain.getLast() + more);
        return chain;
    }

    /** The snapshot's answer; with no snapshot to answer from, 451: never a 5xx on a failure of ours. */
    private static Verdict directory(DirectoryAnswer answer, MailboxAddress mailbox, List<String> chain) {
        return switch (answer) {
            case DirectoryAnswer.Found found -> verdict(Reason.DIRECTORY, mailbox.address(), chain, found.how());
            case DirectoryAnswer.Absent absent -> verdict(Reason.NOT_IN_DIRECTORY, mailbox.address(), chain,
                    absent.how());
            case DirectoryAnswer.Unavailable unavailable -> verdict(Reason.DIRECTORY_TEMPFAIL, mailbox.address(),
                    chain, unavailable.how());
        };
    }

    /** The back-end's answer as the client's reply; its raw reply and host names stay in the chain. */
    private static Verdict callout(CalloutResult result, MailboxAddress mailbox, List<String> chain) {
        chain.add("callout: " + result.how());
        return switch (result) {
            case CalloutResult.Accepted accepted -> verdict(Reason.CALLOUT_ACCEPTED, mailbox.address(),
                    chain, "the back-end accepts the address");
            case CalloutResult.Rejected rejected -> verdict(Reason.MAILBOX_UNKNOWN, mailbox.address(),
                    chain, "the back-end refuses the address: " + rejected.backendReply());
            case CalloutResult.TemporaryFailure failure -> verdict(Reason.CALLOUT_TEMPFAIL,
                    mailbox.address(), chain, "no answer to rely on: " + failure.reason());
            case CalloutResult.Unverifiable unverifiable -> verdict(Reason.CATCH_ALL, mailbox.address(),
                    chain, "accepted unverified: " + unverifiable.reason());
        };
    }

    private static Verdict verdict(Reason reason, String recipient, List<String> chain, String step) {
        chain.add(step);
        return new Verdict(reason, recipient, chain);
    }
}
