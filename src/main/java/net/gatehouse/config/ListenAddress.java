package net.gatehouse.config;

import java.net.InetSocketAddress;

/** A host:port to listen on or connect to: {@code 0.0.0.0:25}, {@code [::1]:2525}, {@code mail1.internal:25}. */
public record ListenAddress(String host, int port) {

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
