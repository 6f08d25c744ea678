package io.flowkeeper.network.dataplane;

import io.flowkeeper.api.dhcp.DhcpResponder;
import static io.flowkeeper.api.flow.MatchField.ARP_OP;
import static io.flowkeeper.api.flow.MatchField.ARP_SHA;
import static io.flowkeeper.api.flow.MatchField.ARP_SPA;
import static io.flowkeeper.api.flow.MatchField.ARP_THA;
import static io.flowkeeper.api.flow.MatchField.ARP_TPA;
import static io.flowkeeper.api.flow.MatchField.ETH_DST;
import static io.flowkeeper.api.flow.MatchField.ETH_SRC;
import static io.flowkeeper.api.flow.MatchField.ETH_TYPE;
import static io.flowkeeper.api.flow.MatchField.ICMPV4_TYPE;
import static io.flowkeeper.api.flow.MatchField.IN_PORT;
import static io.flowkeeper.api.flow.MatchField.IPV4_DST;
import static io.flowkeeper.api.flow.MatchField.IPV4_SRC;
import static io.flowkeeper.api.flow.MatchField.TUNNEL_ID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.network.HostRoute;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.FlowTableEvaluator.Emitted;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Distributed routing, evaluated on the compiled flows: "where does this packet go, and how does it look there". */
class RouterFlowsTest {
    private static final String MAC_A = "fa:16:3e:00:00:0a";
    private static final String MAC_B = "fa:16:3e:00:00:0b";
    private static final String MAC_C = "fa:16:3e:00:00:0c";
    private static final String R1 = "fa:16:3e:00:01:01";
    private static final String R2 = "fa:16:3e:00:01:02";

    private Network net1;
    private Network net2;

    /**
     * Two VXLAN networks joined by router r: net1 (VNI 100, 10.0.0.0/24) with A on h1, net2 (VNI 200,
     * 10.0.1.0/24) with B on h2 and C on h3. h1 has no port on net2, h2 none on net1: routing must still get there.
     */
    private TestModel routed(List<HostRoute> routes) {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of());
        m.host("h2", "192.0.2.2", Map.of());
        m.host("h3", "192.0.2.3", Map.of());
        m.meshTunnels();
        net1 = m.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/24", true);
        net2 = m.network("net2", "p1", NetworkType.VXLAN, null, 200, "10.0.1.0/24", true);
        m.port("a", net1, MAC_A, "10.0.0.3", "h1");
        m.port("b", net2, MAC_B, "10.0.1.4", "h2");
        m.port("c", net2, MAC_C, "10.0.1.5", "h3");
        m.router("r", true, routes);
        m.routerInterface("r-if1", "r", net1, R1, "10.0.0.1");
        m.routerInterface("r-if2", "r", net2, R2, "10.0.1.1");
        return m;
    }

    private static Map<MatchField, Long> fromTunnel(long tunnel, long vni, Map<MatchField, Long> p) {
        p.put(IN_PORT, tunnel);
        p.put(TUNNEL_ID, vni);
        return p;
    }

    private static Emitted one(List<Emitted> out) {
        assertEquals(1, out.size(), out.toString());
        return out.get(0);
    }

    @Test
    void aPacketToAnotherSubnetIsRoutedOnTheSendersHostAndArrivesOnTheDestinationNetworksTunnel() {
        TestModel m = routed(List.of());
        // h1 has no port on net2: the packet leaves routed, on net2's VNI, for B's host
        Emitted e = one(new FlowTableEvaluator(m.compile("h1"))
                .run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "10.0.1.4")));
        assertEquals(m.tunnel("h1", "h2"), e.port());
        assertEquals(200, e.get(TUNNEL_ID));
        assertEquals(FlowCompiler.mac(R2), e.get(ETH_SRC));
        assertEquals(FlowCompiler.mac(MAC_B), e.get(ETH_DST));
        assertEquals(Ipv4.parse("10.0.0.3"), e.get(IPV4_SRC));
        assertEquals(1, e.ttlDecrements());

        // on h2 it is plain switching on net2: delivered to B unchanged
        Emitted d = one(new FlowTableEvaluator(m.compile("h2")).run(fromTunnel(m.tunnel("h2", "h1"), 200,
                TestModel.icmpEcho(0, R2, MAC_B, "10.0.0.3", "10.0.1.4"))));
        assertEquals(m.ofPort("b"), d.port());
        assertEquals(0, d.ttlDecrements());

        // and the reply is routed on h2, back on net1's VNI to A's host
        Emitted r = one(new FlowTableEvaluator(m.compile("h2"))
                .run(TestModel.icmpEcho(m.ofPort("b"), MAC_B, R2, "10.0.1.4", "10.0.0.3")));
        assertEquals(m.tunnel("h2", "h1"), r.port());
        assertEquals(100, r.get(TUNNEL_ID));
        assertEquals(FlowCompiler.mac(R1), r.get(ETH_SRC));
        assertEquals(FlowCompiler.mac(MAC_A), r.get(ETH_DST));
        assertEquals(1, r.ttlDecrements());
    }

    @Test
    void aRoutedPacketToAPortOnTheSameHostIsDeliveredThere() {
        TestModel m = routed(List.of());
        m.port("d", net2, "fa:16:3e:00:00:0d", "10.0.1.6", "h1");
        Emitted e = one(new FlowTableEvaluator(m.compile("h1"))
                .run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "10.0.1.6")));
        assertEquals(m.ofPort("d"), e.port());
        assertEquals(FlowCompiler.mac(R2), e.get(ETH_SRC));
        assertEquals(FlowCompiler.mac("fa:16:3e:00:00:0d"), e.get(ETH_DST));
        assertEquals(1, e.ttlDecrements());
    }

    @Test
    void anAddressNoPortHoldsIsNotRoutedAnywhere() {
        TestModel m = routed(List.of());
        assertEquals(List.of(), new FlowTableEvaluator(m.compile("h1"))
                .run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "10.0.1.99")));
        assertEquals(List.of(), new FlowTableEvaluator(m.compile("h1"))
                .run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "172.16.0.1")));
    }

    @Test
    void theGatewayAnswersArpWithTheRoutersMacNotTheDhcpServers() {
        TestModel m = routed(List.of());
        Map<MatchField, Long> p = new EnumMap<>(MatchField.class);
        p.put(IN_PORT, m.ofPort("a"));
        p.put(ETH_SRC, FlowCompiler.mac(MAC_A));
        p.put(ETH_DST, 0xffffffffffffL);
        p.put(ETH_TYPE, 0x0806L);
        p.put(ARP_OP, 1L);
        p.put(ARP_SHA, FlowCompiler.mac(MAC_A));
        p.put(ARP_SPA, Ipv4.parse("10.0.0.3"));
        p.put(ARP_THA, 0L);
        p.put(ARP_TPA, Ipv4.parse("10.0.0.1"));
        Emitted e = one(new FlowTableEvaluator(m.compile("h1")).run(p));
        assertEquals(m.ofPort("a"), e.port());
        assertEquals(2, e.get(ARP_OP));
        assertEquals(FlowCompiler.mac(R1), e.get(ARP_SHA));
        assertEquals(FlowCompiler.mac(R1), e.get(ETH_SRC));
        assertEquals(Ipv4.parse("10.0.0.1"), e.get(ARP_SPA));
        assertEquals(FlowCompiler.mac(MAC_A), e.get(ARP_THA));

        // without the router the DHCP server's MAC answers for the same address, as before
        m.remove("r-if1");
        e = one(new FlowTableEvaluator(m.compile("h1")).run(p));
        assertEquals(DhcpResponder.SERVER_MAC, e.get(ARP_SHA));
    }

    @Test
    void pingToEitherRouterAddressIsAnsweredBackOutOfTheSendersPort() {
        TestModel m = routed(List.of());
        FlowTableEvaluator h1 = new FlowTableEvaluator(m.compile("h1"));
        for (String gateway : List.of("10.0.0.1", "10.0.1.1")) {
            Emitted e = one(h1.run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", gateway)));
            assertEquals(m.ofPort("a"), e.port());
            assertEquals(0, e.get(ICMPV4_TYPE));
            assertEquals(Ipv4.parse(gateway), e.get(IPV4_SRC));
            assertEquals(Ipv4.parse("10.0.0.3"), e.get(IPV4_DST));
            assertEquals(FlowCompiler.mac(R1), e.get(ETH_SRC));
            assertEquals(FlowCompiler.mac(MAC_A), e.get(ETH_DST));
        }
        // only echo requests are answered
        Map<MatchField, Long> other = TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "10.0.0.1");
        other.put(ICMPV4_TYPE, 0L);
        assertEquals(List.of(), h1.run(other), "an echo reply to the gateway is not answered");
    }

    @Test
    void staticRoutesGoToTheirNextHopLongestPrefixFirst() {
        TestModel m = routed(List.of(new HostRoute("172.16.0.0/16", "10.0.1.4"),
                new HostRoute("172.16.9.0/24", "10.0.1.5"), new HostRoute("192.168.7.0/24", "10.0.1.77")));
        FlowTableEvaluator h1 = new FlowTableEvaluator(m.compile("h1"));
        Emitted wide = one(h1.run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "172.16.1.1")));
        assertEquals(m.tunnel("h1", "h2"), wide.port());
        assertEquals(200, wide.get(TUNNEL_ID));
        assertEquals(FlowCompiler.mac(MAC_B), wide.get(ETH_DST));
        assertEquals(FlowCompiler.mac(R2), wide.get(ETH_SRC));
        assertEquals(Ipv4.parse("172.16.1.1"), wide.get(IPV4_DST));
        assertEquals(1, wide.ttlDecrements());

        Emitted narrow = one(h1.run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "172.16.9.9")));
        assertEquals(m.tunnel("h1", "h3"), narrow.port());
        assertEquals(FlowCompiler.mac(MAC_C), narrow.get(ETH_DST));

        // a next hop no port holds routes nothing
        assertEquals(List.of(), h1.run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "192.168.7.1")));
    }

    @Test
    void removingTheInterfaceOrDisablingTheRouterStopsRouting() {
        TestModel m = routed(List.of());
        Map<MatchField, Long> p = TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "10.0.1.4");
        m.remove("r-if2");
        assertTrue(new FlowTableEvaluator(m.compile("h1")).run(p).stream().noneMatch(e -> e.ttlDecrements() > 0
                || e.get(TUNNEL_ID) == 200), "still routed without the interface");

        m = routed(List.of());
        m.router("r", false, List.of());
        assertTrue(new FlowTableEvaluator(m.compile("h1")).run(p).stream().noneMatch(e -> e.ttlDecrements() > 0
                || e.get(TUNNEL_ID) == 200), "still routed with the router down");
    }

    @Test
    void aHostWithNoPortOnAnyOfTheRoutersNetworksGetsNoneOfItsFlows() {
        TestModel m = routed(List.of());
        m.host("h4", "192.0.2.4", Map.of());
        Network other = m.network("net3", "p1", NetworkType.VXLAN, null, 300, "10.0.3.0/24", true);
        m.port("e", other, "fa:16:3e:00:00:0e", "10.0.3.3", "h4");
        assertTrue(m.compile("h4").stream().noneMatch(f -> (f.cookie() & FlowCompiler.COOKIE_KIND_MASK)
                == RouterFlows.COOKIE_ROUTER), "router flows on a host the router does not reach");
        assertEquals(List.of(), m.view("h4").routers());
    }

    @Test
    void aHostNeedsTunnelsToTheHostsOfEveryNetworkRoutedToItsOwn() {
        TestModel m = routed(List.of());
        m.host("h4", "192.0.2.4", Map.of());
        Network other = m.network("net3", "p1", NetworkType.VXLAN, null, 300, "10.0.3.0/24", true);
        m.port("e", other, "fa:16:3e:00:00:0e", "10.0.3.3", "h4");
        Map<String, Set<String>> peers = TenantDataplane.routedPeersByHost(m.model());
        assertEquals(Set.of("h2", "h3"), peers.get("h1"));
        assertEquals(Set.of("h1", "h3"), peers.get("h2"));
        assertEquals(null, peers.get("h4"));

        m.router("r", false, List.of());
        assertEquals(Map.of(), TenantDataplane.routedPeersByHost(m.model()), "a router that is down routes nothing");
    }

    private static final String GW = "fa:16:3e:00:02:01";

    /** {@link #routed} with gateway hosts g1 and g2 (flat external network extnet on br-ex) and r's gateway on it. */
    private TestModel withGateway(String active) {
        TestModel m = routed(List.of());
        m.host("g1", "192.0.2.11", Map.of("extnet", "br-ex"));
        m.host("g2", "192.0.2.12", Map.of("extnet", "br-ex"));
        m.meshTunnels();
        Network ext = m.network("ext", "p1", NetworkType.FLAT, "extnet", null, "172.24.4.0/24", false);
        m.gateway("r", ext, GW, "172.24.4.10", true, active, "g1", "g2");
        return m;
    }

    @Test
    void aRoutersGatewayHostsPeerTheHostsOfItsSubnetsAndEachOther() {
        Map<String, Set<String>> peers = TenantDataplane.routedPeersByHost(withGateway("g1").model());
        // g1 and g2 reach the subnets' hosts and each other (BFD on that tunnel tells the standby of a dead active)
        assertTrue(peers.get("g1").containsAll(Set.of("g2", "h1", "h2")), peers.toString());
        assertTrue(peers.get("g2").containsAll(Set.of("g1", "h1", "h2")), peers.toString());
        assertTrue(peers.get("h1").containsAll(Set.of("g1", "g2")), peers.toString());
        assertTrue(peers.values().stream().allMatch(s -> s.size() == new java.util.HashSet<>(s).size()));
        peers.forEach((h, s) -> assertTrue(!s.contains(h), h + " peers itself"));
    }

    private static long uplink(TestModel m, String host) {
        return m.switchPorts.get(host).get(io.flowkeeper.api.network.Host.providerPatchPortName("br-ex"));
    }

    private static boolean nats(List<io.flowkeeper.api.flow.Flow> flows, Action.Nat.Kind kind, String to) {
        long a = Ipv4.parse(to);
        return flows.stream().flatMap(f -> f.instructions().applyActions().stream()).anyMatch(x ->
                x instanceof Action.Ct ct && ct.commit() && ct.nat() != null && ct.nat().kind() == kind
                        && ct.nat().ipMin() == a);
    }

    private static boolean natsAnything(List<io.flowkeeper.api.flow.Flow> flows) {
        return flows.stream().flatMap(f -> f.instructions().applyActions().stream())
                .anyMatch(x -> x instanceof Action.Ct ct && ct.nat() != null);
    }

    @Test
    void aSubnetsDefaultRouteLeadsToTheActiveGatewayHostWhichSourceNatsItOutOfTheUplink() {
        TestModel m = withGateway("g1");
        // on A's host: unrouted, through the tunnel to the active gateway host, on net1's VNI
        Emitted e = one(new FlowTableEvaluator(m.compile("h1"))
                .run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "198.51.100.7")));
        assertEquals(m.tunnel("h1", "g1"), e.port());
        assertEquals(100, e.get(TUNNEL_ID));
        assertEquals(FlowCompiler.mac(R1), e.get(ETH_DST));
        assertEquals(0, e.ttlDecrements());

        // on g1: routed (TTL, the gateway's MAC) and committed with SNAT to the external IP, out of the uplink
        List<io.flowkeeper.api.flow.Flow> g1 = m.compile("g1");
        Emitted out = one(new FlowTableEvaluator(g1).run(fromTunnel(m.tunnel("g1", "h1"), 100,
                TestModel.icmpEcho(0, MAC_A, R1, "10.0.0.3", "198.51.100.7"))));
        assertEquals(uplink(m, "g1"), out.port());
        assertEquals(FlowCompiler.mac(GW), out.get(ETH_SRC));
        assertEquals(1, out.ttlDecrements());
        assertTrue(nats(g1, Action.Nat.Kind.SRC, "172.24.4.10"), g1.toString());
        // the standby and the subnets' hosts NAT nothing
        for (String h : List.of("g2", "h1", "h2")) {
            assertTrue(!natsAnything(m.compile(h)), h);
        }

        // a failover moves the NAT and every default route with the active
        m.gateways.put("r", new HostViews.GatewayPlacement(List.of("g1", "g2"), "g2"));
        assertEquals(m.tunnel("h1", "g2"), one(new FlowTableEvaluator(m.compile("h1"))
                .run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, R1, "10.0.0.3", "198.51.100.7"))).port());
        assertTrue(nats(m.compile("g2"), Action.Nat.Kind.SRC, "172.24.4.10"));
        assertTrue(!natsAnything(m.compile("g1")));
    }

    /** A TCP segment in the middle of a connection (an ACK: no SYN), as a failover's new active first sees it. */
    private static Map<MatchField, Long> tcpSegment(long inPort, String srcMac, String dstMac, String srcIp,
                                                    String dstIp, long srcPort, long dstPort) {
        Map<MatchField, Long> p = TestModel.icmpEcho(inPort, srcMac, dstMac, srcIp, dstIp);
        p.remove(ICMPV4_TYPE);
        p.put(MatchField.IP_PROTO, 6L);
        p.put(MatchField.TCP_SRC, srcPort);
        p.put(MatchField.TCP_DST, dstPort);
        return p;
    }

    private TestModel withFloatingIp(String active) {
        TestModel m = withGateway(active);
        m.floatingIps.add(new io.flowkeeper.api.network.FloatingIp("f1", "p1", "ext", "172.24.4.20", "a",
                "10.0.0.3", "r", 1));
        return m;
    }

    @Test
    void aFloatingIpIsTranslatedBothWaysStatelesslyOnTheActiveGatewayHostOnly() {
        TestModel m = withFloatingIp("g1");
        List<io.flowkeeper.api.flow.Flow> g1 = m.compile("g1");
        assertTrue(!nats(g1, Action.Nat.Kind.DST, "10.0.0.3"), "no conntrack DNAT for a floating IP");
        assertTrue(!nats(g1, Action.Nat.Kind.SRC, "172.24.4.20"), "no conntrack SNAT to a floating IP");
        // in from outside to the floating IP: to A's fixed IP, routed to A's host on net1's VNI, to A's MAC from
        // the router's, and never through the connection tracker (a tracked packet would carry ct_state)
        Map<MatchField, Long> in = TestModel.icmpEcho(uplink(m, "g1"), "02:00:00:00:99:01", GW, "172.24.4.1",
                "172.24.4.20");
        Emitted e = one(new FlowTableEvaluator(g1).run(in));
        assertEquals(m.tunnel("g1", "h1"), e.port());
        assertEquals(100, e.get(TUNNEL_ID));
        assertEquals(Ipv4.parse("10.0.0.3"), e.get(IPV4_DST));
        assertEquals(Ipv4.parse("172.24.4.1"), e.get(IPV4_SRC));
        assertEquals(FlowCompiler.mac(MAC_A), e.get(ETH_DST));
        assertEquals(FlowCompiler.mac(R1), e.get(ETH_SRC));
        assertEquals(1, e.ttlDecrements());
        assertTrue(!e.fields().containsKey(MatchField.CT_STATE), e.toString());

        // out from A (by h1's default route, through the tunnel): the floating IP as source, out of the uplink
        Map<MatchField, Long> back = fromTunnel(m.tunnel("g1", "h1"), 100,
                TestModel.icmpEcho(0, MAC_A, R1, "10.0.0.3", "172.24.4.1"));
        Emitted o = one(new FlowTableEvaluator(g1).run(back));
        assertEquals(uplink(m, "g1"), o.port());
        assertEquals(Ipv4.parse("172.24.4.20"), o.get(IPV4_SRC));
        assertEquals(Ipv4.parse("172.24.4.1"), o.get(IPV4_DST));
        assertEquals(FlowCompiler.mac(GW), o.get(ETH_SRC));
        assertEquals(1, o.ttlDecrements());
        assertTrue(!o.fields().containsKey(MatchField.CT_STATE), o.toString());
        assertTrue(!natsAnything(m.compile("g2")));

        // disassociated: nothing answers for it any more, and A goes out by SNAT again
        m.floatingIps.clear();
        List<io.flowkeeper.api.flow.Flow> without = m.compile("g1");
        assertEquals(List.of(), new FlowTableEvaluator(without).run(in));
        Emitted snat = one(new FlowTableEvaluator(without).run(back));
        assertEquals(Ipv4.parse("10.0.0.3"), snat.get(IPV4_SRC), "translated by the commit, not a set-field");
        assertTrue(snat.fields().containsKey(MatchField.CT_STATE), "SNAT is conntrack");
    }

    @Test
    void aFloatingIpsEstablishedTcpSessionPassesTheNewActiveAfterAFailoverBothWays() {
        TestModel m = withFloatingIp("g1");
        Map<MatchField, Long> in = tcpSegment(uplink(m, "g1"), "02:00:00:00:99:01", GW, "172.24.4.1",
                "172.24.4.20", 40000, 5010);
        Map<MatchField, Long> out = fromTunnel(m.tunnel("g1", "h1"), 100,
                tcpSegment(0, MAC_A, R1, "10.0.0.3", "172.24.4.1", 5010, 40000));
        Emitted inOnG1 = one(new FlowTableEvaluator(m.compile("g1")).run(in));
        Emitted outOnG1 = one(new FlowTableEvaluator(m.compile("g1")).run(out));

        // g2 takes over with an empty connection tracker: the session's next segments, both ways, come out of it
        // exactly as they came out of g1 (only the ports are g2's own)
        m.gateways.put("r", new HostViews.GatewayPlacement(List.of("g1", "g2"), "g2"));
        FlowTableEvaluator g2 = new FlowTableEvaluator(m.compile("g2"));
        in.put(IN_PORT, uplink(m, "g2"));
        out.put(IN_PORT, m.tunnel("g2", "h1"));
        Emitted inOnG2 = one(g2.run(in));
        Emitted outOnG2 = one(g2.run(out));
        assertEquals(m.tunnel("g2", "h1"), inOnG2.port());
        assertEquals(uplink(m, "g2"), outOnG2.port());
        for (MatchField f : List.of(IPV4_SRC, IPV4_DST, ETH_SRC, ETH_DST, TUNNEL_ID, MatchField.TCP_SRC,
                MatchField.TCP_DST)) {
            assertEquals(inOnG1.get(f), inOnG2.get(f), f.toString());
            assertEquals(outOnG1.get(f), outOnG2.get(f), f.toString());
        }
        assertEquals(Ipv4.parse("10.0.0.3"), inOnG2.get(IPV4_DST));
        assertEquals(Ipv4.parse("172.24.4.20"), outOnG2.get(IPV4_SRC));
        assertTrue(!natsAnything(m.compile("g1")), "the old active keeps nothing");
    }

    @Test
    void snatStaysConntrackForPortsWithoutAFloatingIpAndNeverTouchesOnesWithIt() {
        TestModel m = withFloatingIp("g1");
        List<io.flowkeeper.api.flow.Flow> g1 = m.compile("g1");
        assertTrue(nats(g1, Action.Nat.Kind.SRC, "172.24.4.10"), "SNAT to the external IP");
        // B (net2, on h2, no floating IP) goes out through the router's zone, committed with SNAT
        Emitted b = one(new FlowTableEvaluator(g1).run(fromTunnel(m.tunnel("g1", "h2"), 200,
                tcpSegment(0, MAC_B, R2, "10.0.1.4", "172.24.4.1", 40001, 80))));
        assertEquals(uplink(m, "g1"), b.port());
        assertEquals((long) RouterFlows.zone("r"), b.get(MatchField.CT_ZONE));
        assertEquals(FlowCompiler.mac(GW), b.get(ETH_SRC));
        // an address of A's subnet that is not A's own is not translated to A's floating IP
        Emitted other = one(new FlowTableEvaluator(g1).run(fromTunnel(m.tunnel("g1", "h1"), 100,
                tcpSegment(0, "fa:16:3e:00:00:99", R1, "10.0.0.99", "172.24.4.1", 40002, 80))));
        assertEquals(Ipv4.parse("10.0.0.99"), other.get(IPV4_SRC));
        assertTrue(other.fields().containsKey(MatchField.CT_STATE));
        // the router's external IP is still looked up, and a segment no SNAT connection knows is not routed
        assertEquals(List.of(), new FlowTableEvaluator(g1).run(tcpSegment(uplink(m, "g1"), "02:00:00:00:99:01",
                GW, "172.24.4.1", "172.24.4.10", 80, 40001)));
    }
}
