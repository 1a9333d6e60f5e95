package net.gatehouse.config;

import java.time.Duration;
import java.util.List;

/** DNS servers (empty: the system resolver) and the deadline of one lookup. */
public record DnsConfig(List<ListenAddress> servers, Duration timeout) {

    public DnsConfig {
        servers = List.copyOf(servers);
    }
}
