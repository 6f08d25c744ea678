package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.network.FixedIp;
import io.flowkeeper.api.network.FloatingIp;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkService;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.PortBinding;
import io.flowkeeper.api.network.Router;
import io.flowkeeper.api.network.SecurityGroup;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.HostView.Floating;
import io.flowkeeper.network.dataplane.HostView.Gateway;
import io.flowkeeper.network.dataplane.HostView.Interface;
import io.flowkeeper.network.dataplane.HostView.Neighbour;
import io.flowkeeper.network.dataplane.HostView.RouterView;
import io.flowkeeper.network.dataplane.HostView.LocalPort;
import io.flowkeeper.network.dataplane.HostView.NetworkView;
import io.flowkeeper.network.dataplane.HostView.RemotePort;
import io.flowkeeper.network.dataplane.HostView.SecuredPort;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Builds a host's {@link HostView} from the model: which of its ports are plugged where, and the switch's port
 * numbers for tunnels and provider patch ports, found by name ({@link Host#tunnelPortName},
 * {@link Host#providerPatchPortName}). Pure; linear in the model's size.
 */
public final class HostViews {
    /** The router interface ports' {@code device_owner}. */
    public static final String ROUTER_INTERFACE = "network:router_interface";

    private HostViews() {
    }

    /** The {@code network:router_gateway} ports' {@code device_owner}. */
    public static final String ROUTER_GATEWAY = "network:router_gateway";

    /**
     * Where a router's HA gateway is placed and which host is active ({@code /neutron/gateways/{router}}, written by
     * the gateway registry on the agents' lease renewals).
     *
     * @param hosts the placed hosts, by priority (highest first)
     * @param active the active host, or null (none live)
     */
    public record GatewayPlacement(List<String> hosts, String active) {
        public GatewayPlacement {
            hosts = List.copyOf(hosts);
        }
    }

    /** The parts of the model the data plane reads, as one immutable value. */
    public record Model(List<Network> networks, List<Subnet> subnets, List<Port> ports, List<Host> hosts,
                        List<PortBinding> bindings, List<Router> routers, List<SecurityGroup> securityGroups,
                        List<FloatingIp> floatingIps, Map<String, GatewayPlacement> gateways) {
        public Model {
            networks = List.copyOf(networks);
            subnets = List.copyOf(subnets);
            ports = List.copyOf(ports);
            hosts = List.copyOf(hosts);
            bindings = List.copyOf(bindings);
            routers = List.copyOf(routers);
            securityGroups = List.copyOf(securityGroups);
            floatingIps = List.copyOf(floatingIps);
            gateways = Map.copyOf(gateways);
        }

        /** A model without floating IPs or gateway placements: no router's gateway is active anywhere. */
        public Model(List<Network> networks, List<Subnet> subnets, List<Port> ports, List<Host> hosts,
                     List<PortBinding> bindings, List<Router> routers, List<SecurityGroup> securityGroups) {
            this(networks, subnets, ports, hosts, bindings, routers, securityGroups, List.of(), Map.of());
        }

        /** A model without security groups: ports with port security on let nothing but DHCP and ARP through. */
        public Model(List<Network> networks, List<Subnet> subnets, List<Port> ports, List<Host> hosts,
                     List<PortBinding> bindings, List<Router> routers) {
            this(networks, subnets, ports, hosts, bindings, routers, List.of());
        }

        /** A model without routers. */
        public Model(List<Network> networks, List<Subnet> subnets, List<Port> ports, List<Host> hosts,
                     List<PortBinding> bindings) {
            this(networks, subnets, ports, hosts, bindings, List.of());
        }

        public static Model read(NetworkService service) {
            return new Model(service.networks(), service.subnets(), service.ports(), service.hosts(),
                    service.bindings(), service.routers(), service.securityGroups(), service.floatingIps(), Map.of());
        }

        /** The host whose integration bridge has this datapath id. */
        public Optional<Host> hostOf(long datapathId) {
            return hosts.stream().filter(h -> h.datapathId() == datapathId).findFirst();
        }
    }

    /**
     * The binding a port is programmed by: plugged, and with the port's MAC (a binding whose MAC does not match
     * the port programs nothing, even if its reporter did not mark it as an error).
     */
    public static Map<String, PortBinding> usableBindings(Model model) {
        Map<String, String> macOf = new HashMap<>(model.ports().size() * 2);
        model.ports().forEach(p -> macOf.put(p.id(), p.macAddress()));
        Map<String, PortBinding> out = new HashMap<>(model.bindings().size() * 2);
        for (PortBinding b : model.bindings()) {
            String mac;
            if (b.state() == PortBinding.State.PLUGGED && b.ofPort() > 0 && (mac = macOf.get(b.portId())) != null
                    && (b.attachedMac().equals(mac) || b.attachedMac().equalsIgnoreCase(mac))) {
                out.put(b.portId(), b);
            }
        }
        return out;
    }

    /**
     * Host {@code self}'s view.
     *
     * @param switchPorts the integration bridge's ports, name to OpenFlow port number
     */
    public static HostView of(Host self, Model model, Map<String, Long> switchPorts) {
        return of(self, model, switchPorts, new Security(model));
    }

    /** As {@link #of(Host, Model, Map)}, resolving security groups with {@code security} (of the same model). */
    static HostView of(Host self, Model model, Map<String, Long> switchPorts, Security security) {
        Map<String, PortBinding> bindings = usableBindings(model);
        Context context = new Context(self, model, switchPorts);
        Map<String, List<Port>> portsByNetwork = new HashMap<>();
        Set<String> withLocalPorts = new HashSet<>();
        for (Port p : model.ports()) {
            PortBinding b = bindings.get(p.id());
            if (counts(p, b, context)) {
                portsByNetwork.computeIfAbsent(p.networkId(), k -> new ArrayList<>()).add(p);
                if (b.host().equals(self.name())) {
                    withLocalPorts.add(p.networkId());
                }
            }
        }
        Map<String, Network> networks = new TreeMap<>();
        model.networks().forEach(n -> {
            if (withLocalPorts.contains(n.id())) {
                networks.put(n.id(), n);
            }
        });
        List<NetworkView> views = new ArrayList<>();
        for (Network n : networks.values()) {
            List<Port> ports = new ArrayList<>(portsByNetwork.get(n.id()));
            ports.sort(Comparator.comparing(Port::id));
            NetworkView view = networkView(n, ports, bindings, context);
            if (view != null) {
                views.add(view);
            }
        }
        return new HostView(self, views, routers(self, model, switchPorts, views, bindings, context.hosts,
                context.physnets), secured(security, views));
    }

    /**
     * What every network's view on one host reads besides its ports: the host, its switch's port numbers, the
     * model's hosts, physical networks and subnets. Valid while those are unchanged.
     */
    static final class Context {
        final Host self;
        final Map<String, Long> switchPorts;
        final Map<String, Host> hosts = new HashMap<>();
        final List<String> physnets;
        final Map<String, List<Subnet>> subnetsByNetwork = new HashMap<>();
        /** Each host's tunnel port on this switch: the port name is a hash of the host's address, so once per host. */
        private final Map<String, Long> tunnelOf = new HashMap<>();

        Context(Host self, Model model, Map<String, Long> switchPorts) {
            this.self = self;
            this.switchPorts = switchPorts;
            model.hosts().forEach(h -> hosts.put(h.name(), h));
            physnets = new ArrayList<>(new TreeSet<>(model.networks().stream()
                    .map(Network::physicalNetwork).filter(Objects::nonNull).toList()));
            model.subnets().forEach(s -> subnetsByNetwork.computeIfAbsent(s.networkId(), k -> new ArrayList<>())
                    .add(s));
            subnetsByNetwork.values().forEach(l -> l.sort(Comparator.comparing(Subnet::id)));
        }

        long tunnel(String host) {
            return tunnelOf.computeIfAbsent(host, name -> switchPorts.getOrDefault(
                    Host.tunnelPortName(hosts.get(name).tunnelIp()), HostView.NO_PORT));
        }
    }

    /** Whether port {@code p} is in its network's view on the hosts: bound usably, up, on a known host. */
    static boolean counts(Port p, PortBinding usable, Context context) {
        return usable != null && p.adminStateUp() && context.hosts.containsKey(usable.host());
    }

    /**
     * Network {@code n} as the host sees it, or null when it is not compiled there: no port of it on the host, the
     * network down, or no segment allocated yet.
     *
     * @param ports the network's ports that {@link #counts count}, by id
     */
    static NetworkView networkView(Network n, List<Port> ports, Map<String, PortBinding> bindings, Context context) {
        if (!n.adminStateUp()) {
            return null;
        }
        List<LocalPort> local = new ArrayList<>();
        List<RemotePort> remote = new ArrayList<>();
        TreeSet<Long> tunnels = new TreeSet<>();
        for (Port p : ports) {
            PortBinding b = bindings.get(p.id());
            if (b.host().equals(context.self.name())) {
                local.add(new LocalPort(p, b.ofPort()));
                continue;
            }
            long tunnel = HostView.NO_PORT;
            if (n.type() == NetworkType.VXLAN) {
                tunnel = context.tunnel(b.host());
                if (tunnel != HostView.NO_PORT) {
                    tunnels.add(tunnel);
                }
            }
            remote.add(new RemotePort(p, tunnel));
        }
        if (local.isEmpty()) {
            return null;
        }
        long uplink = HostView.NO_PORT;
        int physnet = 0;
        if (n.type() != NetworkType.VXLAN) {
            physnet = context.physnets.indexOf(n.physicalNetwork());
            String bridge = context.self.bridgeMappings().get(n.physicalNetwork());
            Long number = bridge == null ? null : context.switchPorts.get(Host.providerPatchPortName(bridge));
            uplink = number == null ? HostView.NO_PORT : number;
        }
        if (n.type() != NetworkType.FLAT && n.segmentationId() == null) {
            return null; // not yet allocated a segment: nothing to tell it apart by
        }
        return new NetworkView(n, FlowCompiler.tag(n.type(), n.segmentationId(), physnet),
                context.subnetsByNetwork.getOrDefault(n.id(), List.of()), local, remote, List.copyOf(tunnels),
                uplink);
    }

    /**
     * The local ports with port security on, each with the rules of its groups and the members of every group those
     * rules name as remote. Members are all the model's ports in the group, plugged or not, as in Neutron.
     */
    static List<SecuredPort> secured(Security security, List<NetworkView> views) {
        List<SecuredPort> out = new ArrayList<>();
        for (NetworkView n : views) {
            out.addAll(security.secured(n));
        }
        out.sort(Comparator.comparing(SecuredPort::portId));
        return out;
    }

    /**
     * Resolves ports' security groups against one model's groups: each list of groups once (ports mostly share one,
     * their project's default), the members of remote groups only once a port needs them. Valid while the model's
     * groups are unchanged; ports coming, going or changing are told with {@link #portChanged} and taken in by
     * {@link #refresh}, which touches only the resolutions of the groups whose members changed.
     */
    static final class Security {
        private List<Port> ports;
        private final Map<String, SecurityGroup> groups = new HashMap<>();
        /** The groups whose rules name a remote group. */
        private final Set<String> namingRemote = new HashSet<>();
        /** The groups some rule names as its remote group: their members are in the flows. */
        private final Set<String> remoteTargets = new HashSet<>();
        /**
         * Each remote target's member addresses, with how many of its ports' addresses each one is (two ports may
         * share one, and it stays a member until both left); null until a port needs them.
         */
        private Map<String, TreeMap<Long, Integer>> members;
        /** Each remote target's member addresses as one list, shared by every resolution naming the group. */
        private final Map<String, List<Long>> memberLists = new HashMap<>();
        private final Map<List<String>, Resolved> resolved = new HashMap<>();
        /** The remote targets whose members a port change may have changed since the last refresh. */
        private final Set<String> touched = new HashSet<>();

        Security(Model model) {
            this.ports = model.ports();
            for (SecurityGroup g : model.securityGroups()) {
                groups.put(g.id(), g);
                for (SecurityGroupRule r : g.rules()) {
                    if (r.remoteGroupId() != null && !r.remoteGroupId().isEmpty()) {
                        namingRemote.add(g.id());
                        remoteTargets.add(r.remoteGroupId());
                    }
                }
            }
        }

        /**
         * A later model with the same groups: its ports are the members to read if none were read yet (a port naming
         * a remote group became local); once read, members follow {@link #portChanged}.
         */
        void model(Model model) {
            if (members == null) {
                ports = model.ports();
            }
        }

        /** A port of the model changed, came ({@code before} null) or went ({@code after} null). */
        void portChanged(Port before, Port after) {
            if (members != null) {
                count(before, -1);
                count(after, 1);
            }
        }

        private void count(Port p, int delta) {
            if (p == null || p.securityGroups().isEmpty()) {
                return;
            }
            List<Long> addresses = null;
            for (String g : p.securityGroups()) {
                if (!remoteTargets.contains(g)) {
                    continue;
                }
                if (addresses == null) {
                    addresses = memberAddresses(p);
                }
                TreeMap<Long, Integer> set = members.computeIfAbsent(g, k -> new TreeMap<>());
                for (long a : addresses) {
                    set.merge(a, delta, (x, y) -> x + y == 0 ? null : x + y);
                }
                touched.add(g);
            }
        }

        /**
         * Takes in the port changes told since the last call: the groups whose member lists changed get new lists and
         * the resolutions naming them new instances (their rule lists kept). Returns the group lists whose resolution
         * changed: their ports' {@link SecuredPort}s are stale.
         */
        Set<List<String>> refresh() {
            if (touched.isEmpty()) {
                return Set.of();
            }
            Set<String> moved = new HashSet<>();
            for (String g : touched) {
                List<Long> last = memberLists.get(g);
                if (last != null) {
                    List<Long> next = List.copyOf(members.getOrDefault(g, new TreeMap<>()).keySet());
                    if (!next.equals(last)) {
                        memberLists.put(g, next);
                        moved.add(g);
                    }
                }
            }
            touched.clear();
            Set<List<String>> out = new HashSet<>();
            if (!moved.isEmpty()) {
                resolved.replaceAll((list, r) -> {
                    if (r.remote().keySet().stream().noneMatch(moved::contains)) {
                        return r;
                    }
                    out.add(list);
                    TreeMap<String, List<Long>> remote = new TreeMap<>();
                    r.remote().keySet().forEach(g -> remote.put(g, memberList(g)));
                    return new Resolved(r.rules(), remote);
                });
            }
            return out;
        }

        /** The network's local ports with port security on, by port id. */
        List<SecuredPort> secured(NetworkView n) {
            List<SecuredPort> out = new ArrayList<>();
            List<Long> gateways = List.copyOf(gateways(n.subnets())); // one list shared by the network's ports
            for (LocalPort lp : n.local()) {
                if (lp.port().portSecurityEnabled()) {
                    out.add(secured(lp, n.tag(), gateways));
                }
            }
            return out;
        }

        /** One local port with port security on, resolved now. */
        SecuredPort secured(LocalPort lp, long tag, List<Long> gateways) {
            Port p = lp.port();
            Resolved r = resolved.computeIfAbsent(p.securityGroups(), this::resolve);
            return new SecuredPort(p.id(), lp.ofPort(), tag, gateways, r.rules(), r.remote());
        }

        private Resolved resolve(List<String> list) {
            if (members == null && list.stream().anyMatch(namingRemote::contains)) {
                members = new HashMap<>();
                ports.forEach(p -> count(p, 1));
                touched.clear(); // nothing was resolved with members yet
            }
            return HostViews.resolve(list, groups, this::memberList);
        }

        private List<Long> memberList(String group) {
            return memberLists.computeIfAbsent(group, g -> List.copyOf(
                    members == null ? List.of() : members.getOrDefault(g, new TreeMap<>()).keySet()));
        }
    }

    /** The rules of a list of groups, by rule id, and the members of every group they name as remote. */
    private record Resolved(List<SecurityGroupRule> rules, TreeMap<String, List<Long>> remote) {
    }

    private static Resolved resolve(List<String> securityGroups, Map<String, SecurityGroup> groups,
                                    java.util.function.Function<String, List<Long>> members) {
        Map<String, SecurityGroupRule> rules = new TreeMap<>();
        for (String g : securityGroups) {
            SecurityGroup group = groups.get(g);
            if (group != null) {
                group.rules().forEach(r -> rules.put(r.id(), r));
            }
        }
        TreeMap<String, List<Long>> remote = new TreeMap<>();
        for (SecurityGroupRule r : rules.values()) {
            if (r.remoteGroupId() != null && !r.remoteGroupId().isEmpty()) {
                remote.put(r.remoteGroupId(), members.apply(r.remoteGroupId()));
            }
        }
        return new Resolved(List.copyOf(rules.values()), remote);
    }

    /** The gateway addresses of the subnets (IPv4, those that have one). */
    public static List<Long> gateways(List<Subnet> subnets) {
        List<Long> out = new ArrayList<>();
        for (Subnet s : subnets) {
            long gw = s.gatewayIp() == null ? -1 : Ipv4.parse(s.gatewayIp());
            if (gw >= 0) {
                out.add(gw);
            }
        }
        return out;
    }

    /**
     * A port with port security on as {@link SecurityGroupFlows} compiles it: the rules of its groups (by id) and the
     * members of every group they name as remote. The data plane and {@code flowkeeper ports show} both build it here.
     *
     * @param groups every group by id, with its rules
     * @param members {@link #groupMembers} of the model's ports (may be null when no rule names a remote group)
     */
    public static SecuredPort securedPort(Port p, long ofPort, long tag, List<Long> gateways,
                                          Map<String, SecurityGroup> groups, Map<String, TreeSet<Long>> members) {
        Resolved r = resolve(p.securityGroups(), groups, g -> List.copyOf(members == null ? new TreeSet<>()
                : members.getOrDefault(g, new TreeSet<>())));
        return new SecuredPort(p.id(), ofPort, tag, gateways, r.rules(), r.remote());
    }

    /** Every group's member addresses: the IPv4 fixed IPs and single-address pairs of the ports in it. */
    public static Map<String, TreeSet<Long>> groupMembers(List<Port> ports) {
        Map<String, TreeSet<Long>> out = new HashMap<>();
        for (Port p : ports) {
            if (p.securityGroups().isEmpty()) {
                continue;
            }
            List<Long> addresses = memberAddresses(p);
            for (String g : p.securityGroups()) {
                out.computeIfAbsent(g, k -> new TreeSet<>()).addAll(addresses);
            }
        }
        return out;
    }

    /** What a port adds to its groups' members: its IPv4 fixed IPs and single-address pairs. */
    private static List<Long> memberAddresses(Port p) {
        List<Long> out = new ArrayList<>();
        p.fixedIps().forEach(ip -> out.add(Ipv4.parse(ip.ipAddress())));
        p.allowedAddressPairs().forEach(a -> out.add(a.ipAddress().contains("/") ? -1 : Ipv4.parse(a.ipAddress())));
        out.removeIf(a -> a < 0);
        return out;
    }

    /**
     * The routers with an (administratively up) interface on one of the host's networks, each with all its
     * interfaces: a packet routed on this host may leave on any of them.
     */
    static List<RouterView> routers(Host self, Model model, Map<String, Long> switchPorts,
                                            List<NetworkView> views, Map<String, PortBinding> bindings,
                                            Map<String, Host> hosts, List<String> physnets) {
        if (model.routers().isEmpty()) {
            return List.of();
        }
        Map<String, List<Port>> interfacesOf = new HashMap<>();
        for (Port p : model.ports()) {
            if (ROUTER_INTERFACE.equals(p.deviceOwner()) && p.adminStateUp()) {
                interfacesOf.computeIfAbsent(p.deviceId(), k -> new ArrayList<>()).add(p);
            }
        }
        if (interfacesOf.isEmpty()) {
            return List.of();
        }
        Set<String> localNetworks = new HashSet<>();
        views.forEach(v -> localNetworks.add(v.network().id()));
        Map<String, Network> networks = new HashMap<>();
        model.networks().forEach(n -> networks.put(n.id(), n));
        Map<String, Subnet> subnets = new HashMap<>();
        model.subnets().forEach(s -> subnets.put(s.id(), s));
        Map<String, List<Port>> plugged = new HashMap<>();
        for (Port p : model.ports()) {
            PortBinding b = bindings.get(p.id());
            if (b != null && p.adminStateUp() && hosts.containsKey(b.host())) {
                plugged.computeIfAbsent(p.networkId(), k -> new ArrayList<>()).add(p);
            }
        }
        List<RouterView> out = new ArrayList<>();
        for (Router r : model.routers().stream().sorted(Comparator.comparing(Router::id)).toList()) {
            List<Port> ports = interfacesOf.getOrDefault(r.id(), List.of());
            GatewayPlacement placement = r.gateway() == null ? null : model.gateways().get(r.id());
            boolean activeHere = placement != null && self.name().equals(placement.active());
            if (!r.adminStateUp() || (!activeHere
                    && ports.stream().noneMatch(p -> localNetworks.contains(p.networkId())))) {
                continue;
            }
            List<Interface> interfaces = new ArrayList<>();
            for (Port p : ports.stream().sorted(Comparator.comparing(Port::id)).toList()) {
                Network n = networks.get(p.networkId());
                long mac = FlowCompiler.mac(p.macAddress());
                if (n == null || !n.adminStateUp() || mac < 0
                        || (n.type() != NetworkType.FLAT && n.segmentationId() == null)) {
                    continue;
                }
                int physnet = n.type() == NetworkType.VXLAN ? 0 : physnets.indexOf(n.physicalNetwork());
                long uplink = HostView.NO_PORT;
                if (n.type() != NetworkType.VXLAN) {
                    String bridge = self.bridgeMappings().get(n.physicalNetwork());
                    Long number = bridge == null ? null : switchPorts.get(Host.providerPatchPortName(bridge));
                    uplink = number == null ? HostView.NO_PORT : number;
                }
                for (FixedIp ip : p.fixedIps()) {
                    Subnet s = subnets.get(ip.subnetId());
                    Ipv4.Cidr cidr = s == null ? null : Ipv4.Cidr.parse(s.cidr());
                    long address = Ipv4.parse(ip.ipAddress());
                    if (cidr == null || address < 0) {
                        continue;
                    }
                    List<Neighbour> neighbours = new ArrayList<>();
                    for (Port q : plugged.getOrDefault(n.id(), List.of()).stream()
                            .sorted(Comparator.comparing(Port::id)).toList()) {
                        PortBinding b = bindings.get(q.id());
                        boolean here = b.host().equals(self.name());
                        long tunnel = here || n.type() != NetworkType.VXLAN ? HostView.NO_PORT
                                : switchPorts.getOrDefault(Host.tunnelPortName(hosts.get(b.host()).tunnelIp()),
                                        HostView.NO_PORT);
                        for (FixedIp qip : q.fixedIps()) {
                            long a = Ipv4.parse(qip.ipAddress());
                            if (a >= 0 && cidr.contains(a)) {
                                neighbours.add(new Neighbour(a, FlowCompiler.mac(q.macAddress()),
                                        here ? b.ofPort() : HostView.NO_PORT, tunnel));
                            }
                        }
                    }
                    interfaces.add(new Interface(p.id(), FlowCompiler.tag(n.type(), n.segmentationId(), physnet),
                            n.type(), n.segmentationId() == null ? 0 : n.segmentationId(), mac, address,
                            cidr.normalized(), localNetworks.contains(n.id()), uplink, neighbours));
                }
            }
            out.add(new RouterView(r.id(), interfaces, r.routes(), gateway(self, model, switchPorts, r, placement,
                    networks, hosts, physnets)));
        }
        return out;
    }

    /**
     * The router's external gateway as {@code self} sees it: null when it has none, no active host, or its
     * gateway port or external network is not (yet) usable.
     */
    private static Gateway gateway(Host self, Model model, Map<String, Long> switchPorts, Router r,
                                   GatewayPlacement placement, Map<String, Network> networks, Map<String, Host> hosts,
                                   List<String> physnets) {
        if (placement == null || placement.active() == null) {
            return null;
        }
        Network n = networks.get(r.gateway().networkId());
        Port port = model.ports().stream().filter(p -> ROUTER_GATEWAY.equals(p.deviceOwner())
                && r.id().equals(p.deviceId())).findFirst().orElse(null);
        long ip = port == null || port.fixedIps().isEmpty() ? -1 : Ipv4.parse(port.fixedIps().get(0).ipAddress());
        long mac = port == null ? -1 : FlowCompiler.mac(port.macAddress());
        if (n == null || n.type() == NetworkType.VXLAN || ip < 0 || mac < 0
                || (n.type() == NetworkType.VLAN && n.segmentationId() == null)) {
            return null; // the external network is a provider network (flat or VLAN) reached through a mapping
        }
        boolean activeHere = self.name().equals(placement.active());
        long uplink = HostView.NO_PORT;
        String bridge = self.bridgeMappings().get(n.physicalNetwork());
        Long number = bridge == null ? null : switchPorts.get(Host.providerPatchPortName(bridge));
        if (number != null) {
            uplink = number;
        }
        long tunnel = HostView.NO_PORT;
        Host active = hosts.get(placement.active());
        if (!activeHere && active != null) {
            tunnel = switchPorts.getOrDefault(Host.tunnelPortName(active.tunnelIp()), HostView.NO_PORT);
        }
        Map<String, Port> portsById = new HashMap<>();
        model.ports().forEach(p -> portsById.put(p.id(), p));
        List<Floating> floating = new ArrayList<>();
        for (FloatingIp f : model.floatingIps()) {
            Port vm = f.portId() == null ? null : portsById.get(f.portId());
            long address = Ipv4.parse(f.floatingIpAddress());
            long fixed = f.fixedIpAddress() == null ? -1 : Ipv4.parse(f.fixedIpAddress());
            if (r.id().equals(f.routerId()) && vm != null && address >= 0 && fixed >= 0) {
                floating.add(new Floating(address, fixed, FlowCompiler.mac(vm.macAddress())));
            }
        }
        floating.sort(Comparator.comparingLong(Floating::floatingIp));
        return new Gateway(ip, mac, FlowCompiler.tag(n.type(), n.segmentationId(), physnets.indexOf(
                n.physicalNetwork())), n.type(), n.segmentationId() == null ? 0 : n.segmentationId(), uplink,
                RouterFlows.zone(r.id()), r.gateway().enableSnat(), activeHere, tunnel, floating);
    }
}
