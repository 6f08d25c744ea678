package io.flowkeeper.network.dataplane;

import static io.flowkeeper.api.flow.MatchField.ARP_OP;
import static io.flowkeeper.api.flow.MatchField.ARP_SHA;
import static io.flowkeeper.api.flow.MatchField.ARP_SPA;
import static io.flowkeeper.api.flow.MatchField.ARP_THA;
import static io.flowkeeper.api.flow.MatchField.ARP_TPA;
import static io.flowkeeper.api.flow.MatchField.ETH_DST;
import static io.flowkeeper.api.flow.MatchField.ETH_SRC;
import static io.flowkeeper.api.flow.MatchField.ETH_TYPE;
import static io.flowkeeper.api.flow.MatchField.IN_PORT;
import static io.flowkeeper.api.flow.MatchField.IPV4_DST;
import static io.flowkeeper.api.flow.MatchField.IP_PROTO;
import static io.flowkeeper.api.flow.MatchField.TUNNEL_ID;
import static io.flowkeeper.api.flow.MatchField.UDP_DST;
import static io.flowkeeper.api.flow.MatchField.UDP_SRC;
import static io.flowkeeper.api.flow.MatchField.VLAN_VID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowkeeper.api.flow.Action;
import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.Instructions;
import io.flowkeeper.api.flow.Match;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.network.AddressPair;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.FlowTableEvaluator.Emitted;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FlowCompilerTest {
    private static final String MAC_A = "fa:16:3e:00:00:0a";
    private static final String MAC_B = "fa:16:3e:00:00:0b";
    private static final String MAC_C = "fa:16:3e:00:00:0c";

    /** Two hosts, one VXLAN network (VNI 100) with A on h1 and B on h2, C on h1 too. */
    private static TestModel vxlan() {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of());
        m.host("h2", "192.0.2.2", Map.of());
        m.host("h3", "192.0.2.3", Map.of());
        m.meshTunnels();
        Network n = m.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/24", true);
        m.port("a", n, MAC_A, "10.0.0.3", "h1");
        m.port("b", n, MAC_B, "10.0.0.4", "h2");
        m.port("c", n, MAC_C, "10.0.0.5", "h1");
        return m;
    }

    private static Map<MatchField, Long> arpRequest(long inPort, String srcMac, String srcIp, String targetIp) {
        Map<MatchField, Long> p = new EnumMap<>(MatchField.class);
        p.put(IN_PORT, inPort);
        p.put(ETH_SRC, FlowCompiler.mac(srcMac));
        p.put(ETH_DST, 0xffffffffffffL);
        p.put(ETH_TYPE, 0x0806L);
        p.put(ARP_OP, 1L);
        p.put(ARP_SHA, FlowCompiler.mac(srcMac));
        p.put(ARP_SPA, Ipv4.parse(srcIp));
        p.put(ARP_THA, 0L);
        p.put(ARP_TPA, Ipv4.parse(targetIp));
        return p;
    }

    @Test
    void aPipelineWithABackwardOrUndeclaredGotoIsRejected() {
        Flow backward = Flow.of(Pipeline.L2_LOOKUP.id(), 1, Match.ALL,
                new Instructions(List.of(), null, -1L, Pipeline.CLASSIFY.id()));
        assertThrows(IllegalArgumentException.class, () -> Pipeline.check(List.of(backward)));
        Flow skipping = Flow.of(Pipeline.CLASSIFY.id(), 1, Match.ALL,
                new Instructions(List.of(), null, -1L, Pipeline.ARP_REPLY.id()));
        assertThrows(IllegalArgumentException.class, () -> Pipeline.check(List.of(skipping)));
        Flow foreignMatch = Flow.of(Pipeline.ARP_REPLY.id(), 1,
                Match.builder().exact(MatchField.TCP_DST, 80).build(), Instructions.DROP);
        assertThrows(IllegalArgumentException.class, () -> Pipeline.check(List.of(foreignMatch)));
        Flow foreignSet = Flow.of(Pipeline.CLASSIFY.id(), 1, Match.ALL,
                Instructions.actions(new Action.SetField(MatchField.ETH_DST, 1)));
        assertThrows(IllegalArgumentException.class, () -> Pipeline.check(List.of(foreignSet)));
        Pipeline.check(FlowCompiler.pipelineDefaults());
    }

    @Test
    void unicastToARemotePortGoesThroughItsHostsTunnelWithTheVniAndArrivesAtThePort() {
        TestModel m = vxlan();
        FlowTableEvaluator h1 = new FlowTableEvaluator(m.compile("h1"));
        List<Emitted> out = h1.run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, MAC_B, "10.0.0.3", "10.0.0.4"));
        assertEquals(1, out.size(), out.toString());
        assertEquals(m.tunnel("h1", "h2"), out.get(0).port());
        assertEquals(100, out.get(0).get(TUNNEL_ID));

        FlowTableEvaluator h2 = new FlowTableEvaluator(m.compile("h2"));
        Map<MatchField, Long> arriving = TestModel.icmpEcho(m.tunnel("h2", "h1"), MAC_A, MAC_B, "10.0.0.3", "10.0.0.4");
        arriving.put(TUNNEL_ID, 100L);
        out = h2.run(arriving);
        assertEquals(1, out.size(), out.toString());
        assertEquals(m.ofPort("b"), out.get(0).port());
    }

    @Test
    void localUnicastStaysOnTheHost() {
        TestModel m = vxlan();
        List<Emitted> out = new FlowTableEvaluator(m.compile("h1"))
                .run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, MAC_C, "10.0.0.3", "10.0.0.5"));
        assertEquals(List.of(m.ofPort("c")), out.stream().map(Emitted::port).toList());
    }

    @Test
    void arpForAKnownAddressIsAnsweredInTheSwitchWithAWellFormedReply() {
        TestModel m = vxlan();
        List<Emitted> out = new FlowTableEvaluator(m.compile("h1"))
                .run(arpRequest(m.ofPort("a"), MAC_A, "10.0.0.3", "10.0.0.4"));
        assertEquals(1, out.size(), out.toString());
        Emitted reply = out.get(0);
        assertEquals(m.ofPort("a"), reply.port());
        assertEquals(2, reply.get(ARP_OP));
        assertEquals(FlowCompiler.mac(MAC_B), reply.get(ETH_SRC));
        assertEquals(FlowCompiler.mac(MAC_A), reply.get(ETH_DST));
        assertEquals(FlowCompiler.mac(MAC_B), reply.get(ARP_SHA));
        assertEquals(Ipv4.parse("10.0.0.4"), reply.get(ARP_SPA));
        assertEquals(FlowCompiler.mac(MAC_A), reply.get(ARP_THA));
        assertEquals(Ipv4.parse("10.0.0.3"), reply.get(ARP_TPA));
    }

    @Test
    void broadcastReachesTheNetworksLocalPortsAndItsHostsOnly() {
        TestModel m = vxlan();
        Network other = m.network("net2", "p2", NetworkType.VXLAN, null, 200, "10.1.0.0/24", true);
        m.port("x", other, "fa:16:3e:00:00:99", "10.1.0.3", "h1");
        m.port("y", other, "fa:16:3e:00:00:98", "10.1.0.4", "h3");
        FlowTableEvaluator h1 = new FlowTableEvaluator(m.compile("h1"));
        List<Emitted> out = h1.run(arpRequest(m.ofPort("a"), MAC_A, "10.0.0.3", "10.0.0.77")); // unknown target
        assertEquals(Set.of(m.ofPort("c"), m.tunnel("h1", "h2")),
                Set.copyOf(out.stream().map(Emitted::port).toList()));
        out.stream().filter(e -> e.port() == m.tunnel("h1", "h2")).forEach(e -> assertEquals(100, e.get(TUNNEL_ID)));
        // from the tunnel: local ports only, never back out to another host
        Map<MatchField, Long> fromH2 = arpRequest(m.tunnel("h1", "h2"), MAC_B, "10.0.0.4", "10.0.0.77");
        fromH2.put(TUNNEL_ID, 100L);
        assertEquals(Set.of(m.ofPort("a"), m.ofPort("c")),
                Set.copyOf(h1.run(fromH2).stream().map(Emitted::port).toList()));
    }

    @Test
    void twoProjectsWithTheSameCidrAndAddressesNeverSeeEachOther() {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of());
        m.host("h2", "192.0.2.2", Map.of());
        m.meshTunnels();
        Network red = m.network("red", "p-red", NetworkType.VXLAN, null, 100, "10.0.0.0/24", true);
        Network blue = m.network("blue", "p-blue", NetworkType.VXLAN, null, 200, "10.0.0.0/24", true);
        m.port("red1", red, "fa:16:3e:00:01:01", "10.0.0.3", "h1");
        m.port("red2", red, "fa:16:3e:00:01:02", "10.0.0.4", "h2");
        m.port("blue1", blue, "fa:16:3e:00:02:01", "10.0.0.3", "h1");
        m.port("blue2", blue, "fa:16:3e:00:02:02", "10.0.0.4", "h2");
        FlowTableEvaluator h1 = new FlowTableEvaluator(m.compile("h1"));

        // ARP for the same address answers with the own project's MAC
        Emitted reply = h1.run(arpRequest(m.ofPort("red1"), "fa:16:3e:00:01:01", "10.0.0.3", "10.0.0.4")).get(0);
        assertEquals(FlowCompiler.mac("fa:16:3e:00:01:02"), reply.get(ARP_SHA));
        reply = h1.run(arpRequest(m.ofPort("blue1"), "fa:16:3e:00:02:01", "10.0.0.3", "10.0.0.4")).get(0);
        assertEquals(FlowCompiler.mac("fa:16:3e:00:02:02"), reply.get(ARP_SHA));

        // every packet red1 can send, to any MAC of either project or broadcast, stays in red (VNI 100)
        for (String dst : List.of("fa:16:3e:00:02:01", "fa:16:3e:00:02:02", "fa:16:3e:00:01:02", "ff:ff:ff:ff:ff:ff")) {
            for (Emitted e : h1.run(TestModel.icmpEcho(m.ofPort("red1"), "fa:16:3e:00:01:01", dst, "10.0.0.3", "10.0.0.4"))) {
                assertNotEquals(m.ofPort("blue1"), e.port(), "red reached blue: " + e);
                if (e.port() == m.tunnel("h1", "h2")) {
                    assertEquals(100, e.get(TUNNEL_ID));
                }
            }
        }
        // blue's traffic arriving from h2 (VNI 200) addressed to red1's MAC never reaches red1
        Map<MatchField, Long> fromBlue = TestModel.icmpEcho(m.tunnel("h1", "h2"), "fa:16:3e:00:02:02", "fa:16:3e:00:01:01",
                "10.0.0.4", "10.0.0.3");
        fromBlue.put(TUNNEL_ID, 200L);
        assertTrue(h1.run(fromBlue).stream().noneMatch(e -> e.port() == m.ofPort("red1")));
        // an unknown VNI goes nowhere
        fromBlue.put(TUNNEL_ID, 300L);
        assertEquals(List.of(), h1.run(fromBlue));
    }

    @Test
    void aVmMaySendOnlyFromItsOwnMacAndAddressesAndAllowedPairs() {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of());
        Network n = m.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/24", true);
        m.port("a", n, MAC_A, "10.0.0.3", "h1", List.of(new AddressPair("10.0.0.100", ""),
                new AddressPair("10.0.9.0/24", "fa:16:3e:00:00:ee")), true);
        m.port("c", n, MAC_C, "10.0.0.5", "h1");
        FlowTableEvaluator sw = new FlowTableEvaluator(m.compile("h1"));
        long a = m.ofPort("a");
        long c = m.ofPort("c");
        assertEquals(List.of(c), ports(sw.run(TestModel.icmpEcho(a, MAC_A, MAC_C, "10.0.0.3", "10.0.0.5"))));
        assertEquals(List.of(), sw.run(TestModel.icmpEcho(a, MAC_B, MAC_C, "10.0.0.3", "10.0.0.5")), "another MAC");
        assertEquals(List.of(), sw.run(TestModel.icmpEcho(a, MAC_A, MAC_C, "10.0.0.5", "10.0.0.5")), "another's IP");
        assertEquals(List.of(), sw.run(TestModel.icmpEcho(a, MAC_C, MAC_C, "10.0.0.5", "10.0.0.5")), "another's MAC and IP");
        assertEquals(List.of(c), ports(sw.run(TestModel.icmpEcho(a, MAC_A, MAC_C, "10.0.0.100", "10.0.0.5"))), "address pair");
        assertEquals(List.of(c), ports(sw.run(TestModel.icmpEcho(a, "fa:16:3e:00:00:ee", MAC_C, "10.0.9.7", "10.0.0.5"))),
                "CIDR pair with its MAC");
        assertEquals(List.of(), sw.run(TestModel.icmpEcho(a, MAC_A, MAC_C, "10.0.9.7", "10.0.0.5")), "CIDR pair, wrong MAC");
        // ARP spoofing: a claim for another's address, or another's MAC in the ARP header, is dropped
        assertEquals(List.of(), sw.run(arpRequest(a, MAC_A, "10.0.0.5", "10.0.0.77")));
        Map<MatchField, Long> forgedSha = arpRequest(a, MAC_A, "10.0.0.3", "10.0.0.77");
        forgedSha.put(ARP_SHA, FlowCompiler.mac(MAC_C));
        assertEquals(List.of(), sw.run(forgedSha));
        // the VM is no DHCP server
        Map<MatchField, Long> offer = TestModel.icmpEcho(a, MAC_A, MAC_C, "10.0.0.3", "10.0.0.5");
        offer.put(IP_PROTO, 17L);
        offer.put(UDP_SRC, 67L);
        offer.put(UDP_DST, 68L);
        assertEquals(List.of(), sw.run(offer));
    }

    @Test
    void dhcpRequestsGoToTheControllerWithTheDhcpCookieUnlessDhcpIsOff() {
        TestModel m = vxlan();
        Map<MatchField, Long> discover = TestModel.icmpEcho(m.ofPort("a"), MAC_A, "ff:ff:ff:ff:ff:ff", "0.0.0.0",
                "255.255.255.255");
        discover.put(IP_PROTO, 17L);
        discover.put(UDP_SRC, 68L);
        discover.put(UDP_DST, 67L);
        List<Emitted> out = new FlowTableEvaluator(m.compile("h1")).run(discover);
        assertEquals(1, out.size());
        assertEquals(Action.PORT_CONTROLLER, out.get(0).port());
        assertEquals(FlowCompiler.COOKIE_DHCP, out.get(0).cookie() & FlowCompiler.COOKIE_KIND_MASK);

        TestModel off = new TestModel();
        off.host("h1", "192.0.2.1", Map.of());
        Network n = off.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/24", false);
        off.port("a", n, MAC_A, "10.0.0.3", "h1");
        off.port("c", n, MAC_C, "10.0.0.5", "h1");
        discover.put(IN_PORT, off.ofPort("a"));
        out = new FlowTableEvaluator(off.compile("h1")).run(discover);
        assertTrue(out.stream().noneMatch(e -> e.port() == Action.PORT_CONTROLLER), out.toString());
    }

    @Test
    void vlanNetworksLeaveTaggedThroughTheProviderBridgeAndComeBackUntagged() {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of("physnet1", "br-ex"));
        m.host("h2", "192.0.2.2", Map.of("physnet1", "br-ex"));
        Network n = m.network("vlan", "p1", NetworkType.VLAN, "physnet1", 42, "10.2.0.0/24", true);
        m.port("a", n, MAC_A, "10.2.0.3", "h1");
        m.port("b", n, MAC_B, "10.2.0.4", "h2");
        FlowTableEvaluator h1 = new FlowTableEvaluator(m.compile("h1"));
        long uplink = m.switchPorts.get("h1").get("int-br-ex");
        List<Emitted> out = h1.run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, MAC_B, "10.2.0.3", "10.2.0.4"));
        assertEquals(List.of(uplink), ports(out));
        assertEquals(0x1000 | 42, out.get(0).get(VLAN_VID));
        Map<MatchField, Long> back = TestModel.icmpEcho(uplink, MAC_B, MAC_A, "10.2.0.4", "10.2.0.3");
        back.put(VLAN_VID, 0x1000L | 42);
        out = h1.run(back);
        assertEquals(List.of(m.ofPort("a")), ports(out));
        assertEquals(0, out.get(0).get(VLAN_VID));
        back.put(VLAN_VID, 0x1000L | 43);
        assertEquals(List.of(), h1.run(back), "another VLAN");
    }

    @Test
    void flatNetworksUseTheProviderBridgeUntagged() {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of("physnet1", "br-ex"));
        Network n = m.network("flat", "p1", NetworkType.FLAT, "physnet1", null, "10.3.0.0/24", true);
        m.port("a", n, MAC_A, "10.3.0.3", "h1");
        FlowTableEvaluator h1 = new FlowTableEvaluator(m.compile("h1"));
        long uplink = m.switchPorts.get("h1").get("int-br-ex");
        List<Emitted> out = h1.run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, MAC_B, "10.3.0.3", "10.3.0.4"));
        assertEquals(List.of(uplink), ports(out));
        assertEquals(0, out.get(0).get(VLAN_VID));
        assertEquals(List.of(m.ofPort("a")), ports(h1.run(TestModel.icmpEcho(uplink, MAC_B, MAC_A, "10.3.0.4", "10.3.0.3"))));
    }

    @Test
    void aChangeRecompilesOnlyItsNetworkAndUnpluggingRemovesThePortsFlows() {
        TestModel m = vxlan();
        Network other = m.network("net2", "p2", NetworkType.VXLAN, null, 200, "10.1.0.0/24", true);
        m.port("x", other, "fa:16:3e:00:00:99", "10.1.0.3", "h1");
        FlowCompiler compiler = new FlowCompiler();
        List<Flow> before = compiler.compile(m.view("h1"));
        m.bindings.removeIf(b -> b.portId().equals("c"));
        List<Flow> after = compiler.compile(m.view("h1"));
        Set<Flow> removed = new HashSet<>(before);
        after.forEach(removed::remove);
        Set<Flow> added = new HashSet<>(after);
        before.forEach(added::remove);
        assertTrue(removed.stream().allMatch(f -> (f.cookie() & FlowCompiler.TAG_MASK) == 100), removed.toString());
        assertTrue(removed.stream().anyMatch(f -> f.match().has(IN_PORT) && f.match().get(IN_PORT).value() == 3));
        // the flood flows: outputs to the ports left, and for IPv4 the copies to their ingress rules
        assertEquals(Set.of(), added.stream().filter(f -> f.tableId() != Pipeline.L2_LOOKUP.id()
                || f.priority() > FlowCompiler.PRIO_FLOOD + 1).collect(java.util.stream.Collectors.toSet()),
                "only the flood flows change besides removals");
        assertEquals(new FlowCompiler().compile(m.view("h1")), after, "incremental equals compiled afresh");
        // the other network's flows were reused, not rebuilt
        List<Flow> again = compiler.compile(m.view("h1"));
        Flow anyOther = again.stream().filter(f -> (f.cookie() & FlowCompiler.TAG_MASK) == 200).findFirst()
                .orElseThrow();
        assertSame(anyOther, after.stream().filter(f -> f.equals(anyOther)).findFirst().orElseThrow());
    }

    @Test
    void aPortOfAnotherHostWithoutATunnelYetGetsNoUnicastAndNoFloodToThatHost() {
        TestModel m = vxlan();
        m.switchPorts.get("h1").clear();
        FlowTableEvaluator h1 = new FlowTableEvaluator(m.compile("h1"));
        List<Emitted> out = h1.run(TestModel.icmpEcho(m.ofPort("a"), MAC_A, MAC_B, "10.0.0.3", "10.0.0.4"));
        assertEquals(List.of(m.ofPort("c")), ports(out), "unknown unicast floods locally only");
    }

    @Test
    void noFlowsForABindingWhoseMacIsNotThePorts() {
        TestModel m = vxlan();
        Port a = m.ports.get(0);
        m.bindings.replaceAll(b -> b.portId().equals(a.id()) ? new io.flowkeeper.api.network.PortBinding(b.portId(),
                b.host(), b.ofPort(), "fa:16:3e:ff:ff:ff", b.state(), "") : b);
        List<Flow> flows = m.compile("h1");
        long ofA = m.ofPort("a");
        assertTrue(flows.stream().noneMatch(f -> f.match().has(IN_PORT) && f.match().get(IN_PORT).value() == ofA));
    }

    private static List<Long> ports(List<Emitted> out) {
        return out.stream().map(Emitted::port).toList();
    }
}
