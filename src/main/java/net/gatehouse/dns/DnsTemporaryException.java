package net.gatehouse.dns;

import java.io.IOException;

/**
 * DNS gave no usable answer in time (SERVFAIL, REFUSED, timeout, I/O error); asking again later
 * may succeed. The message names the host and the query.
 */
public final class DnsTemporaryException extends IOException {

    public DnsTemporaryException(String message) {
        super(message);
    }
}
