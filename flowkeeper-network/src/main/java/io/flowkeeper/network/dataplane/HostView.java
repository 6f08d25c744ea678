package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.HostRoute;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.network.Ipv4;
import java.util.List;

/**
 * One host's view of the model, everything {@link FlowCompiler} needs and nothing else: immutable, so equal views
 * compile to equal flow sets and an unchanged network's flows can be reused.
 *
 * @param host the host whose integration bridge is compiled for
 * @param networks the networks with at least one port plugged on this host, by network id order
 * @param routers the routers with an interface on one of {@code networks}, by router id order
 * @param secured the local ports with port security on, by port id: their security groups, resolved
 */
public record HostView(Host host, List<NetworkView> networks, List<RouterView> routers, List<SecuredPort> secured) {
    public HostView {
        networks = List.copyOf(networks);
        routers = List.copyOf(routers);
        secured = List.copyOf(secured);
    }

    /** A view without security groups (every port open, as before they were enforced). */
    public HostView(Host host, List<NetworkView> networks, List<RouterView> routers) {
        this(host, networks, routers, List.of());
    }

    /**
     * A local port with port security on, and what its security groups let through: compiled by
     * {@link SecurityGroupFlows}.
     *
     * @param ofPort its port on this host's bridge; also its conntrack zone
     * @param tag its network's host-local tag
     * @param gateways the gateway addresses of its network's subnets (always reachable)
     * @param rules the rules of all its groups, by rule id
     * @param remoteGroups for each group a rule names as {@code remote_group_id}: the IPv4 addresses of its member
     *     ports (fixed IPs and allowed address pairs), ascending
     */
    public record SecuredPort(String portId, long ofPort, long tag, List<Long> gateways,
                              List<io.flowkeeper.api.network.SecurityGroupRule> rules,
                              java.util.SortedMap<String, List<Long>> remoteGroups) {
        public SecuredPort {
            gateways = List.copyOf(gateways);
            rules = List.copyOf(rules);
            remoteGroups = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(remoteGroups));
        }
    }

    /** No OpenFlow port: a tunnel or provider patch port the agent has not created (yet). */
    public static final long NO_PORT = -1;

    /**
     * One network as this host sees it, with the switch's port numbers already looked up.
     *
     * @param tag the network's host-local tag (see {@link FlowCompiler#tag}), carried in metadata
     * @param subnets the network's subnets
     * @param local the network's ports plugged on this host, by port id
     * @param remote the network's ports plugged on other hosts, by port id
     * @param tunnels the tunnel ports to every other host with a port of this network (VXLAN), ascending
     * @param uplink the patch port to the provider bridge (VLAN, flat), or {@link #NO_PORT}
     */
    public record NetworkView(Network network, long tag, List<Subnet> subnets, List<LocalPort> local,
                              List<RemotePort> remote, List<Long> tunnels, long uplink) {
        public NetworkView {
            subnets = List.copyOf(subnets);
            local = List.copyOf(local);
            remote = List.copyOf(remote);
            tunnels = List.copyOf(tunnels);
        }
    }

    /** A port plugged into this host's integration bridge at {@code ofPort}. */
    public record LocalPort(Port port, long ofPort) {
    }

    /**
     * A port plugged on another host.
     *
     * @param tunnel the tunnel port to its host ({@link #NO_PORT} when there is none yet, or for provider networks)
     */
    public record RemotePort(Port port, long tunnel) {
    }

    /**
     * A router as this host sees it: every interface (also those on networks with no port on this host, since a
     * packet routed here may leave on them) with the ports behind it, and its static routes. Compiled by
     * {@link RouterFlows}.
     *
     * @param routes the router's static routes, as given ({@code destination} CIDR via {@code nexthop})
     * @param gateway its external gateway as this host sees it, or null (none, or no active gateway host yet)
     */
    public record RouterView(String id, List<Interface> interfaces, List<HostRoute> routes, Gateway gateway) {
        public RouterView {
            interfaces = List.copyOf(interfaces);
            routes = List.copyOf(routes);
        }

        /** A router without an external gateway. */
        public RouterView(String id, List<Interface> interfaces, List<HostRoute> routes) {
            this(id, interfaces, routes, null);
        }
    }

    /**
     * A router's external gateway: compiled into SNAT and floating IP (1:1) NAT on the host the cluster elected
     * active for it ({@code activeHere}), and into a default route towards that host on the hosts of its subnets.
     * See {@link RouterFlows}.
     *
     * @param ip the gateway port's address on the external network
     * @param mac the gateway port's MAC, 48 bits (the floating IPs are answered for with it too, as in Neutron)
     * @param tag the external network's host-local tag ({@link FlowCompiler#tag})
     * @param segment the external network's VLAN id (0 for flat)
     * @param uplink the patch port to the external network's provider bridge on this host, or {@link #NO_PORT}
     * @param zone the router's conntrack zone ({@link RouterFlows#zone}), apart from the ports' zones
     * @param snat whether ports without a floating IP reach out through {@code ip} ({@code enable_snat})
     * @param activeHere this host is the router's active gateway host
     * @param tunnel from another host: the tunnel port to the active gateway host ({@link #NO_PORT}: none yet)
     * @param floating the router's associated floating IPs, by floating address
     */
    public record Gateway(long ip, long mac, long tag, NetworkType type, int segment, long uplink, int zone,
                          boolean snat, boolean activeHere, long tunnel, List<Floating> floating) {
        public Gateway {
            floating = List.copyOf(floating);
        }
    }

    /** A floating IP mapped 1:1 to {@code fixedIp}, the fixed address of a port with MAC {@code mac}. */
    public record Floating(long floatingIp, long fixedIp, long mac) {
    }

    /**
     * One address of a router interface port, on one subnet.
     *
     * @param tag the network's host-local tag ({@link FlowCompiler#tag})
     * @param segment the network's VNI or VLAN id (0 for flat)
     * @param mac the interface port's MAC, 48 bits
     * @param ip the interface's address on the subnet (the subnet's gateway when added by subnet)
     * @param cidr the subnet's prefix
     * @param local the network is one of the host's {@link HostView#networks}: its L2 flows are compiled here
     * @param uplink the patch port to the provider bridge (VLAN, flat), or {@link #NO_PORT}
     * @param neighbours every plugged port's address on the subnet, by port id then address
     */
    public record Interface(String portId, long tag, NetworkType type, int segment, long mac, long ip,
                            Ipv4.Cidr cidr, boolean local, long uplink, List<Neighbour> neighbours) {
        public Interface {
            neighbours = List.copyOf(neighbours);
        }
    }

    /**
     * A plugged port's address on a router interface's subnet.
     *
     * @param ofPort its port on this host's bridge, or {@link #NO_PORT} when it is plugged elsewhere
     * @param tunnel the tunnel port to its host (VXLAN), or {@link #NO_PORT} (local, provider network, no tunnel yet)
     */
    public record Neighbour(long ip, long mac, long ofPort, long tunnel) {
    }
}
