package io.flowkeeper.api.dhcp;

import io.flowkeeper.api.network.HostRoute;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reply to a DHCP request as a pure function of the port's {@link DhcpBinding}. The port's address was fixed
 * when it was created, so whoever answers gives the same answer and none keeps lease state (seed 002's point):
 * DISCOVER gets an OFFER of the port's fixed IP, REQUEST an ACK for it (a NAK for any other address), INFORM an ACK
 * with the options only; RELEASE and DECLINE change nothing and get no answer, nor does a request from a MAC other
 * than the port's, or one that names another server.
 *
 * <p>Two answerers may both reply (the switch's master and the host's agent): the replies are identical, from the
 * same server address, so a client takes the first and drops the other, as with Neutron's several DHCP agents per
 * network.
 */
public final class DhcpResponder {
    /** A locally administered MAC ("FK") the replies come from; the same in every network, which never meet. */
    public static final long SERVER_MAC = 0x02464b000001L;
    public static final long BROADCAST_MAC = 0xffffffffffffL;
    private static final long BROADCAST_IP = 0xffffffffL;

    private DhcpResponder() {
    }

    /** A reply and where it goes. */
    public record Reply(DhcpPacket message, long ethDst, long ipSrc, long ipDst) {
        public byte[] frame() {
            return message.encodeFrame(SERVER_MAC, ethDst, ipSrc, ipDst);
        }
    }

    /**
     * The answer to {@code request} for the port bound by {@code binding}; empty when it gets none.
     *
     * @param leaseSeconds the lease time offered
     */
    public static Optional<Reply> answer(DhcpPacket request, DhcpBinding binding, long leaseSeconds) {
        long mac = mac(binding.macAddress());
        long ip = ipv4(binding.ipAddress());
        long server = ipv4(binding.serverIp());
        if (request.op() != DhcpPacket.BOOTREQUEST || mac < 0 || request.chaddr() != mac || ip < 0 || server < 0
                || binding.prefixLength() < 0 || binding.prefixLength() > 32) {
            return Optional.empty();
        }
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
            long mask = mask(binding.prefixLength());
            if (!inform) {
                options.put(DhcpPacket.OPT_LEASE_TIME, seconds(leaseSeconds));
                options.put(DhcpPacket.OPT_RENEWAL_TIME, seconds(leaseSeconds / 2));
                options.put(DhcpPacket.OPT_REBINDING_TIME, seconds(leaseSeconds * 7 / 8));
            }
            options.put(DhcpPacket.OPT_SUBNET_MASK, address(mask));
            options.put(DhcpPacket.OPT_BROADCAST, address((ip & mask) | (~mask & 0xffffffffL)));
            long gateway = ipv4(binding.gatewayIp());
            if (gateway >= 0) {
                options.put(DhcpPacket.OPT_ROUTER, address(gateway));
            }
            ByteArrayOutputStream dns = new ByteArrayOutputStream();
            binding.dnsNameservers().stream().mapToLong(DhcpResponder::ipv4).filter(a -> a >= 0)
                    .forEach(a -> dns.writeBytes(address(a)));
            if (dns.size() > 0) {
                options.put(DhcpPacket.OPT_DNS, dns.toByteArray());
            }
            byte[] routes = classlessRoutes(binding.hostRoutes(), gateway);
            if (routes.length > 0) {
                options.put(DhcpPacket.OPT_CLASSLESS_ROUTES, routes);
            }
            if (binding.mtu() >= 68) {
                options.put(DhcpPacket.OPT_MTU, new byte[] {(byte) (binding.mtu() >> 8), (byte) binding.mtu()});
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
        return "host-" + ((ip >> 24) & 255) + "-" + ((ip >> 16) & 255) + "-" + ((ip >> 8) & 255) + "-" + (ip & 255);
    }

    /**
     * Option 121 (RFC 3442): the host routes, and the default route via the gateway, since a client that gets option
     * 121 ignores the router option. Routes that do not parse are left out.
     */
    static byte[] classlessRoutes(List<HostRoute> routes, long gateway) {
        if (routes.isEmpty()) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean hasDefault = false;
        for (HostRoute r : routes) {
            String dest = r.destination() == null ? "" : r.destination();
            int slash = dest.indexOf('/');
            long network = slash < 0 ? -1 : ipv4(dest.substring(0, slash));
            int prefix = slash < 0 || !dest.substring(slash + 1).matches("\\d{1,2}") ? -1
                    : Integer.parseInt(dest.substring(slash + 1));
            long via = ipv4(r.nexthop());
            if (network < 0 || prefix < 0 || prefix > 32 || via < 0) {
                continue;
            }
            hasDefault |= prefix == 0;
            out.write(prefix);
            out.write(address(network & mask(prefix)), 0, (prefix + 7) / 8);
            out.writeBytes(address(via));
        }
        if (!hasDefault && gateway >= 0) {
            out.write(0);
            out.writeBytes(address(gateway));
        }
        return out.toByteArray();
    }

    /** Dotted IPv4 as 32 bits; -1 when null or not an address. */
    static long ipv4(String dotted) {
        if (dotted == null) {
            return -1;
        }
        String[] parts = dotted.split("\\.", -1);
        if (parts.length != 4) {
            return -1;
        }
        long value = 0;
        for (String p : parts) {
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > 255) {
                return -1;
            }
            value = value << 8 | Integer.parseInt(p);
        }
        return value;
    }

    /** {@code aa:bb:cc:dd:ee:ff} as 48 bits; -1 when null or not a MAC. */
    static long mac(String text) {
        if (text == null || !text.matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
            return -1;
        }
        return Long.parseLong(text.replace(":", ""), 16);
    }

    private static long mask(int prefixLength) {
        return prefixLength == 0 ? 0 : (0xffffffffL << (32 - prefixLength)) & 0xffffffffL;
    }

    private static byte[] address(long a) {
        return ByteBuffer.allocate(4).putInt((int) a).array();
    }

    private static byte[] seconds(long s) {
        return ByteBuffer.allocate(4).putInt((int) Math.min(s, 0xffffffffL)).array();
    }
}
