package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.FlowId;
import io.flowkeeper.api.flow.Instructions;
import io.flowkeeper.api.flow.Match;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.network.HostRoute;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.HostView.Floating;
import io.flowkeeper.network.dataplane.HostView.Gateway;
import io.flowkeeper.network.dataplane.HostView.Interface;
import io.flowkeeper.network.dataplane.HostView.Neighbour;
import io.flowkeeper.network.dataplane.HostView.RouterView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Distributed routing: every router with an interface on one of the host's networks is compiled into the host's own
 * flows, so a packet between two subnets of a router is routed on its sender's host (TTL decremented, MACs
 * rewritten) and crosses to the destination host on the destination network's tunnel, as if it had been sent
 * there. No host is on the path that is not the sender's or the receiver's. Pure, like {@link FlowCompiler}.
 *
 * <ul>
 *   <li>{@link Pipeline#ARP_RESPONDER}: the router's addresses on the host's networks answer ARP with the
 *       interface's MAC (these flows replace the DHCP server's answer for the same address, since DHCP's server
 *       address is the gateway); IP frames to the interface's MAC go to {@link Pipeline#ROUTING}.</li>
 *   <li>{@link Pipeline#ROUTING}: per source interface, each destination prefix (the router's subnets, then its
 *       static routes) by priority {@code prefix length}; echo requests from a local port to any of the router's
 *       addresses are answered (addresses and MACs swapped by set-fields, since the requester is known).</li>
 *   <li>{@link Pipeline#NEXT_HOP}: each plugged port's address on each routed subnet -> its MAC.</li>
 *   <li>{@link Pipeline#L2_LOOKUP}: for a routed network with no port on this host (so no flows of its own here),
 *       each of its MACs to the tunnel (or provider bridge) it lives behind.</li>
 * </ul>
 */
public final class RouterFlows {
    /** The cookie kind of routing flows ({@code 0x52}). */
    public static final long COOKIE_ROUTER = 0xf152000000000000L;

    /** Echo replies above any route: a router address is inside its own subnet's prefix. */
    static final int PRIO_ECHO = 300;
    /** Routes: {@code PRIO_ROUTE + 2 * prefix length}, plus one for a connected subnet (it wins a tie). */
    static final int PRIO_ROUTE = 100;
    /** The default route to the active gateway host: below every route ({@code PRIO_ROUTE} is a /0's). */
    static final int PRIO_DEFAULT_ROUTE = PRIO_ROUTE - 1;
    /** SNAT: established flows match every state but new; an SNAT commit is below them, for new only. */
    static final int PRIO_NAT_ESTABLISHED = 100;
    static final int PRIO_NAT_TRANSLATED = 150;
    /** A floating IP's stateless source translation, above the router's conntrack lookup for its subnet. */
    static final int PRIO_FLOATING = FlowCompiler.PRIO_EXACT + 10;
    static final int ZONE_BASE = 0x4000;
    static final int ZONE_COUNT = 0xbfff;
    static final int ICMP = 1;
    static final int ECHO_REQUEST = 8;
    static final int ECHO_REPLY = 0;

    private RouterFlows() {
    }

    /** The routing tables' defaults: what no route matches is dropped. */
    static List<Flow> defaults() {
        return List.of(
                FlowCompiler.flow(Pipeline.ROUTING, FlowCompiler.PRIO_DEFAULT, Match.ALL, Instructions.DROP,
                        FlowCompiler.COOKIE_PIPELINE),
                FlowCompiler.flow(Pipeline.NEXT_HOP, FlowCompiler.PRIO_DEFAULT, Match.ALL, Instructions.DROP,
                        FlowCompiler.COOKIE_PIPELINE));
    }

    /** Every router's flows on this host, each identity once (two routers may share a network). */
    static List<Flow> routers(List<RouterView> routers) {
        Map<FlowId, Flow> out = new LinkedHashMap<>();
        for (RouterView r : routers) {
            for (Flow f : router(r)) {
                out.putIfAbsent(f.id(), f);
            }
        }
        return List.copyOf(out.values());
    }

    /** One router's flows. */
    static List<Flow> router(RouterView r) {
        List<Flow> out = new ArrayList<>();
        List<Interface> all = r.interfaces();
        for (Interface s : all) {
            if (!s.local()) {
                continue; // packets are routed where they are sent: only from the host's own networks
            }
            long cookie = COOKIE_ROUTER | s.tag();
            FlowCompiler.arpResponder(out, s.tag(), s.mac(), s.ip(), cookie);
            out.add(FlowCompiler.flow(Pipeline.ARP_RESPONDER, FlowCompiler.PRIO_EXACT, Match.builder()
                    .masked(MatchField.METADATA, s.tag(), FlowCompiler.TAG_MASK)
                    .exact(MatchField.ETH_TYPE, FlowCompiler.ETH_IP).exact(MatchField.ETH_DST, s.mac()).build(),
                    goTo(Pipeline.ROUTING), cookie));
            Match fromS = Match.builder().masked(MatchField.METADATA, s.tag(), FlowCompiler.TAG_MASK)
                    .exact(MatchField.ETH_DST, s.mac()).exact(MatchField.ETH_TYPE, FlowCompiler.ETH_IP).build();

            // Connected subnets.
            for (Interface d : all) {
                out.add(FlowCompiler.flow(Pipeline.ROUTING, PRIO_ROUTE + 2 * d.cidr().prefixLength() + 1,
                        fromS.toBuilder().masked(MatchField.IPV4_DST, d.cidr().first(), d.cidr().mask()).build(),
                        new Instructions(List.of(new Action.DecTtl(), new Action.SetField(MatchField.ETH_SRC,
                                d.mac())), d.tag(), FlowCompiler.TAG_MASK, Pipeline.NEXT_HOP.id()), cookie));
            }

            // Static routes: the next hop is a port on one of the router's subnets; one next hop per destination
            // (the first by next hop address), since two would be the same match.
            Set<Ipv4.Cidr> routed = new HashSet<>();
            for (HostRoute route : r.routes().stream().sorted(Comparator.comparing(HostRoute::destination)
                    .thenComparingLong(x -> Ipv4.parse(x.nexthop()))).toList()) {
                Ipv4.Cidr dest = Ipv4.Cidr.parse(route.destination());
                long hop = Ipv4.parse(route.nexthop());
                if (dest == null || hop < 0 || !routed.add(dest.normalized())) {
                    continue;
                }
                for (Interface d : all) {
                    Neighbour n = d.cidr().contains(hop) ? neighbour(d, hop) : null;
                    if (n != null) {
                        out.add(FlowCompiler.flow(Pipeline.ROUTING, PRIO_ROUTE + 2 * dest.prefixLength(),
                                fromS.toBuilder().masked(MatchField.IPV4_DST, dest.first(), dest.mask()).build(),
                                new Instructions(List.of(new Action.DecTtl(),
                                        new Action.SetField(MatchField.ETH_SRC, d.mac()),
                                        new Action.SetField(MatchField.ETH_DST, n.mac())),
                                        d.tag(), FlowCompiler.TAG_MASK, Pipeline.L2_LOOKUP.id()), cookie));
                        break;
                    }
                }
            }

            // The default route, below every other: to the router's active gateway host, unrouted (that host
            // routes and NATs it), through the tunnel to it on the source network's VNI; or on to the NAT tables
            // when this host is the active one.
            Gateway gw = r.gateway();
            if (gw != null && gw.activeHere()) {
                out.add(FlowCompiler.flow(Pipeline.ROUTING, PRIO_DEFAULT_ROUTE, fromS, goTo(Pipeline.SNAT_CT),
                        cookie));
            } else if (gw != null && gw.tunnel() != HostView.NO_PORT && s.type() == NetworkType.VXLAN) {
                out.add(FlowCompiler.flow(Pipeline.ROUTING, PRIO_DEFAULT_ROUTE, fromS, Instructions.actions(
                        new Action.SetField(MatchField.TUNNEL_ID, s.segment()), Action.Output.to(gw.tunnel())),
                        cookie));
            }

            // Ping to any of the router's addresses from a port of this host on the subnet: the reply goes back
            // out of the port it came in on.
            for (Neighbour local : s.neighbours()) {
                if (local.ofPort() == HostView.NO_PORT) {
                    continue;
                }
                for (Interface g : all) {
                    out.add(FlowCompiler.flow(Pipeline.ROUTING, PRIO_ECHO, fromS.toBuilder()
                            .exact(MatchField.IP_PROTO, ICMP).exact(MatchField.ICMPV4_TYPE, ECHO_REQUEST)
                            .exact(MatchField.IPV4_SRC, local.ip()).exact(MatchField.IPV4_DST, g.ip()).build(),
                            Instructions.actions(new Action.SetField(MatchField.ETH_SRC, s.mac()),
                                    new Action.SetField(MatchField.ETH_DST, local.mac()),
                                    new Action.SetField(MatchField.IPV4_SRC, g.ip()),
                                    new Action.SetField(MatchField.IPV4_DST, local.ip()),
                                    new Action.SetField(MatchField.ICMPV4_TYPE, ECHO_REPLY),
                                    Action.Output.to(Action.PORT_IN_PORT)), cookie));
                }
            }
        }

        if (r.gateway() != null && r.gateway().activeHere()) {
            gateway(out, r, r.gateway());
        }

        // Next hops on every routed subnet, and delivery on the networks this host has no flows of its own for.
        for (Interface d : all) {
            long cookie = COOKIE_ROUTER | d.tag();
            Set<Long> macs = new HashSet<>();
            for (Neighbour n : d.neighbours()) {
                out.add(FlowCompiler.flow(Pipeline.NEXT_HOP, FlowCompiler.PRIO_EXACT, Match.builder()
                        .masked(MatchField.METADATA, d.tag(), FlowCompiler.TAG_MASK)
                        .exact(MatchField.ETH_TYPE, FlowCompiler.ETH_IP).exact(MatchField.IPV4_DST, n.ip()).build(),
                        new Instructions(List.of(new Action.SetField(MatchField.ETH_DST, n.mac())), null, -1L,
                                Pipeline.L2_LOOKUP.id()), cookie));
                if (!d.local() && macs.add(n.mac())) {
                    List<Action> deliver = delivery(d, n);
                    if (!deliver.isEmpty()) {
                        out.add(FlowCompiler.flow(Pipeline.L2_LOOKUP, FlowCompiler.PRIO_EXACT, Match.builder()
                                .masked(MatchField.METADATA, d.tag(), FlowCompiler.TAG_MASK | FlowCompiler.FROM_REMOTE)
                                .exact(MatchField.ETH_DST, n.mac()).build(), new Instructions(deliver, null, -1L, null), cookie));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The router's conntrack zone on its gateway host: {@code 0x4000} and up, by a hash of its id, apart from the
     * ports' zones (their OpenFlow port numbers, which OVS hands out from 1 up) so NAT and security groups never
     * share a connection entry. Two routers with the same zone on one host share its connection table: harmless
     * unless their subnets overlap (see docs/architecture.md).
     */
    public static int zone(String routerId) {
        CRC32 crc = new CRC32();
        crc.update(routerId.getBytes(StandardCharsets.UTF_8));
        return ZONE_BASE + (int) (crc.getValue() % ZONE_COUNT);
    }

    /**
     * The active gateway host's NAT. Floating IPs are 1:1 and stateless: from outside to a floating IP, the
     * destination becomes the fixed IP and the frame is routed to the port (L2 and TTL rewritten); from a port with a
     * floating IP going out, the source becomes the floating IP and the frame leaves by the uplink. No connection
     * state is involved, so the standby that takes over translates an established connection's next segment exactly
     * as the old active did, and the TCP session survives a failover. SNAT (many sources to the external IP) needs
     * state, and stays conntrack in the router's zone: frames a subnet sends to its router interface's MAC (by the
     * default route) are looked up and, when new, committed with source NAT; frames from the external network to the
     * external IP are looked up (un-NATed) and routed to the subnet. L2 and TTL are rewritten before the commit.
     *
     * <p>Stateless translation rewrites the outer IPv4 header only: an ICMP error about a floating IP's connection
     * keeps the untranslated addresses in the header it quotes (conntrack would rewrite them), so its receiver
     * cannot match it to a socket. Fragments are translated one by one, by their IPv4 header.
     */
    private static void gateway(List<Flow> out, RouterView r, Gateway gw) {
        if (gw.uplink() == HostView.NO_PORT) {
            return; // no patch port to the external network's bridge on this host (yet)
        }
        long cookie = COOKIE_ROUTER | gw.tag();
        int zone = gw.zone();
        List<Action> toUplink = new ArrayList<>();
        if (gw.type() == NetworkType.VLAN) {
            toUplink.add(new Action.PushVlan(FlowCompiler.ETH_VLAN));
            toUplink.add(new Action.SetField(MatchField.VLAN_VID, FlowCompiler.VLAN_PRESENT | gw.segment()));
        }
        toUplink.add(Action.Output.to(gw.uplink()));

        // In from the external network: the gateway's MAC on the uplink (untagged or the network's VLAN).
        Match.Builder fromOutside = Match.builder().exact(MatchField.IN_PORT, gw.uplink())
                .exact(MatchField.ETH_DST, gw.mac());
        List<Action> pop = new ArrayList<>();
        if (gw.type() == NetworkType.VLAN) {
            fromOutside.exact(MatchField.VLAN_VID, FlowCompiler.VLAN_PRESENT | gw.segment());
            pop.add(new Action.PopVlan());
        } else {
            fromOutside.exact(MatchField.VLAN_VID, 0);
        }
        out.add(FlowCompiler.flow(Pipeline.CLASSIFY, FlowCompiler.PRIO_EXACT, fromOutside.build(),
                new Instructions(pop, gw.tag() | FlowCompiler.FROM_REMOTE, -1L, Pipeline.UNSNAT_CT.id()), cookie));
        Match toAddress = Match.builder().masked(MatchField.METADATA, gw.tag(), FlowCompiler.TAG_MASK)
                .exact(MatchField.ETH_TYPE, FlowCompiler.ETH_IP).build();
        out.add(FlowCompiler.flow(Pipeline.UNSNAT_CT, FlowCompiler.PRIO_EXACT, toAddress.toBuilder()
                .exact(MatchField.IPV4_DST, gw.ip()).build(), Instructions.actions(new Action.Ct(false, zone, null,
                Pipeline.UNSNAT.id(), Action.Nat.existing(), null)), cookie));
        for (Floating f : gw.floating()) {
            Interface d = subnetOf(r, f.fixedIp());
            if (d == null) {
                continue;
            }
            // To a floating IP: translated to the fixed IP and routed straight to the port's MAC on its network
            // (the whole metadata written: no longer "from another host", so L2_LOOKUP may tunnel it to the port).
            out.add(FlowCompiler.flow(Pipeline.UNSNAT_CT, FlowCompiler.PRIO_EXACT, toAddress.toBuilder()
                    .exact(MatchField.IPV4_DST, f.floatingIp()).build(),
                    new Instructions(List.of(new Action.SetField(MatchField.IPV4_DST, f.fixedIp()),
                            new Action.DecTtl(), new Action.SetField(MatchField.ETH_SRC, d.mac()),
                            new Action.SetField(MatchField.ETH_DST, f.mac())), d.tag(), -1L,
                            Pipeline.L2_LOOKUP.id()), cookie));
        }
        Match inZone = Match.builder().exact(MatchField.ETH_TYPE, FlowCompiler.ETH_IP)
                .exact(MatchField.CT_ZONE, zone).build();
        Set<Ipv4.Cidr> routed = new HashSet<>();
        for (Interface d : r.interfaces()) {
            if (!routed.add(d.cidr())) {
                continue;
            }
            // Translated back by the lookup (a reply of an SNAT connection, also one still "new" as no reply was
            // seen yet): routed.
            out.add(FlowCompiler.flow(Pipeline.UNSNAT, PRIO_NAT_ESTABLISHED + d.cidr().prefixLength(),
                    inZone.toBuilder().masked(MatchField.CT_STATE, MatchField.CT_TRK,
                            MatchField.CT_INV | MatchField.CT_TRK)
                            .masked(MatchField.IPV4_DST, d.cidr().first(), d.cidr().mask()).build(),
                    new Instructions(List.of(new Action.DecTtl(), new Action.SetField(MatchField.ETH_SRC, d.mac())),
                            d.tag(), -1L, Pipeline.NEXT_HOP.id()), cookie));
        }

        // Out to the external network, from each subnet of the router.
        List<Action> rewrite = List.of(new Action.DecTtl(), new Action.SetField(MatchField.ETH_SRC, gw.mac()));
        for (Interface s : r.interfaces()) {
            if (s.type() == NetworkType.VXLAN) {
                // sent here by another host's default route: the frame still addressed to the router interface
                out.add(FlowCompiler.flow(Pipeline.CLASSIFY, FlowCompiler.PRIO_EXACT, Match.builder()
                        .exact(MatchField.TUNNEL_ID, s.segment()).exact(MatchField.ETH_DST, s.mac()).build(),
                        new Instructions(List.of(), s.tag() | FlowCompiler.FROM_REMOTE, -1L, Pipeline.SNAT_CT.id()),
                        cookie));
            }
            Match toRouter = Match.builder().masked(MatchField.METADATA, s.tag(), FlowCompiler.TAG_MASK)
                    .exact(MatchField.ETH_DST, s.mac()).exact(MatchField.ETH_TYPE, FlowCompiler.ETH_IP).build();
            for (Floating f : gw.floating()) {
                if (s.cidr().contains(f.fixedIp())) {
                    // From a port with a floating IP: that is its source outside, with no conntrack on the way,
                    // so it never reaches SNAT's commit below.
                    List<Action> translate = new ArrayList<>(rewrite);
                    translate.add(new Action.SetField(MatchField.IPV4_SRC, f.floatingIp()));
                    translate.addAll(toUplink);
                    out.add(FlowCompiler.flow(Pipeline.SNAT_CT, PRIO_FLOATING, toRouter.toBuilder()
                            .exact(MatchField.IPV4_SRC, f.fixedIp()).build(),
                            Instructions.actions(translate.toArray(Action[]::new)), cookie));
                }
            }
            out.add(FlowCompiler.flow(Pipeline.SNAT_CT, FlowCompiler.PRIO_EXACT, toRouter,
                    Instructions.actions(new Action.Ct(false, zone, null, Pipeline.SNAT.id(), Action.Nat.existing(),
                            null)), cookie));
            Match fromS = inZone.toBuilder().exact(MatchField.ETH_DST, s.mac()).build();
            List<Action> established = new ArrayList<>(rewrite);
            established.addAll(toUplink);
            out.add(FlowCompiler.flow(Pipeline.SNAT, PRIO_NAT_ESTABLISHED, fromS.toBuilder()
                    .masked(MatchField.CT_STATE, MatchField.CT_TRK,
                            MatchField.CT_NEW | MatchField.CT_INV | MatchField.CT_TRK).build(),
                    Instructions.actions(established.toArray(Action[]::new)), cookie));
            // Translated by the lookup although "new" (no reply seen yet): its source is already the router's
            // address, and it goes out as it is rather than being committed again.
            out.add(FlowCompiler.flow(Pipeline.SNAT, PRIO_NAT_TRANSLATED, fromS.toBuilder()
                    .masked(MatchField.CT_STATE, MatchField.CT_TRK, MatchField.CT_INV | MatchField.CT_TRK)
                    .exact(MatchField.IPV4_SRC, gw.ip()).build(),
                    Instructions.actions(established.toArray(Action[]::new)), cookie));
            if (gw.snat()) {
                Match fresh = fromS.toBuilder().masked(MatchField.CT_STATE, MatchField.CT_NEW | MatchField.CT_TRK,
                        MatchField.CT_NEW | MatchField.CT_INV | MatchField.CT_TRK).build();
                out.add(FlowCompiler.flow(Pipeline.SNAT, PRIO_NAT_ESTABLISHED - 1, fresh,
                        Instructions.actions(commitThenOut(rewrite, zone, gw.ip(), toUplink)), cookie));
            }
        }
    }

    private static Action[] commitThenOut(List<Action> rewrite, int zone, long source, List<Action> toUplink) {
        List<Action> out = new ArrayList<>(rewrite);
        out.add(new Action.Ct(true, zone, null, Action.CT_NO_TABLE,
                new Action.Nat(Action.Nat.Kind.SRC, source, source, 0, 0), null));
        out.addAll(toUplink);
        return out.toArray(Action[]::new);
    }

    /** The router interface whose subnet holds {@code ip}, or null. */
    private static Interface subnetOf(RouterView r, long ip) {
        return r.interfaces().stream().filter(i -> i.cidr().contains(ip)).findFirst().orElse(null);
    }

    /** How a routed frame reaches a port of a network with no port on this host; empty when it cannot yet. */
    private static List<Action> delivery(Interface d, Neighbour n) {
        if (d.type() == NetworkType.VXLAN) {
            return n.tunnel() == HostView.NO_PORT ? List.of() : List.of(
                    new Action.SetField(MatchField.TUNNEL_ID, d.segment()), Action.Output.to(n.tunnel()));
        }
        if (d.uplink() == HostView.NO_PORT) {
            return List.of();
        }
        if (d.type() == NetworkType.VLAN) {
            return List.of(new Action.PushVlan(FlowCompiler.ETH_VLAN),
                    new Action.SetField(MatchField.VLAN_VID, FlowCompiler.VLAN_PRESENT | d.segment()),
                    Action.Output.to(d.uplink()));
        }
        return List.of(Action.Output.to(d.uplink()));
    }

    private static Neighbour neighbour(Interface d, long ip) {
        return d.neighbours().stream().filter(n -> n.ip() == ip).findFirst().orElse(null);
    }

    private static Instructions goTo(Pipeline table) {
        return new Instructions(List.of(), null, -1L, table.id());
    }
}
