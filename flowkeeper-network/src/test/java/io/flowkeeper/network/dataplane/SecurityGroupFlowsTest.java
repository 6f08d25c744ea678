package io.flowkeeper.network.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.flow.MatchField;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.SecurityGroup;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.HostView.SecuredPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Security groups compiled to conntrack flows, run through the {@link FlowTableEvaluator}'s connection tracker:
 * who reaches whom, state both ways, rule removal cutting established connections, and the flow counts of large
 * groups (conjunctive, not members × rules).
 */
class SecurityGroupFlowsTest {
    private static final String MAC_A = "fa:16:3e:00:00:0a";
    private static final String MAC_C = "fa:16:3e:00:00:0c";
    private static final String MAC_X = "fa:16:3e:00:00:99";

    private static SecurityGroupRule rule(String id, String group, String direction, String protocol, Integer min,
                                          Integer max, String prefix, String remoteGroup) {
        return new SecurityGroupRule(id, group, direction, "IPv4", protocol, min, max, prefix, remoteGroup);
    }

    /** Neutron's default group: egress anywhere, ingress from members. */
    private static SecurityGroup defaultGroup(String id) {
        return new SecurityGroup(id, "default", "p1", List.of(rule(id + "-out", id, "egress", null, null, null, null,
                null), rule(id + "-in", id, "ingress", null, null, null, null, id)), 1);
    }

    /** h1 with a and c in group "def", x in group "out" (egress only), all on one network. */
    private static TestModel lab() {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of());
        m.meshTunnels();
        Network n = m.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/24", true);
        m.securityGroups.clear();
        m.securityGroups.add(defaultGroup("def"));
        m.securityGroups.add(new SecurityGroup("out", "out", "p1", List.of(rule("out-out", "out", "egress", null,
                null, null, null, null)), 1));
        m.port("a", n, MAC_A, "10.0.0.3", "h1");
        m.port("c", n, MAC_C, "10.0.0.5", "h1");
        m.port("x", n, MAC_X, "10.0.0.9", "h1");
        inGroups(m, "a", "def");
        inGroups(m, "c", "def");
        inGroups(m, "x", "out");
        return m;
    }

    private static void inGroups(TestModel m, String portId, String... groups) {
        for (int i = 0; i < m.ports.size(); i++) {
            Port p = m.ports.get(i);
            if (p.id().equals(portId)) {
                m.ports.set(i, new Port(p.id(), p.name(), p.projectId(), p.networkId(), p.macAddress(), p.fixedIps(),
                        p.deviceId(), p.deviceOwner(), p.hostId(), p.vifType(), p.adminStateUp(), List.of(groups),
                        p.allowedAddressPairs(), p.portSecurityEnabled(), p.revision()));
            }
        }
    }

    private static Map<MatchField, Long> tcp(long inPort, String srcMac, String dstMac, String src, String dst,
                                             int sport, int dport) {
        Map<MatchField, Long> p = TestModel.icmpEcho(inPort, srcMac, dstMac, src, dst);
        p.remove(MatchField.ICMPV4_TYPE);
        p.put(MatchField.IP_PROTO, 6L);
        p.put(MatchField.TCP_SRC, (long) sport);
        p.put(MatchField.TCP_DST, (long) dport);
        return p;
    }

    private static boolean reaches(FlowTableEvaluator e, Map<MatchField, Long> packet, long port) {
        return e.run(packet).stream().anyMatch(x -> x.port() == port);
    }

    @Test
    void membersTalkBothWaysAnOutsiderCannotReachThemAndRepliesToItsOwnConnectionsPass() {
        TestModel m = lab();
        FlowTableEvaluator e = new FlowTableEvaluator(m.compile("h1"));
        long a = m.ofPort("a");
        long c = m.ofPort("c");
        long x = m.ofPort("x");
        assertTrue(reaches(e, TestModel.icmpEcho(a, MAC_A, MAC_C, "10.0.0.3", "10.0.0.5"), c), "member to member");
        assertTrue(reaches(e, tcp(c, MAC_C, MAC_A, "10.0.0.5", "10.0.0.3", 40000, 22), a), "and back");
        assertTrue(!reaches(e, tcp(x, MAC_X, MAC_A, "10.0.0.9", "10.0.0.3", 40001, 22), a), "outsider in");
        // a member opens a connection to the outsider: x has no ingress rule, so it is dropped at x...
        assertTrue(!reaches(e, tcp(a, MAC_A, MAC_X, "10.0.0.3", "10.0.0.9", 40002, 80), x));
        // ...while x's own connection out to a is refused by a, and x's reply path is state, not rules:
        // open x's ingress to tcp/80 and the reply to a's connection passes a's ingress as established
        m.securityGroups.set(1, new SecurityGroup("out", "out", "p1", List.of(rule("out-out", "out", "egress",
                null, null, null, null, null), rule("out-web", "out", "ingress", "tcp", 80, 80, "10.0.0.0/24", null)),
                1));
        e = new FlowTableEvaluator(m.compile("h1"));
        assertTrue(reaches(e, tcp(a, MAC_A, MAC_X, "10.0.0.3", "10.0.0.9", 40003, 80), x), "now allowed");
        assertTrue(reaches(e, tcp(x, MAC_X, MAC_A, "10.0.0.9", "10.0.0.3", 80, 40003), a), "reply by state");
        assertTrue(!reaches(e, tcp(x, MAC_X, MAC_A, "10.0.0.9", "10.0.0.3", 80, 40004), a), "no state, no entry");
        assertTrue(!reaches(e, tcp(a, MAC_A, MAC_X, "10.0.0.3", "10.0.0.9", 40005, 81), x), "port 81 closed");
    }

    @Test
    void removingARuleCutsAnEstablishedConnectionAtItsNextPacket() {
        TestModel m = lab();
        FlowCompiler compiler = new FlowCompiler();
        FlowTableEvaluator e = new FlowTableEvaluator(compiler.compile(m.view("h1")));
        long a = m.ofPort("a");
        long c = m.ofPort("c");
        assertTrue(reaches(e, tcp(a, MAC_A, MAC_C, "10.0.0.3", "10.0.0.5", 40000, 22), c));
        // the same tracker (connections stay), the new flows: c's group lets nobody in any more
        m.securityGroups.set(0, new SecurityGroup("def", "default", "p1", List.of(rule("def-out", "def", "egress",
                null, null, null, null, null)), 1));
        FlowTableEvaluator after = e.withFlows(compiler.compile(m.view("h1")));
        assertTrue(!reaches(after, tcp(a, MAC_A, MAC_C, "10.0.0.3", "10.0.0.5", 40000, 22), c), "cut");
        assertTrue(!reaches(after, tcp(c, MAC_C, MAC_A, "10.0.0.5", "10.0.0.3", 22, 40000), a), "replies too");
    }

    @Test
    void portSecurityOffPassesEverythingAndIpv6RulesAreListedAsNotEnforced() {
        TestModel m = lab();
        Network n = m.networks.get(0);
        m.port("open", n, "fa:16:3e:00:00:77", "10.0.0.7", "h1", List.of(), false);
        m.securityGroups.set(1, new SecurityGroup("out", "out", "p1", List.of(rule("out-out", "out", "egress", null,
                null, null, null, null), new SecurityGroupRule("v6", "out", "ingress", "IPv6", null, null, null, null,
                null), rule("gre", "out", "ingress", "frob", null, null, null, null)), 1));
        FlowTableEvaluator e = new FlowTableEvaluator(m.compile("h1"));
        long open = m.ofPort("open");
        assertTrue(reaches(e, tcp(m.ofPort("x"), MAC_X, "fa:16:3e:00:00:77", "10.0.0.9", "10.0.0.7", 4, 9999), open));
        // and out from a source address it does not own: no anti-spoofing either (x lets tcp/80 in here? no:
        // x's only ingress rules are refused, so the frame is dropped at x, after leaving "open" unchecked)
        assertTrue(e.run(tcp(open, "fa:16:3e:00:00:77", MAC_X, "10.9.9.9", "10.0.0.9", 4, 80)).isEmpty());
        SecuredPort x = m.view("h1").secured().stream().filter(p -> p.portId().equals("x")).findFirst().orElseThrow();
        List<String> refused = SecurityGroupFlows.refused(x).stream().map(r -> r.rule().id()).toList();
        assertEquals(List.of("gre", "v6"), refused.stream().sorted().toList());
        assertTrue(m.view("h1").secured().stream().noneMatch(p -> p.portId().equals("open")));
    }

    @Test
    void portRangesBecomeAlignedBlocks() {
        assertEquals(List.of("22/ffff"), blocks(22, 22));
        assertEquals(List.of("1024/fc00", "2048/f800", "4096/f000", "8192/e000", "16384/c000", "32768/8000"),
                blocks(1024, 65535));
        assertEquals(List.of("0/0"), blocks(0, 65535));
        assertEquals(List.of("79/ffff", "80/fff0", "96/ffff"), blocks(79, 96));
    }

    private static List<String> blocks(int min, int max) {
        return SecurityGroupFlows.portBlocks(min, max).stream()
                .map(b -> b[0] + "/" + Long.toHexString(b[1])).toList();
    }

    /** Flows of one secured port (its cookie) in a model of {@code members} ports in a group with {@code rules}. */
    private static int flowsOfOnePort(int members, int extraRules) {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of());
        m.host("h2", "192.0.2.2", Map.of());
        m.meshTunnels();
        Network n = m.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/16", true);
        List<SecurityGroupRule> rules = new ArrayList<>(defaultGroup("g").rules());
        for (int i = 0; i < extraRules; i++) {
            rules.add(rule("r" + i, "g", "ingress", "tcp", 1000 + i, 1000 + i, "172.16." + i + ".0/24", null));
        }
        m.securityGroups.clear();
        m.securityGroups.add(new SecurityGroup("g", "g", "p1", rules, 1));
        m.port("me", n, "fa:16:3e:00:00:01", "10.0.0.2", "h1");
        inGroups(m, "me", "g");
        for (int i = 0; i < members - 1; i++) {
            String id = "m" + i;
            m.port(id, n, String.format("fa:16:3e:00:%02x:%02x", 1 + i / 256, i % 256),
                    Ipv4.format(Ipv4.parse("10.0.1.0") + i), "h2");
            inGroups(m, id, "g");
        }
        long t0 = System.nanoTime();
        List<Flow> flows = m.compile("h1");
        long micros = (System.nanoTime() - t0) / 1000;
        int count = (int) flows.stream().filter(f -> (f.cookie() & FlowCompiler.COOKIE_KIND_MASK)
                == SecurityGroupFlows.COOKIE_SECURITY).count();
        System.out.printf("security groups: %d members, %d rules: %d flows for the port (compiled in %d us)%n",
                members, rules.size(), count, micros);
        return count;
    }

    @Test
    void aFiveHundredMemberGroupAndATwoHundredRuleGroupCostBoundedFlows() {
        int members = flowsOfOnePort(500, 0);
        assertTrue(members >= 500 && members <= 520, "500 members: " + members);
        int rules = flowsOfOnePort(2, 200);
        assertTrue(rules >= 200 && rules <= 220, "200 rules: " + rules);
        // members × rules would be 100,000: both together stay near the sum
        int both = flowsOfOnePort(500, 200);
        assertTrue(both <= 720, "500 members and 200 rules: " + both);
    }

    /**
     * The security flows that differ between two compiles of host h1 when one port joins the default group of
     * {@code members} ports ({@code members / 2} on h1, the rest on h2), plugged on {@code joinOn}: those that are
     * not the new port's own (its port number in the metadata).
     */
    private static int flowsChangedByAJoin(int members, String joinOn) {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of());
        m.host("h2", "192.0.2.2", Map.of());
        m.meshTunnels();
        Network n = m.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/16", true);
        m.securityGroups.clear();
        m.securityGroups.add(defaultGroup("def"));
        for (int i = 0; i < members; i++) {
            String id = String.format("m%03d", i);
            m.port(id, n, String.format("fa:16:3e:00:%02x:%02x", 1 + i / 256, i % 256),
                    Ipv4.format(Ipv4.parse("10.0.1.0") + i), i % 2 == 0 ? "h1" : "h2");
            inGroups(m, id, "def");
        }
        FlowCompiler compiler = new FlowCompiler();
        java.util.Set<Flow> before = new java.util.HashSet<>(security(compiler.compile(m.view("h1"))));
        m.port("new", n, "fa:16:3e:00:ff:01", "10.0.9.1", joinOn);
        inGroups(m, "new", "def");
        java.util.Set<Flow> after = new java.util.HashSet<>(security(compiler.compile(m.view("h1"))));
        long newPortBits = joinOn.equals("h1") ? m.ofPort("new") << FlowCompiler.PORT_SHIFT : -1;
        int changed = 0;
        for (java.util.Set<Flow>[] pair : List.of(new java.util.Set[] {before, after},
                new java.util.Set[] {after, before})) {
            for (Flow f : pair[0]) {
                // its own flows name it by its port bits, or (its flood copy's) by its conntrack zone
                boolean own = f.match().has(MatchField.METADATA)
                        && (f.match().get(MatchField.METADATA).value() & FlowCompiler.PORT_MASK) == newPortBits
                        || f.match().has(MatchField.CT_ZONE) && joinOn.equals("h1")
                        && f.match().get(MatchField.CT_ZONE).value() == m.ofPort("new");
                if (!pair[1].contains(f) && !own) {
                    changed++;
                }
            }
        }
        System.out.printf("security groups: a port joining a %d-member default group on %s changes %d flows of h1"
                + " (besides its own)%n", members, joinOn, changed);
        return changed;
    }

    private static List<Flow> security(List<Flow> flows) {
        return flows.stream().filter(f -> (f.cookie() & FlowCompiler.COOKIE_KIND_MASK)
                == SecurityGroupFlows.COOKIE_SECURITY).toList();
    }

    @Test
    void aPortJoiningAGroupChangesOneAddressFlowPerHostNotEveryMembersFlows() {
        for (String host : List.of("h1", "h2")) {
            int small = flowsChangedByAJoin(10, host);
            int big = flowsChangedByAJoin(200, host);
            // its address in the one shared ingress clause of the group: the members' rules, marks and clauses
            // stay as they were
            assertEquals(1, small, host + ", 10 members");
            assertEquals(small, big, host + ": the same with 200 members");
        }
    }

    @Test
    void aMemberJoiningAGroupOpensTheRuleForItAndLeavingClosesItForNewConnections() {
        TestModel m = lab();
        // x (not in def) opens nothing to a; once in def as well, its connections are a member's
        FlowCompiler compiler = new FlowCompiler();
        long a = m.ofPort("a");
        long x = m.ofPort("x");
        FlowTableEvaluator e = new FlowTableEvaluator(compiler.compile(m.view("h1")));
        assertTrue(!reaches(e, tcp(x, MAC_X, MAC_A, "10.0.0.9", "10.0.0.3", 41000, 22), a), "outsider");
        inGroups(m, "x", "out", "def");
        FlowTableEvaluator joined = e.withFlows(compiler.compile(m.view("h1")));
        assertTrue(reaches(joined, tcp(x, MAC_X, MAC_A, "10.0.0.9", "10.0.0.3", 41001, 22), a), "member");
        inGroups(m, "x", "out");
        FlowTableEvaluator left = joined.withFlows(compiler.compile(m.view("h1")));
        assertTrue(!reaches(left, tcp(x, MAC_X, MAC_A, "10.0.0.9", "10.0.0.3", 41002, 22), a), "left: new refused");
    }

    @Test
    void floodedIpv4PassesEachSecuredPortsIngressRulesAsUnicastDoes() {
        TestModel m = lab();
        Network n = m.networks.get(0);
        m.port("open", n, "fa:16:3e:00:00:77", "10.0.0.7", "h1", List.of(), false);
        FlowTableEvaluator e = new FlowTableEvaluator(m.compile("h1"));
        long a = m.ofPort("a");
        long c = m.ofPort("c");
        long x = m.ofPort("x");
        long open = m.ofPort("open");
        // to a MAC the network does not know (unknown unicast), and to broadcast: the copies that pass
        for (String dst : List.of("fa:16:3e:00:00:55", "ff:ff:ff:ff:ff:ff")) {
            // a member: the other member lets it in, x (no ingress rule) does not, the open port takes anything
            assertEquals(List.of(c, open), ports(e, tcp(a, MAC_A, dst, "10.0.0.3", "10.0.0.255", 42000, 22)), dst);
            // x is no member: neither member lets it in
            assertEquals(List.of(open), ports(e, tcp(x, MAC_X, dst, "10.0.0.9", "10.0.0.255", 42001, 22)), dst);
        }
        // ARP is no IPv4: a request for an unknown address still reaches every port of the network
        Map<MatchField, Long> arp = new java.util.EnumMap<>(MatchField.class);
        arp.put(MatchField.IN_PORT, x);
        arp.put(MatchField.ETH_SRC, FlowCompiler.mac(MAC_X));
        arp.put(MatchField.ETH_DST, FlowCompiler.mac("ff:ff:ff:ff:ff:ff"));
        arp.put(MatchField.ETH_TYPE, 0x0806L);
        arp.put(MatchField.ARP_OP, 1L);
        arp.put(MatchField.ARP_SHA, FlowCompiler.mac(MAC_X));
        arp.put(MatchField.ARP_SPA, Ipv4.parse("10.0.0.9"));
        arp.put(MatchField.ARP_TPA, Ipv4.parse("10.0.0.77"));
        assertEquals(List.of(a, c, open), ports(e, arp));
    }

    @Test
    void pastTheFlowSizeLimitFloodedIpv4ReachesNoSecuredPortRatherThanAllOfThem() {
        TestModel m = new TestModel();
        m.host("h1", "192.0.2.1", Map.of());
        Network n = m.network("net1", "p1", NetworkType.VXLAN, null, 100, "10.0.0.0/16", true);
        m.securityGroups.clear();
        m.securityGroups.add(defaultGroup("def"));
        for (int i = 0; i <= SecurityGroupFlows.MAX_FLOOD_COPIES; i++) {
            String id = String.format("m%04d", i);
            m.port(id, n, String.format("fa:16:3e:00:%02x:%02x", 1 + i / 256, i % 256),
                    Ipv4.format(Ipv4.parse("10.0.1.0") + i), "h1");
            inGroups(m, id, "def");
        }
        m.port("open", n, "fa:16:3e:00:ff:77", "10.0.9.7", "h1", List.of(), false);
        FlowTableEvaluator e = new FlowTableEvaluator(m.compile("h1"));
        // a member's broadcast: one copy more than the limit would be needed, so none is made; the open port gets it
        assertEquals(List.of(m.ofPort("open")), ports(e, tcp(m.ofPort("m0000"), "fa:16:3e:00:01:00",
                "ff:ff:ff:ff:ff:ff", "10.0.1.0", "10.0.255.255", 42000, 22)));
    }

    private static List<Long> ports(FlowTableEvaluator e, Map<MatchField, Long> packet) {
        return e.run(packet).stream().map(FlowTableEvaluator.Emitted::port).sorted().toList();
    }
}
