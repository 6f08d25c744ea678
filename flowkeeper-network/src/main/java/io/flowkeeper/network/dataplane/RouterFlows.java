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
import io.flowkeeper.network.dataplane.HostView.Interface;
import io.flowkeeper.network.dataplane.HostView.Neighbour;
import io.flowkeeper.network.dataplane.HostView.RouterView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
