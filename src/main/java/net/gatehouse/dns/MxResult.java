package net.gatehouse.dns;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Where mail for a domain goes, as far as DNS says (RFC 5321 5.1, RFC 7505). Only
 * {@link TemporaryFailure} is a failure of ours or of the domain's servers that may clear by itself;
 * the other kinds are the domain's own answer.
 */
public sealed interface MxResult {

    /** Mail goes to these exchangers, most preferred first; never empty. */
    record Found(List<Exchanger> exchangers) implements MxResult {
        public Found {
            exchangers = List.copyOf(exchangers);
            if (exchangers.isEmpty()) {
                throw new IllegalArgumentException("Found needs at least one exchanger");
            }
        }

        @Override
        public String toString() {
            return exchangers.stream().map(Exchanger::toString).collect(Collectors.joining(", "));
        }
    }

    /** RFC 7505: the domain declares that it accepts no mail (a single {@code MX 0 .}). */
    record NullMx() implements MxResult {
        @Override
        public String toString() {
            return "null MX";
        }
    }

    /** The domain does not exist (NXDOMAIN), or has neither MX nor address records. */
    record NoSuchDomain() implements MxResult {
        @Override
        public String toString() {
            return "no such domain";
        }
    }

    /** The domain's MX records cannot be used: a misplaced {@code .}, no host names, no addresses. */
    record Malformed(String reason) implements MxResult {
        public Malformed {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String toString() {
            return "malformed MX: " + reason;
        }
    }

    /** No usable answer in time: SERVFAIL, REFUSED, timeout, I/O error. Worth asking again later. */
    record TemporaryFailure(String reason) implements MxResult {
        public TemporaryFailure {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String toString() {
            return "temporary DNS failure: " + reason;
        }
    }
}
