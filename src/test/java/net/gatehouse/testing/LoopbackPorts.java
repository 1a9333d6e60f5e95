package net.gatehouse.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Free ports on 127.0.0.1 for programs that must be told theirs in advance (Postfix's master.cf,
 * dnsmasq's {@code --port}): the system picks one, the socket is closed, the program binds it.
 */
public final class LoopbackPorts {

    private LoopbackPorts() {
    }

    /** A TCP port free on 127.0.0.1 now. */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    /**
     * A TCP port below 1024 free on 127.0.0.1 now, for a program that must bind a privileged port
     * (port 25's kind) without being root. Only root can look: binding one is the test.
     */
    public static int freePrivileged() {
        for (int port = 1023; port >= 600; port--) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                // taken, or we may not bind privileged ports at all: the next, then the error below
            }
        }
        throw new IllegalStateException("no privileged TCP port free on 127.0.0.1 between 600 and 1023 (are we root?)");
    }

    /** A port free on 127.0.0.1 for both TCP and UDP (a DNS server). */
    public static int freeForTcpAndUdp() {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                 ServerSocket tcp = new ServerSocket(udp.getLocalPort(), 1, InetAddress.getLoopbackAddress())) {
                return tcp.getLocalPort();
            } catch (IOException e) {
                // the TCP port of that number is taken: another pair
            }
        }
        throw new IllegalStateException("no port free for both TCP and UDP on 127.0.0.1");
    }
}
