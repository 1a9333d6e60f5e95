package net.gatehouse.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import net.gatehouse.config.DnsConfig;
import net.gatehouse.config.ListenAddress;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A real authoritative DNS server for tests, on 127.0.0.1 with UDP and TCP on the same ephemeral
 * port.
 *
 * <pre>{@code
 * try (TestDns dns = TestDns.start()) {
 *     dns.mailDomain("example.test", "mx.example.test", "127.0.0.1").nullMx("nomail.test");
 *     MxResolver resolver = new MxResolver(dns.config());
 *     ...
 * }
 * }</pre>
 *
 * <p>It is authoritative for every name. A name it holds no records for (and no records below)
 * gets NXDOMAIN; a name it knows gets NOERROR with an empty answer for the other types; both
 * negative answers carry an SOA in the authority section, so resolvers may cache them (RFC 2308).
 * A fault set on a name ({@link #servfail}, {@link #refused}, {@link #silent}) applies to every
 * type and wins over its records; {@link #slow} delays every answer for the name; {@link #heal}
 * clears both. Names are case-insensitive, with or without a trailing dot.
 * Changes apply to the next query; every method is safe to call while queries are served.
 */
public final class TestDns implements AutoCloseable {

    private static final InetAddress LOOPBACK = ip("127.0.0.1", Address.IPv4);
    // RFC 1035 4.2.1: 512 octets over UDP unless the query's EDNS OPT record offers more (RFC 6891 6.2.5)
    private static final int PLAIN_UDP_LIMIT = 512;
    private static final int OUR_EDNS_PAYLOAD = 1232;

    private enum Fault { SERVFAIL, REFUSED, SILENT }

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Thread udpLoop;
    private final Thread tcpLoop;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
    private final Map<Name, Fault> faults = new ConcurrentHashMap<>();
    private final Map<Name, Duration> delays = new ConcurrentHashMap<>();
    private final Map<Name, AtomicInteger> queriesByName = new ConcurrentHashMap<>();
    private final AtomicInteger queries = new AtomicInteger();
    private volatile Duration ttl = Duration.ofMinutes(5);

    private TestDns(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
        udpLoop = Thread.ofVirtual().name("test-dns-udp").start(this::serveUdp);
        tcpLoop = Thread.ofVirtual().name("test-dns-tcp").start(this::serveTcp);
    }

    /** Starts a server with no records: every name is NXDOMAIN until added. */
    public static TestDns start() {
        try {
            // The TCP port of the same number may be taken; take another pair then.
            for (int attempt = 1; ; attempt++) {
                DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                try {
                    return new TestDns(udp, new ServerSocket(udp.getLocalPort(), 50, LOOPBACK));
                } catch (BindException e) {
                    udp.close();
                    if (attempt == 20) {
                        throw e;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the test DNS server", e);
        }
    }

    /** 127.0.0.1 and the port, for UDP and TCP alike. */
    public InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, udp.getLocalPort());
    }

    /** A configuration that sends every query here, with a 2-second timeout. */
    public DnsConfig config() {
        return config(Duration.ofSeconds(2));
    }

    public DnsConfig config(Duration timeout) {
        return new DnsConfig(List.of(new ListenAddress(LOOPBACK.getHostAddress(), udp.getLocalPort())), timeout);
    }

    /** TTL of the records added from now on, and of negative answers (default 5 minutes). */
    public TestDns ttl(Duration ttl) {
        this.ttl = ttl;
        return this;
    }

    /** {@code domain MX pref exchange}; the exchange is taken as written, so tests can add broken ones. */
    public TestDns mx(String domain, int preference, String exchange) {
        return add(new MXRecord(name(domain), DClass.IN, ttlSeconds(), preference, name(exchange)));
    }

    /** RFC 7505: {@code domain MX 0 .} */
    public TestDns nullMx(String domain) {
        return mx(domain, 0, ".");
    }

    public TestDns a(String name, String ipv4) {
        return add(new ARecord(name(name), DClass.IN, ttlSeconds(), ip(ipv4, Address.IPv4)));
    }

    public TestDns aaaa(String name, String ipv6) {
        return add(new AAAARecord(name(name), DClass.IN, ttlSeconds(), ip(ipv6, Address.IPv6)));
    }

    /** {@code domain MX 10 mxHost} and {@code mxHost A ipv4}. */
    public TestDns mailDomain(String domain, String mxHost, String ipv4) {
        return mx(domain, 10, mxHost).a(mxHost, ipv4);
    }

    /** Answers SERVFAIL to every query for {@code name}. */
    public TestDns servfail(String name) {
        faults.put(name(name), Fault.SERVFAIL);
        return this;
    }

    /** Answers REFUSED to every query for {@code name}. */
    public TestDns refused(String name) {
        faults.put(name(name), Fault.REFUSED);
        return this;
    }

    /** Never answers queries for {@code name}, over UDP or TCP. */
    public TestDns silent(String name) {
        faults.put(name(name), Fault.SILENT);
        return this;
    }

    /**
     * Answers queries for {@code name}, over UDP or TCP, only after {@code delay}: a resolver that
     * is overloaded, or waits on a slow authority. Each query is answered on its own thread.
     */
    public TestDns slow(String name, Duration delay) {
        delays.put(name(name), delay);
        return this;
    }

    /** Answers queries for {@code name} at once and from its records again: no fault, no delay. */
    public TestDns heal(String name) {
        faults.remove(name(name));
        delays.remove(name(name));
        return this;
    }

    /** Queries received for {@code name}, of any type, answered or not. */
    public int queryCount(String name) {
        AtomicInteger count = queriesByName.get(name(name));
        return count == null ? 0 : count.get();
    }

    /** Queries received in all. */
    public int queries() {
        return queries.get();
    }

    /** Stops both listeners and closes open TCP connections. */
    @Override
    public void close() {
        udp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            // closing anyway; nothing to do about it in a test fixture
        }
        connections.forEach(TestDns::closeQuietly);
        try {
            udpLoop.join();
            tcpLoop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private TestDns add(Record record) {
        records.merge(record.getName(), List.of(record),
                (old, added) -> Stream.concat(old.stream(), added.stream()).toList());
        return this;
    }

    /** The response to {@code query}, or empty when the server is to stay silent. */
    private Optional<Message> respond(Message query) {
        Message response = new Message(query.getHeader().getID());
        Header header = response.getHeader();
        header.setFlag(Flags.QR);
        if (query.getHeader().getFlag(Flags.RD)) {
            header.setFlag(Flags.RD);
        }
        Record question = query.getQuestion();
        if (question == null || query.getHeader().getOpcode() != Opcode.QUERY) {
            header.setRcode(question == null ? Rcode.FORMERR : Rcode.NOTIMP);
            return Optional.of(response);
        }
        response.addRecord(question, Section.QUESTION);
        if (query.getOPT() != null) {
            response.addRecord(new OPTRecord(OUR_EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
        }
        Name name = question.getName();
        queries.incrementAndGet();
        queriesByName.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();

        Duration delay = delays.get(name);
        if (delay != null) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                return Optional.empty(); // closing
            }
        }
        Fault fault = faults.get(name);
        if (fault == Fault.SILENT) {
            return Optional.empty();
        }
        if (fault != null) {
            header.setRcode(fault == Fault.SERVFAIL ? Rcode.SERVFAIL : Rcode.REFUSED);
            return Optional.of(response);
        }
        header.setFlag(Flags.AA);
        List<Record> answer = records.getOrDefault(name, List.of()).stream()
                .filter(record -> question.getType() == Type.ANY || record.getType() == question.getType())
                .toList();
        answer.forEach(record -> response.addRecord(record, Section.ANSWER));
        if (answer.isEmpty()) {
            // RFC 8020: a name with records below it exists (an empty non-terminal), so NODATA
            boolean exists = records.keySet().stream().anyMatch(owner -> owner.subdomain(name));
            if (!exists) {
                header.setRcode(Rcode.NXDOMAIN);
            }
            response.addRecord(soa(), Section.AUTHORITY);
        }
        return Optional.of(response);
    }

    // Authoritative for the whole tree, so the SOA sits at the root.
    private SOARecord soa() {
        long seconds = ttlSeconds();
        return new SOARecord(Name.root, DClass.IN, seconds, name("ns.test-dns.invalid"),
                name("hostmaster.test-dns.invalid"), 1, 3600, 600, 86400, seconds);
    }

    private void serveUdp() {
        byte[] buffer = new byte[65535];
        while (!udp.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                return; // closed
            }
            byte[] wire = Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getLength());
            SocketAddress client = packet.getSocketAddress();
            Thread.startVirtualThread(() -> answerUdp(wire, client));
        }
    }

    private void answerUdp(byte[] wire, SocketAddress client) {
        Optional<Message> query = parse(wire);
        query.flatMap(this::respond).ifPresent(response -> {
            OPTRecord opt = query.get().getOPT();
            int limit = opt == null
                    ? PLAIN_UDP_LIMIT
                    : Math.max(PLAIN_UDP_LIMIT, Math.min(opt.getPayloadSize(), OUR_EDNS_PAYLOAD));
            byte[] out = response.toWire(limit); // sets TC when it had to leave records out
            try {
                udp.send(new DatagramPacket(out, out.length, client));
            } catch (IOException e) {
                // closed while answering
            }
        });
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            Socket socket;
            try {
                socket = tcp.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.add(socket);
            Thread.startVirtualThread(() -> serveConnection(socket));
        }
    }

    // RFC 1035 4.2.2: each message is preceded by its length in two octets; a connection may carry many
    private void serveConnection(Socket socket) {
        try (socket;
             DataInputStream in = new DataInputStream(socket.getInputStream());
             DataOutputStream out = new DataOutputStream(socket.getOutputStream())) {
            while (true) {
                byte[] wire = new byte[in.readUnsignedShort()];
                in.readFully(wire);
                Optional<Message> response = parse(wire).flatMap(this::respond);
                if (response.isPresent()) {
                    byte[] bytes = response.get().toWire(65535);
                    out.writeShort(bytes.length);
                    out.write(bytes);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the client hung up, or the server is closing
        } finally {
            connections.remove(socket);
        }
    }

    private static Optional<Message> parse(byte[] wire) {
        try {
            return Optional.of(new Message(wire));
        } catch (IOException e) {
            return Optional.empty(); // not DNS: ignore it, as a real server would
        }
    }

    private long ttlSeconds() {
        return ttl.toSeconds();
    }

    private static Name name(String name) {
        try {
            return Name.fromString(name, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("not a DNS name: " + name, e);
        }
    }

    private static InetAddress ip(String literal, int family) {
        try {
            return Address.getByAddress(literal, family);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address of the record's family: " + literal, e);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
