package io.flowkeeper.network.dataplane;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowId;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.network.AddressPair;
import io.flowkeeper.api.network.ExternalGateway;
import io.flowkeeper.api.network.FixedIp;
import io.flowkeeper.api.network.FloatingIp;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.HostRoute;
import io.flowkeeper.api.network.IpRange;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.PortBinding;
import io.flowkeeper.api.network.Router;
import io.flowkeeper.api.network.SecurityGroup;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.network.Ipv4;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds models for data plane tests: hosts, networks with one subnet, ports plugged on hosts. */
final class TestModel {
    final List<Network> networks = new ArrayList<>();
    final List<Subnet> subnets = new ArrayList<>();
    final List<Port> ports = new ArrayList<>();
    final List<Host> hosts = new ArrayList<>();
    final List<PortBinding> bindings = new ArrayList<>();
    final List<Router> routers = new ArrayList<>();
    final List<FloatingIp> floatingIps = new ArrayList<>();
    final Map<String, HostViews.GatewayPlacement> gateways = new HashMap<>();
    /** Every port is in {@link #OPEN} unless a test says otherwise: IPv4 in and out, from and to anywhere. */
    static final String OPEN = "open";
    final List<SecurityGroup> securityGroups = new ArrayList<>(List.of(new SecurityGroup(OPEN, OPEN, "p1", List.of(
            new SecurityGroupRule("open-in", OPEN, "ingress", "IPv4", null, null, null, null, null),
            new SecurityGroupRule("open-out", OPEN, "egress", "IPv4", null, null, null, null, null)), 1)));
    /** Per host: the switch's port names to numbers (tunnels and patch ports; VM ports come from bindings). */
    final Map<String, Map<String, Long>> switchPorts = new HashMap<>();
    private int nextOfPort = 1;

    /** The host's flows, held to the pipeline, and no two of them sharing an identity. */
    List<Flow> compile(String host) {
        List<Flow> flows = new FlowCompiler().compile(view(host));
        Pipeline.check(flows);
        Set<FlowId> ids = new HashSet<>();
        flows.forEach(f -> assertTrue(ids.add(f.id()), "two flows share an identity: " + f));
        return flows;
    }

    /** An ICMP echo request arriving on {@code inPort}, as the {@link FlowTableEvaluator} takes packets. */
    static Map<MatchField, Long> icmpEcho(long inPort, String srcMac, String dstMac, String srcIp, String dstIp) {
        Map<MatchField, Long> p = new EnumMap<>(MatchField.class);
        p.put(MatchField.IN_PORT, inPort);
        p.put(MatchField.ETH_SRC, FlowCompiler.mac(srcMac));
        p.put(MatchField.ETH_DST, FlowCompiler.mac(dstMac));
        p.put(MatchField.ETH_TYPE, 0x0800L);
        p.put(MatchField.IP_PROTO, 1L);
        p.put(MatchField.ICMPV4_TYPE, 8L);
        p.put(MatchField.IPV4_SRC, Ipv4.parse(srcIp));
        p.put(MatchField.IPV4_DST, Ipv4.parse(dstIp));
        return p;
    }

    Host host(String name, String tunnelIp, Map<String, String> mappings) {
        Host h = new Host(name, tunnelIp, "br-int", hosts.size() + 1L, mappings, "test", 0, false);
        hosts.add(h);
        Map<String, Long> ports = new HashMap<>();
        mappings.values().forEach(b -> ports.put(Host.providerPatchPortName(b), 1000L + ports.size()));
        switchPorts.put(name, ports);
        return h;
    }

    /** Creates the tunnel ports of every pair of hosts (as the agent would). */
    void meshTunnels() {
        for (Host a : hosts) {
            int i = 0;
            for (Host b : hosts) {
                if (a != b) {
                    switchPorts.get(a.name()).put(Host.tunnelPortName(b.tunnelIp()), 2000L + i++);
                }
            }
        }
    }

    Network network(String id, String project, NetworkType type, String physnet, Integer segment, String cidr,
                    boolean dhcp) {
        Network n = new Network(id, id, project, type, physnet, segment, false, false, 1450, true, 1);
        networks.add(n);
        String prefix = cidr.substring(0, cidr.lastIndexOf('.'));
        subnets.add(new Subnet("sub-" + id, "sub-" + id, project, id, cidr, prefix + ".1",
                List.of(new IpRange(prefix + ".2", prefix + ".254")), List.of("8.8.8.8"),
                List.of(new HostRoute("192.168.0.0/16", prefix + ".254")), dhcp, 1));
        return n;
    }

    Port port(String id, Network n, String mac, String ip, String host) {
        return port(id, n, mac, ip, host, List.of(), true);
    }

    Port port(String id, Network n, String mac, String ip, String host, List<AddressPair> pairs,
              boolean portSecurity) {
        Port p = new Port(id, id, n.projectId(), n.id(), mac, List.of(new FixedIp("sub-" + n.id(), ip)), "vm-" + id,
                "compute:nova", host, "ovs", true, List.of(OPEN), pairs, portSecurity, 1);
        ports.add(p);
        if (host != null) {
            bindings.add(new PortBinding(id, host, nextOfPort++, mac, PortBinding.State.PLUGGED, ""));
        }
        return p;
    }

    Router router(String id, boolean up, List<HostRoute> routes) {
        routers.removeIf(r -> r.id().equals(id));
        Router r = new Router(id, id, "p1", up, null, false, false, routes, 1);
        routers.add(r);
        return r;
    }

    /**
     * Gives router {@code id} an external gateway on {@code external} at {@code ip} (its gateway port's MAC
     * {@code mac}), placed on {@code hosts} with {@code active} active.
     */
    void gateway(String id, Network external, String mac, String ip, boolean snat, String active, String... hosts) {
        Router r = routers.stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
        routers.remove(r);
        routers.add(new Router(r.id(), r.name(), r.projectId(), r.adminStateUp(), new ExternalGateway(external.id(),
                snat, List.of(new FixedIp("sub-" + external.id(), ip))), true, false, r.routes(), 1));
        ports.removeIf(p -> p.id().equals(id + "-gw"));
        ports.add(new Port(id + "-gw", id + "-gw", "", external.id(), mac, List.of(new FixedIp("sub-"
                + external.id(), ip)), id, HostViews.ROUTER_GATEWAY, "", "unbound", true, List.of(), List.of(), false,
                1));
        gateways.put(id, new HostViews.GatewayPlacement(List.of(hosts), active));
    }

    /** A router interface port on the network's subnet (unbound, as Neutron creates it). */
    Port routerInterface(String id, String routerId, Network n, String mac, String ip) {
        Port p = new Port(id, id, n.projectId(), n.id(), mac, List.of(new FixedIp("sub-" + n.id(), ip)), routerId,
                HostViews.ROUTER_INTERFACE, "", "unbound", true, List.of(), List.of(), false, 1);
        ports.add(p);
        return p;
    }

    void remove(String portId) {
        ports.removeIf(p -> p.id().equals(portId));
        bindings.removeIf(b -> b.portId().equals(portId));
    }

    long ofPort(String portId) {
        return bindings.stream().filter(b -> b.portId().equals(portId)).findFirst().orElseThrow().ofPort();
    }

    HostViews.Model model() {
        return new HostViews.Model(networks, subnets, ports, hosts, bindings, routers, securityGroups, floatingIps,
                gateways);
    }

    HostView view(String host) {
        Host h = hosts.stream().filter(x -> x.name().equals(host)).findFirst().orElseThrow();
        return HostViews.of(h, model(), switchPorts.get(host));
    }

    long tunnel(String from, String to) {
        Host t = hosts.stream().filter(x -> x.name().equals(to)).findFirst().orElseThrow();
        return switchPorts.get(from).get(Host.tunnelPortName(t.tunnelIp()));
    }
}
