package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.network.FixedIp;
import io.flowkeeper.api.network.HostRoute;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.network.Ipv4;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * DHCP answers as a pure function of the model. The port's address was fixed when it was created, so any node
 * computes the same answer and none keeps lease state (seed 002's point): DISCOVER gets an OFFER of the port's fixed
 * IP, REQUEST an ACK for it (a NAK for any other address), INFORM an ACK with the options only; RELEASE and DECLINE
 * change nothing and get no answer. A request from a MAC other than the port's, or for a port with no IPv4 address on
 * a subnet with DHCP enabled, gets nothing.
 *
 * <p>The server's address is the subnet's gateway, or its last host address when it has none; its MAC is {@link
 * #SERVER_MAC}, answered for by the switch's ARP responder when no port holds the address, so unicast renewals reach
 * the port's DHCP flow (which sends every client message to the controller whatever its destination).
 */
public final class DhcpServer {
    /** A locally administered MAC ("FK") the replies come from; the same in every network, which never meet. */
    public static final long SERVER_MAC = 0x02464b000001L;
    public static final long BROADCAST_MAC = 0xffffffffffffL;
    private static final long BROADCAST_IP = 0xffffffffL;

    private DhcpServer() {
    }

    /** A reply and where it goes. */
    public record Reply(DhcpPacket message, long ethDst, long ipSrc, long ipDst) {
        public byte[] frame() {
            return message.encodeFrame(SERVER_MAC, ethDst, ipSrc, ipDst);
        }
    }

    /** The subnet a port is served from: the first of its fixed IPs on an IPv4 subnet with DHCP enabled. */
    public static Optional<Map.Entry<Subnet, Long>> served(Port port, List<Subnet> subnets) {
        for (FixedIp ip : port.fixedIps()) {
            long address = Ipv4.parse(ip.ipAddress());
            for (Subnet s : subnets) {
                if (s.id().equals(ip.subnetId()) && s.enableDhcp() && address >= 0
                        && Ipv4.Cidr.parse(s.cidr()) != null) {
                    return Optional.of(Map.entry(s, address));
                }
            }
        }
        return Optional.empty();
    }

    /** The address the subnet's DHCP server answers from: the gateway, else the last host address. */
    public static long serverAddress(Subnet s) {
        long gateway = Ipv4.parse(s.gatewayIp());
        return gateway >= 0 ? gateway : Ipv4.Cidr.parse(s.cidr()).lastHost();
    }

    /**
     * The answer to {@code request} from {@code port} (on {@code network}, whose subnets are {@code subnets}).
     *
     * @param leaseSeconds the lease time offered
     */
    public static Optional<Reply> answer(DhcpPacket request, Port port, Network network, List<Subnet> subnets,
                                         long leaseSeconds) {
        if (request.op() != DhcpPacket.BOOTREQUEST || request.chaddr() != FlowCompiler.mac(port.macAddress())) {
            return Optional.empty();
        }
        Optional<Map.Entry<Subnet, Long>> served = served(port, subnets);
        if (served.isEmpty()) {
            return Optional.empty();
        }
        Subnet subnet = served.get().getKey();
        long ip = served.get().getValue();
        long server = serverAddress(subnet);
        int type = request.messageType();
        int replyType;
        switch (type) {
            case DhcpPacket.DISCOVER -> replyType = DhcpPacket.OFFER;
            case DhcpPacket.REQUEST -> {
                long chosen = request.addressOption(DhcpPacket.OPT_SERVER_ID);
                if (chosen >= 0 && chosen != server) {
                    return Optional.empty(); // the client took another server's offer
                }
                long wanted = request.addressOption(DhcpPacket.OPT_REQUESTED_IP);
                if (wanted < 0) {
                    wanted = request.ciaddr(); // renewing or rebinding
                }
                replyType = wanted == ip ? DhcpPacket.ACK : DhcpPacket.NAK;
            }
            case DhcpPacket.INFORM -> replyType = DhcpPacket.ACK;
            default -> {
                return Optional.empty(); // RELEASE, DECLINE: no lease state to change; others are not ours
            }
        }
        Map<Integer, byte[]> options = new LinkedHashMap<>();
        options.put(DhcpPacket.OPT_MESSAGE_TYPE, new byte[] {(byte) replyType});
        options.put(DhcpPacket.OPT_SERVER_ID, address(server));
        boolean inform = type == DhcpPacket.INFORM;
        if (replyType != DhcpPacket.NAK) {
            Ipv4.Cidr cidr = Ipv4.Cidr.parse(subnet.cidr());
            if (!inform) {
                options.put(DhcpPacket.OPT_LEASE_TIME, seconds(leaseSeconds));
                options.put(DhcpPacket.OPT_RENEWAL_TIME, seconds(leaseSeconds / 2));
                options.put(DhcpPacket.OPT_REBINDING_TIME, seconds(leaseSeconds * 7 / 8));
            }
            options.put(DhcpPacket.OPT_SUBNET_MASK, address(cidr.mask()));
            options.put(DhcpPacket.OPT_BROADCAST, address(cidr.last()));
            long gateway = Ipv4.parse(subnet.gatewayIp());
            if (gateway >= 0) {
                options.put(DhcpPacket.OPT_ROUTER, address(gateway));
            }
            if (!subnet.dnsNameservers().isEmpty()) {
                ByteArrayOutputStream dns = new ByteArrayOutputStream();
                subnet.dnsNameservers().stream().mapToLong(Ipv4::parse).filter(a -> a >= 0)
                        .forEach(a -> dns.writeBytes(address(a)));
                if (dns.size() > 0) {
                    options.put(DhcpPacket.OPT_DNS, dns.toByteArray());
                }
            }
            byte[] routes = classlessRoutes(subnet.hostRoutes(), gateway);
            if (routes.length > 0) {
                options.put(DhcpPacket.OPT_CLASSLESS_ROUTES, routes);
            }
            if (network.mtu() >= 68) {
                options.put(DhcpPacket.OPT_MTU, new byte[] {(byte) (network.mtu() >> 8), (byte) network.mtu()});
            }
            options.put(DhcpPacket.OPT_HOSTNAME, hostname(ip).getBytes(StandardCharsets.US_ASCII));
        }
        long yiaddr = replyType == DhcpPacket.NAK || inform ? 0 : ip;
        long ciaddr = replyType == DhcpPacket.NAK || type == DhcpPacket.DISCOVER ? 0 : request.ciaddr();
        DhcpPacket reply = new DhcpPacket(DhcpPacket.BOOTREPLY, request.xid(), 0, request.flags(), ciaddr, yiaddr, 0,
                request.giaddr(), request.chaddr(), options);
        boolean broadcast = replyType == DhcpPacket.NAK || (request.flags() & DhcpPacket.FLAG_BROADCAST) != 0;
        long ipDst = broadcast ? BROADCAST_IP : request.ciaddr() != 0 ? request.ciaddr() : yiaddr;
        return Optional.of(new Reply(reply, broadcast ? BROADCAST_MAC : request.chaddr(), server, ipDst));
    }

    /** Neutron's default host name for an address: {@code host-10-0-0-3}. */
    public static String hostname(long ip) {
        return "host-" + Ipv4.format(ip).replace('.', '-');
    }

    /**
     * Option 121 (RFC 3442): the subnet's host routes, and the default route via the gateway, since a client that
     * gets option 121 ignores the router option.
     */
    static byte[] classlessRoutes(List<HostRoute> routes, long gateway) {
        if (routes.isEmpty()) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean hasDefault = false;
        for (HostRoute r : routes) {
            Ipv4.Cidr dest = Ipv4.Cidr.parse(r.destination());
            long via = Ipv4.parse(r.nexthop());
            if (dest == null || via < 0) {
                continue;
            }
            hasDefault |= dest.prefixLength() == 0;
            out.write(dest.prefixLength());
            byte[] d = address(dest.first());
            out.write(d, 0, (dest.prefixLength() + 7) / 8);
            out.writeBytes(address(via));
        }
        if (!hasDefault && gateway >= 0) {
            out.write(0);
            out.writeBytes(address(gateway));
        }
        return out.toByteArray();
    }

    private static byte[] address(long a) {
        return ByteBuffer.allocate(4).putInt((int) a).array();
    }

    private static byte[] seconds(long s) {
        return ByteBuffer.allocate(4).putInt((int) Math.min(s, 0xffffffffL)).array();
    }
}
