package net.gatehouse.directory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * TLS sockets that check the server's certificate against the host name the connection was made
 * to, by the JDK's rules for LDAP (RFC 4513 3.1.3, as {@code endpointIdentificationAlgorithm}
 * "LDAPS"), during the handshake: a certificate signed by the right CA for another host fails it.
 * For LDAPS and for StartTLS alike.
 */
final class HostnameVerifyingSocketFactory extends SSLSocketFactory {

    private final SSLSocketFactory delegate;

    HostnameVerifyingSocketFactory(SSLSocketFactory delegate) {
        this.delegate = delegate;
    }

    private static Socket verifying(Socket socket) {
        if (socket instanceof SSLSocket tls) {
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("LDAPS");
            tls.setSSLParameters(parameters);
        }
        return socket;
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
        return verifying(delegate.createSocket());
    }

    @Override
    public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
        return verifying(delegate.createSocket(socket, host, port, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return verifying(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return verifying(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return verifying(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return verifying(delegate.createSocket(address, port, localAddress, localPort));
    }
}
