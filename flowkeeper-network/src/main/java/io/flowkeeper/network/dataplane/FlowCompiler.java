package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.dhcp.DhcpResponder;
import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowId;
import io.flowkeeper.api.flow.Instructions;
import io.flowkeeper.api.flow.Match;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.network.AddressPair;
import io.flowkeeper.api.network.FixedIp;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.Subnet;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.HostView.LocalPort;
import io.flowkeeper.network.dataplane.HostView.NetworkView;
import io.flowkeeper.network.dataplane.HostView.RemotePort;
import io.flowkeeper.network.dataplane.HostView.RouterView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.regex.Pattern;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles one host's view of the model into its integration bridge's flows, along the {@link Pipeline}. A pure
 * function of the {@link HostView}: every node compiles the same flows from the same model, so a new master's
 * reconciliation finds nothing to change. Each network's flows depend on that network's view alone and are kept
 * between calls: a change recompiles only the networks whose view changed. Not thread-safe (one instance per switch,
 * used on the switch's thread).
 *
 * <p><b>Metadata</b>, written in {@link Pipeline#CLASSIFY} and {@link Pipeline#PORT_SECURITY}:
 * <pre>
 *   bits  0-31  the network's local tag ({@link #tag}): the VNI for VXLAN, physical network and VLAN otherwise
 *   bits 32-47  the VM port the packet came in on (its OpenFlow port number), 0 from tunnels and provider bridges
 *   bits 48-55  which of the port's addresses an ARP packet was sent from (index; 0xff: a CIDR address pair)
 *   bit  62     the packet came from another host (tunnel or provider bridge): it is never sent back out
 * </pre>
 * Two projects using the same CIDR and addresses are different networks, hence different tags: every lookup after
 * classification matches the tag, so their frames never meet.
 *
 * <p><b>ARP</b> is answered in the switch in two steps, with set-fields only: {@link Pipeline#ARP_RESPONDER} (one
 * flow per known address of the network) writes the reply's sender half, {@link Pipeline#ARP_REPLY} (one flow per
 * address of each local port) its target half from the requester's metadata, and sends it back. Requests for
 * unknown addresses are flooded in the network. Allowed address pairs are not answered for: they are shared (VRRP
 * addresses) and their holder answers.
 *
 * <p><b>Cookies</b>: every flow carries the reconciler's prefix {@code 0xf1} in its top byte, then a kind byte
 * ({@code 0x4e} network, {@code 0x44} DHCP punt, {@code 0x50} pipeline default, {@code 0x53} security groups
 * ({@link SecurityGroupFlows}), {@code 0x52} routing, see
 * {@link RouterFlows}), then the network's tag.
 */
public final class FlowCompiler {
    /** The reconciler's cookie prefix: flows carrying it are ours, and removed when no longer desired. */
    public static final long COOKIE_PREFIX = 0xf100000000000000L;
    public static final long COOKIE_KIND_MASK = 0xffff000000000000L;
    public static final long COOKIE_NETWORK = 0xf14e000000000000L;
    /** The cookie kind of the flows that send DHCP requests to the controller: packet-ins carry it. */
    public static final long COOKIE_DHCP = 0xf144000000000000L;
    public static final long COOKIE_PIPELINE = 0xf150000000000000L;

    public static final long TAG_MASK = 0xffffffffL;
    public static final int PORT_SHIFT = 32;
    public static final long PORT_MASK = 0xffffL << PORT_SHIFT;
    public static final int ADDRESS_SHIFT = 48;
    public static final long ADDRESS_MASK = 0xffL << ADDRESS_SHIFT;
    public static final long FROM_REMOTE = 1L << 62;
    /** The address index of a CIDR address pair: the ARP reply cannot name one address. */
    static final int ANY_ADDRESS = 0xff;

    static final int ETH_IP = 0x0800;
    static final int ETH_ARP = 0x0806;
    static final int ETH_VLAN = 0x8100;
    static final int VLAN_PRESENT = 0x1000;
    static final int ARP_REQUEST = 1;
    static final int ARP_REPLY = 2;
    static final int UDP = 17;
    static final int DHCP_SERVER_PORT = 67;
    static final int DHCP_CLIENT_PORT = 68;

    /** Priorities, highest first within a table. */
    static final int PRIO_DHCP = 200;
    static final int PRIO_BLOCK = 190;
    static final int PRIO_EXACT = 100;
    static final int PRIO_PREFIX = 90;
    static final int PRIO_NETWORK = 50;
    static final int PRIO_OPEN = 20;
    static final int PRIO_FLOOD = 10;
    static final int PRIO_DEFAULT = 0;

    private static final Pattern MAC = Pattern.compile("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    /**
     * A network's flows with the view they came from; {@code part} is what the host gets of them: all of them, or,
     * when routers' flows replace some, those not replaced by {@code routedBy}'s.
     */
    private record Compiled(NetworkView view, List<Flow> flows, List<Flow> routedBy, List<Flow> part) {
    }

    /** The defaults of every table: the same flows whatever the host (one part). */
    private static final List<Flow> DEFAULTS;

    static {
        List<Flow> defaults = new ArrayList<>(pipelineDefaults());
        defaults.addAll(RouterFlows.defaults());
        defaults.addAll(SecurityGroupFlows.defaults());
        DEFAULTS = List.copyOf(defaults);
    }

    private Map<String, Compiled> compiled = new HashMap<>();
    private final SecurityGroupFlows security = new SecurityGroupFlows();
    /** The routers' flows as last compiled, and the routers they came from. */
    private List<RouterView> routers = List.of();
    private List<Flow> routing = List.of();
    private Set<FlowId> routed = Set.of();

    /**
     * The host's flows: the pipeline's defaults and every network's flows. Reuses the flows of networks whose view
     * is unchanged since the last call.
     */
    public List<Flow> compile(HostView view) {
        List<Flow> out = new ArrayList<>();
        compileParts(view).forEach(out::addAll);
        return out;
    }

    /**
     * The host's flows in parts: the defaults, each secured port's, the security groups' member addresses, each
     * network's and the routers'. A part that did not change since the last call is the same list instance (the
     * data plane compares them by reference: a change costs its parts, not the table).
     */
    public List<List<Flow>> compileParts(HostView view) {
        List<List<Flow>> out = new ArrayList<>();
        out.add(DEFAULTS);
        out.addAll(security.compileParts(view.secured()));
        // A router's flow replaces a network's flow of the same identity: the gateway address, answered for by
        // the DHCP server's MAC until a router interface holds it.
        if (view.routers() != routers && !view.routers().equals(routers)) {
            routing = List.copyOf(RouterFlows.routers(view.routers()));
            Set<FlowId> ids = new HashSet<>();
            routing.forEach(f -> ids.add(f.id()));
            routed = ids;
        }
        routers = view.routers();
        Map<String, Compiled> next = new HashMap<>();
        for (NetworkView n : view.networks()) {
            Compiled c = compiled.get(n.network().id());
            if (c == null || c.view() != n && !c.view().equals(n)) {
                List<Flow> flows = List.copyOf(network(n));
                c = new Compiled(n, flows, null, flows);
            }
            if (routed.isEmpty()) {
                c = c.part() == c.flows() ? c : new Compiled(c.view(), c.flows(), null, c.flows());
            } else if (c.routedBy() != routing) {
                c = new Compiled(c.view(), c.flows(), routing, c.flows().stream().anyMatch(f -> routed.contains(f.id()))
                        ? c.flows().stream().filter(f -> !routed.contains(f.id())).toList() : c.flows());
            }
            next.put(n.network().id(), c);
            out.add(c.part());
        }
        out.add(routing);
        compiled = next;
        return out;
    }

    /**
     * A network's local tag: the VNI for VXLAN; for VLAN and flat networks bit 30, the physical network's index and
     * the VLAN id (0 for flat). Unique per network wherever segments are (Neutron allows one network per segment).
     *
     * @param physicalNetworkIndex the physical network's position among the model's physical networks
     */
    public static long tag(NetworkType type, Integer segmentationId, int physicalNetworkIndex) {
        return switch (type) {
            case VXLAN -> segmentationId;
            case VLAN -> 1L << 30 | (long) physicalNetworkIndex << 12 | segmentationId;
            case FLAT -> 1L << 30 | (long) physicalNetworkIndex << 12;
        };
    }

    static List<Flow> pipelineDefaults() {
        return List.of(
                flow(Pipeline.CLASSIFY, PRIO_DEFAULT, Match.ALL, Instructions.DROP, COOKIE_PIPELINE),
                flow(Pipeline.PORT_SECURITY, PRIO_DEFAULT, Match.ALL, Instructions.DROP, COOKIE_PIPELINE),
                flow(Pipeline.ARP_RESPONDER, PRIO_DEFAULT, Match.ALL, goTo(Pipeline.L2_LOOKUP), COOKIE_PIPELINE),
                flow(Pipeline.ARP_REPLY, PRIO_DEFAULT, Match.ALL, Instructions.DROP, COOKIE_PIPELINE),
                flow(Pipeline.L2_LOOKUP, PRIO_DEFAULT, Match.ALL, Instructions.DROP, COOKIE_PIPELINE));
    }

    /** One network's flows on this host. */
    static List<Flow> network(NetworkView n) {
        List<Flow> out = new ArrayList<>();
        long tag = n.tag();
        long cookie = COOKIE_NETWORK | tag;
        NetworkType type = n.network().type();
        int segment = n.network().segmentationId() == null ? 0 : n.network().segmentationId();
        Instructions toL2FromRemote = new Instructions(List.of(), tag | FROM_REMOTE, -1L, Pipeline.L2_LOOKUP.id());

        // Ingress from other hosts, classified by segment.
        if (type == NetworkType.VXLAN) {
            out.add(flow(Pipeline.CLASSIFY, PRIO_NETWORK, Match.builder().exact(MatchField.TUNNEL_ID, segment).build(),
                    toL2FromRemote, cookie));
        } else if (n.uplink() != HostView.NO_PORT) {
            Match.Builder m = Match.builder().exact(MatchField.IN_PORT, n.uplink());
            if (type == NetworkType.VLAN) {
                m.exact(MatchField.VLAN_VID, VLAN_PRESENT | segment);
                out.add(flow(Pipeline.CLASSIFY, PRIO_NETWORK, m.build(), new Instructions(
                        List.of(new Action.PopVlan()), tag | FROM_REMOTE, -1L, Pipeline.L2_LOOKUP.id()), cookie));
            } else {
                m.exact(MatchField.VLAN_VID, 0); // OFPVID_NONE: untagged only
                out.add(flow(Pipeline.CLASSIFY, PRIO_NETWORK, m.build(), toL2FromRemote, cookie));
            }
        }

        boolean dhcp = n.subnets().stream().anyMatch(Subnet::enableDhcp);
        Set<Long> localMacs = new LinkedHashSet<>();
        for (LocalPort lp : n.local()) {
            localPort(out, n, lp, dhcp, localMacs);
        }
        Set<Long> remoteMacs = new LinkedHashSet<>();
        for (RemotePort rp : n.remote()) {
            arpResponder(out, tag, rp.port(), cookie);
            if (type == NetworkType.VXLAN && rp.tunnel() != HostView.NO_PORT) {
                for (long mac : macs(rp.port())) {
                    if (!localMacs.contains(mac) && remoteMacs.add(mac)) {
                        out.add(flow(Pipeline.L2_LOOKUP, PRIO_EXACT, Match.builder()
                                .masked(MatchField.METADATA, tag, TAG_MASK | FROM_REMOTE)
                                .exact(MatchField.ETH_DST, mac).build(), Instructions.actions(
                                new Action.SetField(MatchField.TUNNEL_ID, segment), Action.Output.to(rp.tunnel())),
                                cookie));
                    }
                }
            }
        }

        // The DHCP server's address answers ARP (unicast renewals go to it) unless a port holds it.
        Set<Long> held = new HashSet<>();
        n.local().forEach(lp -> lp.port().fixedIps().forEach(ip -> held.add(Ipv4.parse(ip.ipAddress()))));
        n.remote().forEach(rp -> rp.port().fixedIps().forEach(ip -> held.add(Ipv4.parse(ip.ipAddress()))));
        for (Subnet s : n.subnets()) {
            if (s.enableDhcp() && Ipv4.Cidr.parse(s.cidr()) != null) {
                long server = DhcpServer.serverAddress(s);
                if (held.add(server)) {
                    arpResponder(out, tag, DhcpResponder.SERVER_MAC, server, cookie);
                }
            }
        }

        // Broadcast and unknown unicast: every local port of the network, and from a local port also every other
        // host of the network (or the provider bridge). Output to the ingress port is skipped by the switch.
        List<Action> toLocal = new ArrayList<>();
        n.local().forEach(lp -> toLocal.add(Action.Output.to(lp.ofPort())));
        List<Action> fromLocal = new ArrayList<>(toLocal);
        if (type == NetworkType.VXLAN && !n.tunnels().isEmpty()) {
            fromLocal.add(new Action.SetField(MatchField.TUNNEL_ID, segment));
            n.tunnels().forEach(t -> fromLocal.add(Action.Output.to(t)));
        } else if (type == NetworkType.VLAN && n.uplink() != HostView.NO_PORT) {
            fromLocal.add(new Action.PushVlan(ETH_VLAN));
            fromLocal.add(new Action.SetField(MatchField.VLAN_VID, VLAN_PRESENT | segment));
            fromLocal.add(Action.Output.to(n.uplink()));
        } else if (type == NetworkType.FLAT && n.uplink() != HostView.NO_PORT) {
            fromLocal.add(Action.Output.to(n.uplink()));
        }
        out.add(flow(Pipeline.L2_LOOKUP, PRIO_FLOOD, Match.builder()
                .masked(MatchField.METADATA, tag, TAG_MASK | FROM_REMOTE).build(),
                new Instructions(fromLocal, null, -1L, null), cookie));
        out.add(flow(Pipeline.L2_LOOKUP, PRIO_FLOOD, Match.builder()
                .masked(MatchField.METADATA, tag | FROM_REMOTE, TAG_MASK | FROM_REMOTE).build(),
                new Instructions(toLocal, null, -1L, null), cookie));
        // Flooded IPv4 reaches a secured port only through its ingress rules, as unicast does: instead of an output,
        // a copy looked up in the port's zone and recirculated to SG_FLOOD (each ct(table=) forks one copy). A ct
        // action is 24 bytes and a flow at most 64 KB: past MAX_FLOOD_COPIES secured ports on the network here,
        // flooded IPv4 reaches none of them (closed, rather than a flow the switch refuses and an open flood).
        boolean copies = n.local().stream().filter(lp -> lp.port().portSecurityEnabled()).count()
                <= SecurityGroupFlows.MAX_FLOOD_COPIES;
        List<Action> toLocalIp = new ArrayList<>();
        for (LocalPort lp : n.local()) {
            if (!lp.port().portSecurityEnabled()) {
                toLocalIp.add(Action.Output.to(lp.ofPort()));
            } else if (copies) {
                toLocalIp.add(SecurityGroupFlows.floodCopy(lp.ofPort()));
            }
        }
        if (!toLocalIp.equals(toLocal)) {
            List<Action> fromLocalIp = new ArrayList<>(toLocalIp);
            fromLocalIp.addAll(fromLocal.subList(toLocal.size(), fromLocal.size()));
            out.add(flow(Pipeline.L2_LOOKUP, PRIO_FLOOD + 1, Match.builder()
                    .masked(MatchField.METADATA, tag, TAG_MASK | FROM_REMOTE).exact(MatchField.ETH_TYPE, ETH_IP)
                    .build(), new Instructions(fromLocalIp, null, -1L, null), cookie));
            out.add(flow(Pipeline.L2_LOOKUP, PRIO_FLOOD + 1, Match.builder()
                    .masked(MatchField.METADATA, tag | FROM_REMOTE, TAG_MASK | FROM_REMOTE)
                    .exact(MatchField.ETH_TYPE, ETH_IP).build(), new Instructions(toLocalIp, null, -1L, null),
                    cookie));
        }
        return out;
    }

    /** An address a port may send from: its index in metadata, MAC, and IPv4 address with mask. */
    record Address(int index, long mac, long ip, long mask) {
        boolean exact() {
            return mask == 0xffffffffL;
        }
    }

    /** The port's fixed IPs, then its allowed address pairs (index {@link #ANY_ADDRESS} for a prefix). */
    static List<Address> addresses(Port p) {
        List<Address> out = new ArrayList<>();
        long mac = mac(p.macAddress());
        int i = 0;
        for (FixedIp ip : p.fixedIps()) {
            long a = Ipv4.parse(ip.ipAddress());
            if (a >= 0) {
                out.add(new Address(i++, mac, a, 0xffffffffL));
            }
        }
        for (AddressPair pair : p.allowedAddressPairs()) {
            long pairMac = pair.macAddress() == null || pair.macAddress().isEmpty() ? mac : mac(pair.macAddress());
            Ipv4.Cidr cidr = pair.ipAddress().contains("/") ? Ipv4.Cidr.parse(pair.ipAddress()) : null;
            long a = cidr != null ? cidr.first() : Ipv4.parse(pair.ipAddress());
            long mask = cidr != null ? cidr.mask() : 0xffffffffL;
            if (a < 0 || pairMac < 0) {
                continue;
            }
            out.add(new Address(mask == 0xffffffffL && i < ANY_ADDRESS ? i++ : ANY_ADDRESS, pairMac, a, mask));
        }
        return out;
    }

    private static Set<Long> macs(Port p) {
        Set<Long> macs = new LinkedHashSet<>();
        addresses(p).forEach(a -> macs.add(a.mac()));
        if (macs.isEmpty()) {
            macs.add(mac(p.macAddress()));
        }
        return macs;
    }

    private static void localPort(List<Flow> out, NetworkView n, LocalPort lp, boolean dhcp, Set<Long> localMacs) {
        Port p = lp.port();
        long tag = n.tag();
        long cookie = COOKIE_NETWORK | tag;
        long ofPort = lp.ofPort();
        long portBits = ofPort << PORT_SHIFT;
        long mac = mac(p.macAddress());
        out.add(flow(Pipeline.CLASSIFY, PRIO_EXACT, Match.builder().exact(MatchField.IN_PORT, ofPort).build(),
                new Instructions(List.of(), tag | portBits, -1L, Pipeline.PORT_SECURITY.id()), cookie));
        Match fromPort = Match.builder().masked(MatchField.METADATA, portBits, PORT_MASK).build();
        // DHCP from the port's own MAC (its source address is 0.0.0.0 before it has a lease), with port security
        // or without: the address is the port's either way.
        out.add(flow(Pipeline.PORT_SECURITY, PRIO_DHCP, fromPort.toBuilder().exact(MatchField.ETH_SRC, mac)
                .exact(MatchField.ETH_TYPE, ETH_IP).exact(MatchField.IP_PROTO, UDP)
                .exact(MatchField.UDP_SRC, DHCP_CLIENT_PORT).exact(MatchField.UDP_DST, DHCP_SERVER_PORT).build(),
                dhcp ? Instructions.actions(Action.Output.to(Action.PORT_CONTROLLER))
                        : goTo(p.portSecurityEnabled() ? Pipeline.ARP_RESPONDER : Pipeline.L2_LOOKUP),
                dhcp ? COOKIE_DHCP | tag : cookie));
        if (!p.portSecurityEnabled()) {
            // No port security: anything goes, and ARP is left to the VMs (its sender may use any MAC).
            out.add(flow(Pipeline.PORT_SECURITY, PRIO_OPEN, fromPort, goTo(Pipeline.L2_LOOKUP), cookie));
        } else {
            // A VM is no DHCP server.
            out.add(flow(Pipeline.PORT_SECURITY, PRIO_BLOCK, fromPort.toBuilder().exact(MatchField.ETH_TYPE, ETH_IP)
                    .exact(MatchField.IP_PROTO, UDP).exact(MatchField.UDP_SRC, DHCP_SERVER_PORT).build(),
                    Instructions.DROP, cookie));
            Set<FlowId> replies = new HashSet<>();
            for (Address a : addresses(p)) {
                int prio = a.exact() ? PRIO_EXACT : PRIO_PREFIX;
                // its IPv4 through its security groups' egress rules (SecurityGroupFlows)
                out.add(flow(Pipeline.PORT_SECURITY, prio, fromPort.toBuilder().exact(MatchField.ETH_SRC, a.mac())
                        .exact(MatchField.ETH_TYPE, ETH_IP).masked(MatchField.IPV4_SRC, a.ip(), a.mask()).build(),
                        goTo(Pipeline.SG_EGRESS_CT), cookie));
                out.add(flow(Pipeline.PORT_SECURITY, prio, fromPort.toBuilder().exact(MatchField.ETH_SRC, a.mac())
                        .exact(MatchField.ETH_TYPE, ETH_ARP).exact(MatchField.ARP_SHA, a.mac())
                        .masked(MatchField.ARP_SPA, a.ip(), a.mask()).build(),
                        new Instructions(List.of(), (long) a.index() << ADDRESS_SHIFT, ADDRESS_MASK,
                                Pipeline.ARP_RESPONDER.id()), cookie));
                List<Action> reply = new ArrayList<>(List.of(new Action.SetField(MatchField.ETH_DST, a.mac()),
                        new Action.SetField(MatchField.ARP_THA, a.mac())));
                if (a.exact()) {
                    reply.add(new Action.SetField(MatchField.ARP_TPA, a.ip()));
                }
                reply.add(Action.Output.to(Action.PORT_IN_PORT));
                // Two pairs may share an index only as ANY_ADDRESS: the first one's MAC answers.
                Flow replyFlow = flow(Pipeline.ARP_REPLY, prio, Match.builder()
                        .masked(MatchField.METADATA, portBits | (long) a.index() << ADDRESS_SHIFT,
                                PORT_MASK | ADDRESS_MASK).exact(MatchField.ETH_TYPE, ETH_ARP).build(),
                        new Instructions(reply, null, -1L, null), cookie);
                if (replies.add(replyFlow.id())) {
                    out.add(replyFlow);
                }
            }
        }
        arpResponder(out, tag, p, cookie);
        for (long m : macs(p)) {
            if (p.portSecurityEnabled() && !localMacs.contains(m)) {
                // IPv4 to a secured port goes through its ingress rules, its number in metadata's port bits
                out.add(flow(Pipeline.L2_LOOKUP, PRIO_EXACT + 1, Match.builder()
                        .masked(MatchField.METADATA, tag, TAG_MASK).exact(MatchField.ETH_DST, m)
                        .exact(MatchField.ETH_TYPE, ETH_IP).build(),
                        new Instructions(List.of(), portBits, PORT_MASK, Pipeline.SG_INGRESS_CT.id()), cookie));
            }
            if (localMacs.add(m)) {
                out.add(flow(Pipeline.L2_LOOKUP, PRIO_EXACT, Match.builder()
                        .masked(MatchField.METADATA, tag, TAG_MASK).exact(MatchField.ETH_DST, m).build(),
                        Instructions.actions(Action.Output.to(ofPort)), cookie));
            }
        }
    }

    /** Answers ARP requests for the port's fixed IPs within its network, wherever the port is. */
    private static void arpResponder(List<Flow> out, long tag, Port p, long cookie) {
        long mac = mac(p.macAddress());
        for (FixedIp ip : p.fixedIps()) {
            long a = Ipv4.parse(ip.ipAddress());
            if (a >= 0) {
                arpResponder(out, tag, mac, a, cookie);
            }
        }
    }

    static void arpResponder(List<Flow> out, long tag, long mac, long a, long cookie) {
        out.add(flow(Pipeline.ARP_RESPONDER, PRIO_EXACT, Match.builder()
                .masked(MatchField.METADATA, tag, TAG_MASK).exact(MatchField.ETH_TYPE, ETH_ARP)
                .exact(MatchField.ARP_OP, ARP_REQUEST).exact(MatchField.ARP_TPA, a).build(),
                new Instructions(List.of(new Action.SetField(MatchField.ETH_SRC, mac),
                        new Action.SetField(MatchField.ARP_OP, ARP_REPLY),
                        new Action.SetField(MatchField.ARP_SHA, mac),
                        new Action.SetField(MatchField.ARP_SPA, a)), null, -1L, Pipeline.ARP_REPLY.id()), cookie));
    }

    private static Instructions goTo(Pipeline table) {
        return new Instructions(List.of(), null, -1L, table.id());
    }

    static Flow flow(Pipeline table, int priority, Match match, Instructions instructions, long cookie) {
        return new Flow(table.id(), priority, match, instructions, cookie, 0, 0, Set.of());
    }

    /** A MAC address as 48 bits, or -1 when the text is not one. */
    public static long mac(String text) {
        if (text == null || !MAC.matcher(text).matches()) {
            return -1;
        }
        return Long.parseLong(text.replace(":", ""), 16);
    }
}
