package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.dhcp.DhcpBinding;
import io.flowkeeper.api.dhcp.DhcpPacket;
import io.flowkeeper.api.dhcp.DhcpResponder;
import io.flowkeeper.api.network.FixedIp;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.network.Ipv4;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A port's DHCP as the model says it: {@link #binding} is what its answers say (pure), {@link #answer} the reply to
 * one request ({@link DhcpResponder} on that binding). The same binding goes to the port's host agent, which answers
 * alike when no controller can.
 *
 * <p>The server's address is the subnet's gateway, or its last host address when it has none; its MAC is {@link
 * DhcpResponder#SERVER_MAC}, answered for by the switch's ARP responder when no port holds the address, so unicast
 * renewals reach the port's DHCP flow (which sends every client message to the controller whatever its destination).
 */
public final class DhcpServer {
    private DhcpServer() {
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
     * What {@code port}'s DHCP answers say (on {@code network}, whose subnets are {@code subnets}); empty when it
     * gets none: no IPv4 address on a subnet with DHCP enabled.
     */
    public static Optional<DhcpBinding> binding(Port port, Network network, List<Subnet> subnets) {
        return served(port, subnets).map(served -> {
            Subnet s = served.getKey();
            long gateway = Ipv4.parse(s.gatewayIp());
            return new DhcpBinding(port.id(), port.macAddress(), Ipv4.format(served.getValue()),
                    Ipv4.Cidr.parse(s.cidr()).prefixLength(), Ipv4.format(serverAddress(s)),
                    gateway >= 0 ? Ipv4.format(gateway) : null, s.dnsNameservers(), s.hostRoutes(), network.mtu());
        });
    }

    /**
     * The answer to {@code request} from {@code port} (on {@code network}, whose subnets are {@code subnets}).
     *
     * @param leaseSeconds the lease time offered
     */
    public static Optional<DhcpResponder.Reply> answer(DhcpPacket request, Port port, Network network,
                                                       List<Subnet> subnets, long leaseSeconds) {
        return binding(port, network, subnets).flatMap(b -> DhcpResponder.answer(request, b, leaseSeconds));
    }
}
