package io.flowkeeper.network.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowkeeper.api.flow.Flow;
import io.flowkeeper.api.network.AddressPair;
import io.flowkeeper.api.network.FixedIp;
import io.flowkeeper.api.network.FloatingIp;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.network.HostRoute;
import io.flowkeeper.api.network.Network;
import io.flowkeeper.api.network.NetworkType;
import io.flowkeeper.api.network.Port;
import io.flowkeeper.api.network.PortBinding;
import io.flowkeeper.api.network.SecurityGroup;
import io.flowkeeper.api.network.SecurityGroupRule;
import io.flowkeeper.network.Ipv4;
import io.flowkeeper.network.dataplane.HostView.SecuredPort;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * {@link HostViewBuilder} against {@link HostViews#of}: after each of hundreds of random model changes (ports
 * created, deleted, plugged, moved, unplugged, bound with a wrong MAC, their groups, addresses, state and port
 * security changed; now and then a network, a security group rule, a router, a floating IP or the switch's ports),
 * the builder's view equals the view built from scratch, and a compiler fed the builder's views compiles the same
 * flows as a fresh one. Port changes must take the incremental path (counted rebuilds), else the test would pass
 * with a builder that always rebuilds. Half the runs keep the lists sorted by id, as the data plane's model does;
 * the others check that lists in another order are rebuilt rather than patched wrongly.
 */
class HostViewBuilderTest {
    private static final String WEB = "web";
    private static final String DEFAULT = "default";

    @Test
    void randomChangesGiveTheViewBuiltFromScratch() {
        for (long seed = 1; seed <= 6; seed++) {
            run(seed, seed % 2 == 0);
        }
    }

    /**
     * Two projects' self-referencing default groups: a port created, then deleted, in project A's group gives A's
     * secured ports the new member list and keeps B's secured ports as the same instances, with no rebuild.
     */
    @Test
    void aMembershipChangeTouchesOnlyThePortsOfThatGroup() {
        TestModel m = new TestModel();
        m.host("h0", "192.0.2.100", Map.of());
        m.host("h1", "192.0.2.1", Map.of());
        m.meshTunnels();
        for (String project : List.of("a", "b")) {
            String g = "default-" + project;
            m.securityGroups.add(new SecurityGroup(g, g, project, List.of(
                    new SecurityGroupRule(g + "-in", g, "ingress", "IPv4", null, null, null, null, g)), 1));
        }
        Network a = m.network("neta", "a", NetworkType.VXLAN, null, 100, "10.0.0.0/24", true);
        Network b = m.network("netb", "b", NetworkType.VXLAN, null, 101, "10.0.0.0/24", true);
        for (int i = 0; i < 4; i++) {
            for (Network n : List.of(a, b)) {
                Port p = m.port("port-" + n.id() + "-" + i, n, String.format("fa:16:3e:00:%02x:%02x",
                        n == a ? 1 : 2, i), "10.0.0." + (10 + i), "h0");
                replace(m, p, List.of("default-" + n.projectId()));
            }
        }
        m.ports.sort(Comparator.comparing(Port::id));
        m.bindings.sort(Comparator.comparing(PortBinding::portId));
        Host self = m.hosts.get(0);
        Map<String, Long> switchPorts = Map.copyOf(m.switchPorts.get("h0"));
        HostViewBuilder builder = new HostViewBuilder();
        HostView first = builder.of(self, m.model(), switchPorts);

        Port joining = m.port("port-neta-9", a, "fa:16:3e:00:01:09", "10.0.0.99", "h1"); // plugged elsewhere
        replace(m, joining, List.of("default-a"));
        m.ports.sort(Comparator.comparing(Port::id));
        m.bindings.sort(Comparator.comparing(PortBinding::portId));
        HostView joined = builder.of(self, m.model(), switchPorts);
        assertEquals(HostViews.of(self, m.model(), switchPorts), joined);
        assertEquals(1, builder.rebuilds());
        for (int i = 0; i < first.secured().size(); i++) {
            SecuredPort before = first.secured().get(i);
            SecuredPort after = joined.secured().get(i);
            if (before.portId().contains("netb")) {
                assertTrue(before == after, "project b's port was resolved again: " + after.portId());
            } else {
                assertTrue(after.remoteGroups().get("default-a").contains(Ipv4.parse("10.0.0.99")), after.portId());
            }
        }

        m.remove(joining.id());
        HostView left = builder.of(self, m.model(), switchPorts);
        assertEquals(HostViews.of(self, m.model(), switchPorts), left);
        assertEquals(first, left);
        assertEquals(1, builder.rebuilds());
    }

    private void run(long seed, boolean sortedById) {
        Random random = new Random(seed);
        TestModel m = new TestModel();
        m.host("h0", "192.0.2.100", Map.of("physnet1", "br-ex"));
        for (int h = 1; h <= 3; h++) {
            m.host("h" + h, "192.0.2." + h, Map.of("physnet1", "br-ex"));
        }
        m.meshTunnels();
        m.securityGroups.add(new SecurityGroup(DEFAULT, DEFAULT, "p1", List.of(
                new SecurityGroupRule("d-in", DEFAULT, "ingress", "IPv4", null, null, null, null, DEFAULT),
                new SecurityGroupRule("d-out", DEFAULT, "egress", "IPv4", null, null, null, null, null)), 1));
        m.securityGroups.add(new SecurityGroup(WEB, WEB, "p1", List.of(
                new SecurityGroupRule("w-in", WEB, "ingress", "IPv4", "tcp", 80, 80, "10.0.0.0/8", null)), 1));
        List<Network> nets = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            NetworkType type = n == 4 ? NetworkType.VLAN : n == 5 ? NetworkType.FLAT : NetworkType.VXLAN;
            nets.add(m.network("net" + n, "p" + n % 2, type, type == NetworkType.VXLAN ? null : "physnet1",
                    type == NetworkType.FLAT ? null : 100 + n, "10.0." + n + ".0/24", true));
        }
        Network external = m.network("ext", "admin", NetworkType.FLAT, "physnet1", null, "203.0.113.0/24", false);
        m.router("r1", true, List.of(new HostRoute("172.16.0.0/12", "10.0.0.250")));
        m.routerInterface("r1-if0", "r1", nets.get(0), "fa:16:3e:aa:00:01", "10.0.0.1");
        m.routerInterface("r1-if1", "r1", nets.get(1), "fa:16:3e:aa:00:02", "10.0.1.1");
        m.gateway("r1", external, "fa:16:3e:aa:00:03", "203.0.113.10", true, "h1", "h1", "h2");
        int[] next = {0};
        for (int i = 0; i < 60; i++) {
            createPort(m, random, nets, next);
        }
        m.floatingIps.add(new FloatingIp("fip1", "p0", external.id(), "203.0.113.20", m.ports.get(3).id(),
                m.ports.get(3).fixedIps().get(0).ipAddress(), "r1", 1));

        HostViewBuilder builder = new HostViewBuilder();
        FlowCompiler incremental = new FlowCompiler();
        Host self = m.hosts.get(0);
        int portChanges = 0;
        for (int step = 0; step < 400; step++) {
            int what = random.nextInt(100);
            if (what < 80) {
                changePort(m, random, nets, next);
                portChanges++;
            } else if (what < 84) {
                createPort(m, random, nets, next);
                portChanges++;
            } else if (what < 88) {
                if (!m.ports.isEmpty()) {
                    Port p = m.ports.get(random.nextInt(m.ports.size()));
                    if (p.deviceOwner().startsWith("compute")) {
                        m.remove(p.id());
                    }
                }
                portChanges++;
            } else {
                changeOther(m, random, nets, external);
            }
            if (sortedById) {
                m.ports.sort(Comparator.comparing(Port::id));
                m.bindings.sort(Comparator.comparing(PortBinding::portId));
            }
            HostViews.Model model = m.model();
            Map<String, Long> switchPorts = Map.copyOf(m.switchPorts.get(self.name()));
            HostView expected = HostViews.of(self, model, switchPorts);
            HostView actual = builder.of(self, model, switchPorts);
            assertEquals(expected, actual, "seed " + seed + ", step " + step);
            List<Flow> fresh = new FlowCompiler().compile(expected);
            List<Flow> kept = incremental.compile(actual);
            assertEquals(fresh.size(), kept.size(), "seed " + seed + ", step " + step);
            assertEquals(new HashSet<>(fresh), new HashSet<>(kept), "seed " + seed + ", step " + step);
        }
        if (sortedById) { // only the first view and the other changes rebuild: VMs' port changes are patched
            assertTrue(builder.rebuilds() <= 1 + 400 - portChanges, "rebuilt " + builder.rebuilds() + " times for "
                    + portChanges + " port changes of 400");
        }
    }

    private static void createPort(TestModel m, Random random, List<Network> nets, int[] next) {
        Network n = nets.get(random.nextInt(nets.size()));
        int i = next[0]++;
        String host = random.nextInt(5) == 0 ? null : "h" + random.nextInt(4);
        String ip = "10.0." + n.id().charAt(3) + "." + (10 + i % 200);
        Port p = m.port(String.format("port-%04d-%d", random.nextInt(10_000), i), n,
                String.format("fa:16:3e:00:%02x:%02x", i >> 8 & 255, i & 255), ip, host);
        replace(m, p, groups(random));
    }

    private static List<String> groups(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> List.of(DEFAULT);
            case 1 -> List.of(DEFAULT, WEB);
            case 2 -> List.of(WEB);
            default -> List.of(TestModel.OPEN);
        };
    }

    private static void replace(TestModel m, Port p, List<String> groups) {
        m.ports.replaceAll(x -> x.id().equals(p.id()) ? withGroups(x, groups) : x);
    }

    private static Port withGroups(Port p, List<String> groups) {
        return new Port(p.id(), p.name(), p.projectId(), p.networkId(), p.macAddress(), p.fixedIps(), p.deviceId(),
                p.deviceOwner(), p.hostId(), p.vifType(), p.adminStateUp(), groups, p.allowedAddressPairs(),
                p.portSecurityEnabled(), p.revision() + 1);
    }

    private static void changePort(TestModel m, Random random, List<Network> nets, int[] next) {
        List<Port> vms = m.ports.stream().filter(p -> p.deviceOwner().startsWith("compute")).toList();
        if (vms.isEmpty()) {
            return;
        }
        Port p = vms.get(random.nextInt(vms.size()));
        int kind = random.nextInt(9);
        Consumer<PortBinding> bind = b -> {
            m.bindings.removeIf(x -> x.portId().equals(p.id()));
            if (b != null) {
                m.bindings.add(b);
            }
        };
        PortBinding b = m.bindings.stream().filter(x -> x.portId().equals(p.id())).findFirst().orElse(null);
        switch (kind) {
            case 0 -> bind.accept(new PortBinding(p.id(), "h" + random.nextInt(4), 1 + random.nextInt(500),
                    p.macAddress(), PortBinding.State.PLUGGED, "")); // plugged or moved
            case 1 -> bind.accept(null); // unplugged
            case 2 -> bind.accept(new PortBinding(p.id(), "h0", 7, "fa:16:3e:ff:ff:ff", PortBinding.State.PLUGGED,
                    "")); // a MAC that does not match: programs nothing
            case 3 -> bind.accept(new PortBinding(p.id(), "h0", 8, p.macAddress(), PortBinding.State.ERROR, "x"));
            case 4 -> replace(m, p, groups(random));
            case 5 -> m.ports.replaceAll(x -> x != p ? x : new Port(p.id(), p.name(), p.projectId(), p.networkId(),
                    p.macAddress(), List.of(new FixedIp(p.fixedIps().get(0).subnetId(), "10.0."
                    + p.networkId().charAt(3) + "." + (10 + random.nextInt(200)))), p.deviceId(), p.deviceOwner(),
                    p.hostId(), p.vifType(), p.adminStateUp(), p.securityGroups(), random.nextBoolean() ? List.of()
                    : List.of(new AddressPair("10.0.0.99", null)), p.portSecurityEnabled(), p.revision() + 1));
            case 6 -> m.ports.replaceAll(x -> x != p ? x : new Port(p.id(), p.name(), p.projectId(), p.networkId(),
                    p.macAddress(), p.fixedIps(), p.deviceId(), p.deviceOwner(), p.hostId(), p.vifType(),
                    !p.adminStateUp(), p.securityGroups(), p.allowedAddressPairs(), p.portSecurityEnabled(),
                    p.revision() + 1));
            case 7 -> m.ports.replaceAll(x -> x != p ? x : new Port(p.id(), p.name(), p.projectId(), p.networkId(),
                    p.macAddress(), p.fixedIps(), p.deviceId(), p.deviceOwner(), p.hostId(), p.vifType(),
                    p.adminStateUp(), p.securityGroups(), p.allowedAddressPairs(), !p.portSecurityEnabled(),
                    p.revision() + 1));
            default -> {
                if (b != null) { // the same binding again, a new instance: nothing changes
                    bind.accept(new PortBinding(b.portId(), b.host(), b.ofPort(), b.attachedMac(), b.state(),
                            b.error()));
                }
            }
        }
    }

    private static void changeOther(TestModel m, Random random, List<Network> nets, Network external) {
        switch (random.nextInt(6)) {
            case 0 -> {
                Network n = nets.get(random.nextInt(nets.size()));
                m.networks.replaceAll(x -> x != n ? x : new Network(n.id(), n.name(), n.projectId(), n.type(),
                        n.physicalNetwork(), n.segmentationId(), n.external(), n.shared(), n.mtu(),
                        !x.adminStateUp(), n.revision() + 1));
                nets.replaceAll(x -> x.id().equals(n.id()) ? m.networks.stream()
                        .filter(y -> y.id().equals(n.id())).findFirst().orElseThrow() : x);
            }
            case 1 -> {
                SecurityGroup web = m.securityGroups.stream().filter(g -> g.id().equals(WEB)).findFirst()
                        .orElseThrow();
                List<SecurityGroupRule> rules = new ArrayList<>(web.rules());
                if (rules.size() > 1 && random.nextBoolean()) {
                    rules.remove(rules.size() - 1);
                } else {
                    rules.add(new SecurityGroupRule("w-" + random.nextInt(1000), WEB, "egress", "IPv4", "udp", 53,
                            53, null, random.nextBoolean() ? DEFAULT : null));
                }
                m.securityGroups.replaceAll(g -> g != web ? g : new SecurityGroup(WEB, WEB, "p1", rules, 2));
            }
            case 2 -> m.router("r1", random.nextBoolean(), List.of());
            case 3 -> m.switchPorts.get("h0").put("extra-" + random.nextInt(3), 3000L + random.nextInt(3));
            case 4 -> {
                m.floatingIps.clear();
                Port p = m.ports.stream().filter(x -> x.deviceOwner().startsWith("compute")).skip(
                        random.nextInt(5)).findFirst().orElse(null);
                if (p != null) {
                    m.floatingIps.add(new FloatingIp("fip1", "p0", external.id(), "203.0.113.20", p.id(),
                            p.fixedIps().get(0).ipAddress(), "r1", 1));
                }
            }
            default -> m.gateways.put("r1", new HostViews.GatewayPlacement(List.of("h1", "h0"),
                    random.nextBoolean() ? "h0" : "h1"));
        }
    }
}
