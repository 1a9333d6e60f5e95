package net.gatehouse.route;

import java.util.Optional;

/**
 * Which protected domain, if any, a recipient domain belongs to: the one question delivery asks of
 * the policy. A protected domain's mail goes to its back-end servers; any other domain's to its
 * mail exchangers.
 */
@FunctionalInterface
public interface Routes {

    /** The protected domain for an ASCII (punycode), lower-case domain name without a trailing dot. */
    Optional<ProtectedDomain> domain(String asciiDomain);
}
