package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.cli.bench.TenantLab;
import io.flowkeeper.cli.bench.TenantLab.Plugged;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.Vm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Tenant networks on real OVS: three controller nodes (two JVMs of their own, one in this JVM), two test-bed hosts
 * joined by VXLAN through their underlay, networks and ports created through the Neutron API. VMs get their
 * addresses from the real {@code dhclient} and ping across hosts; two projects with the same CIDR and the same
 * addresses never see each other; a VM sending from an address or MAC not its own is dropped; kill -9 of a switch's
 * master loses no packet of a 10 ms ping and its successor leaves the table as it was; an unplugged port's flows go
 * and its status turns DOWN; a VLAN network's VMs ping each other through their hosts' provider bridges; a VM
 * whose switch's master is killed as it asks for its address gets it from the next master.
 *
 * <p>Until the agent's routes land, this test plays the agent: it writes the host and binding documents straight
 * into the {@code network-config} shard through the node in its own JVM (the datastore API refuses writes there),
 * and creates the tunnel ports under {@link Host#tunnelPortName}.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class TenantNetworkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String BRIDGE = "br-int";
    private static TenantLab lab;
    private static LocalCluster cluster;
    private static DatastoreService store;
    private static RestClient api;
    private static final List<OvsHost> hosts = new ArrayList<>();

    private static Plugged red1;
    private static Plugged red2;
    private static Plugged blue1;
    private static Plugged blue2;

    @BeforeAll
    static void start() throws Exception {
        lab = TenantLab.start(2, 0xd1, List.of("request-timeout: 5s", "election-timeout-min: 1s",
                "election-timeout-max: 2s", "stats-interval: 1s", "network:",
                "  vlan-ranges: {physnet1: \"100:199\"}"));
        cluster = lab.cluster();
        store = lab.store();
        api = lab.api(); // the node in this JVM: never the one killed
        hosts.addAll(lab.hosts());
        String red = lab.create("networks", "{\"network\": {\"name\": \"red\", \"project_id\": \"red\"}}");
        String blue = lab.create("networks", "{\"network\": {\"name\": \"blue\", \"project_id\": \"blue\"}}");
        String redSubnet = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + red + "\","
                + " \"project_id\": \"red\", \"ip_version\": 4, \"cidr\": \"10.0.0.0/24\","
                + " \"dns_nameservers\": [\"10.0.0.53\"],"
                + " \"host_routes\": [{\"destination\": \"192.168.0.0/16\", \"nexthop\": \"10.0.0.254\"}]}}");
        String blueSubnet = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + blue + "\","
                + " \"project_id\": \"blue\", \"ip_version\": 4, \"cidr\": \"10.0.0.0/24\"}}");
        red1 = plug(hosts.get(0), "red1", red, redSubnet, "red", "fa:16:3e:00:01:01", "10.0.0.10");
        red2 = plug(hosts.get(1), "red2", red, redSubnet, "red", "fa:16:3e:00:01:02", "10.0.0.11");
        blue1 = plug(hosts.get(0), "blue1", blue, blueSubnet, "blue", "fa:16:3e:00:02:01", "10.0.0.10");
        blue2 = plug(hosts.get(1), "blue2", blue, blueSubnet, "blue", "fa:16:3e:00:02:02", "10.0.0.11");
    }

    @AfterAll
    static void stop() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    private static Plugged plug(OvsHost host, String name, String network, String subnet, String project, String mac,
                                String ip) throws Exception {
        return lab.plug(host, name, network, subnet, project, mac, ip, "");
    }

    private static String dhclient(Vm vm) {
        return vm.dhclient(Duration.ofSeconds(30));
    }

    @Test
    @Order(1)
    void portsBecomeActiveAndVmsGetTheirAddressesFromDhclient() throws Exception {
        for (Plugged p : List.of(red1, red2, blue1, blue2)) {
            await().atMost(LONG).until(() -> lab.portStatus(p.portId()).equals("ACTIVE"));
        }
        for (Plugged p : List.of(red1, red2, blue1, blue2)) {
            String lease = dhclient(p.vm());
            assertThat(lease).contains("fixed-address " + p.ip() + ";");
            assertThat(p.vm().exec("ip", "-4", "addr", "show", "dev", "eth0")).contains(p.ip() + "/24");
            if (p == red1) {
                assertThat(TenantLab.leaseOption(lease, "subnet-mask")).isEqualTo("255.255.255.0");
                assertThat(TenantLab.leaseOption(lease, "routers")).isEqualTo("10.0.0.1");
                assertThat(TenantLab.leaseOption(lease, "domain-name-servers")).isEqualTo("10.0.0.53");
                assertThat(TenantLab.leaseOption(lease, "interface-mtu")).isNotNull();
                assertThat(TenantLab.leaseOption(lease, "rfc3442-classless-static-routes"))
                        .isEqualTo("16,192,168,10,0,0,254,0,10,0,0,1");
                assertThat(TenantLab.leaseOption(lease, "host-name")).isEqualTo("\"host-10-0-0-10\"");
            }
        }
    }

    @Test
    @Order(2)
    void vmsOnDifferentHostsPingAcrossVxlan() {
        assertThat(red1.vm().reachable(red2.ip(), Duration.ofSeconds(20))).isTrue();
        assertThat(red1.vm().ping(red2.ip(), 20, Duration.ofSeconds(2))).isTrue();
        assertThat(blue2.vm().reachable(blue1.ip(), Duration.ofSeconds(20))).isTrue();
    }

    @Test
    @Order(3)
    void twoProjectsWithTheSameCidrAndAddressesAreIsolated() throws Exception {
        // red1 reaches 10.0.0.11 and it is red2 that answers, never blue2 (same address, other project)
        assertThat(red1.vm().reachable(red2.ip(), Duration.ofSeconds(20))).isTrue();
        assertThat(red1.vm().exec("ip", "neigh", "show", red2.ip())).contains(red2.vm().mac());
        long before = txPackets(blue2.vm());
        assertThat(red1.vm().ping(red2.ip(), 50, Duration.ofSeconds(2))).isTrue();
        red1.vm().arping("10.0.0.99", Duration.ofSeconds(1)); // a broadcast into red
        red1.vm().exec("ip", "neigh", "flush", "dev", "eth0");
        assertThat(red1.vm().reachable(red2.ip(), Duration.ofSeconds(20))).isTrue(); // and its ARP again
        assertThat(txPackets(blue2.vm())).as("packets delivered to blue2 while red talked").isEqualTo(before);
    }

    @Test
    @Order(4)
    void aVmSendingFromAnotherAddressOrMacIsDropped() throws Exception {
        Vm vm = red1.vm();
        assertThat(vm.reachable(red2.ip(), Duration.ofSeconds(20))).isTrue();
        vm.exec("ip", "addr", "flush", "dev", "eth0");
        vm.exec("ip", "addr", "add", "10.0.0.77/24", "dev", "eth0");
        vm.exec("ip", "neigh", "flush", "dev", "eth0");
        assertThat(vm.reachable(red2.ip(), Duration.ofSeconds(3))).as("spoofed source address").isFalse();
        vm.exec("ip", "addr", "flush", "dev", "eth0");
        vm.exec("ip", "addr", "add", red1.ip() + "/24", "dev", "eth0");
        vm.exec("ip", "link", "set", "eth0", "address", "fa:16:3e:00:09:09");
        vm.exec("ip", "neigh", "flush", "dev", "eth0");
        assertThat(vm.reachable(red2.ip(), Duration.ofSeconds(3))).as("spoofed MAC").isFalse();
        vm.exec("ip", "link", "set", "eth0", "address", red1.vm().mac());
        vm.exec("ip", "neigh", "flush", "dev", "eth0");
        assertThat(vm.reachable(red2.ip(), Duration.ofSeconds(20))).as("its own again").isTrue();
    }

    @Test
    @Order(5)
    void killingASwitchMasterLosesNoPacketAndItsSuccessorChangesNothing() throws Exception {
        // kill -9 the master of one of the two switches on the path, if a node of its own JVM masters one
        int victim = -1;
        int host = -1;
        for (int h = 0; h < 2 && victim < 0; h++) {
            String owner = owner(String.format("%016x", 0xd1 + h));
            if (owner != null && !owner.equals(cluster.id(2))) {
                victim = cluster.indexOf(owner);
                host = h;
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(victim >= 0, "both switches are mastered in this JVM");
        String switchId = String.format("%016x", 0xd1 + host);
        OvsHost onPath = hosts.get(host);
        List<String> before = onPath.dumpFlowsWithoutCounters(BRIDGE);
        io.flowkeeper.testbed.PingMonitor ping = red1.vm().startPing(red2.ip(), Duration.ofMillis(10));
        Thread.sleep(500);
        cluster.kill(victim);
        int killed = victim;
        await().atMost(LONG).until(() -> {
            String o = owner(switchId);
            return o != null && !o.equals(cluster.id(killed));
        });
        Thread.sleep(1_500);
        io.flowkeeper.testbed.PingResult result = ping.stop();
        assertThat(result.received()).isGreaterThan(50);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(onPath.dumpFlowsWithoutCounters(BRIDGE)).as("the new master compiled the same table")
                .isEqualTo(before);
    }

    @Test
    @Order(6)
    void unpluggingAPortRemovesItsFlowsAndSetsItDown() throws Exception {
        long ofport = blue2.vm().ofport();
        assertThat(hosts.get(1).dumpFlowsWithoutCounters(BRIDGE)).anyMatch(l -> l.contains("in_port=" + ofport + " "));
        assertThat(store.commit("network-config", Transaction.builder().delete("/neutron/bindings/" + blue2.portId())
                .build()).succeeded()).isTrue();
        await().atMost(LONG).until(() -> lab.portStatus(blue2.portId()).equals("DOWN"));
        await().atMost(LONG).until(() -> hosts.get(1).dumpFlowsWithoutCounters(BRIDGE).stream()
                .noneMatch(l -> l.contains("in_port=" + ofport + " ") || l.contains("output:" + ofport)));
        assertThat(blue1.vm().reachable(blue2.ip(), Duration.ofSeconds(2))).isFalse();
        assertThat(red1.vm().reachable(red2.ip(), Duration.ofSeconds(20))).isTrue();
    }

    @Test
    @Order(7)
    void vmsOfAVlanNetworkPingThroughTheirProviderBridges() throws Exception {
        // The agent's part: each host maps physnet1 to its br-ul (the shared segment between the hosts) and joins
        // it to br-int with a patch port pair.
        for (int h = 0; h < 2; h++) {
            OvsHost host = hosts.get(h);
            String inner = Host.providerPatchPortName(OvsHost.UNDERLAY_BRIDGE);
            host.vsctl("add-port", BRIDGE, inner, "--", "set", "interface", inner, "type=patch",
                    "options:peer=phy-" + OvsHost.UNDERLAY_BRIDGE, "--", "add-port", OvsHost.UNDERLAY_BRIDGE,
                    "phy-" + OvsHost.UNDERLAY_BRIDGE, "--", "set", "interface", "phy-" + OvsHost.UNDERLAY_BRIDGE,
                    "type=patch", "options:peer=" + inner);
            com.fasterxml.jackson.databind.node.ObjectNode doc = JSON.createObjectNode().put("name", host.name())
                    .put("tunnel_ip", host.underlayIp()).put("integration_bridge", BRIDGE).put("datapath_id", 0xd1 + h)
                    .put("agent_version", "test").put("heartbeat_millis", System.currentTimeMillis());
            doc.putObject("bridge_mappings").put("physnet1", OvsHost.UNDERLAY_BRIDGE);
            lab.putConfig("/neutron/hosts/" + host.name(), doc.toString());
        }
        String vlan = lab.create("networks", "{\"network\": {\"name\": \"green\", \"project_id\": \"green\","
                + " \"provider:network_type\": \"vlan\", \"provider:physical_network\": \"physnet1\","
                + " \"provider:segmentation_id\": 150}}");
        String subnet = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + vlan + "\","
                + " \"project_id\": \"green\", \"ip_version\": 4, \"cidr\": \"10.9.0.0/24\"}}");
        Plugged g1 = plug(hosts.get(0), "green1", vlan, subnet, "green", "fa:16:3e:00:03:01", "10.9.0.10");
        Plugged g2 = plug(hosts.get(1), "green2", vlan, subnet, "green", "fa:16:3e:00:03:02", "10.9.0.11");
        for (Plugged p : List.of(g1, g2)) {
            await().atMost(LONG).until(() -> lab.portStatus(p.portId()).equals("ACTIVE"));
            assertThat(dhclient(p.vm())).contains("fixed-address " + p.ip() + ";");
        }
        assertThat(hosts.get(0).dumpFlowsWithoutCounters(BRIDGE)).anyMatch(l -> l.contains("dl_vlan=150"));
        assertThat(g1.vm().reachable(g2.ip(), Duration.ofSeconds(20))).isTrue();
        assertThat(g2.vm().ping(g1.ip(), 20, Duration.ofSeconds(2))).isTrue();
        // the VXLAN networks still work beside it
        assertThat(red1.vm().reachable(red2.ip(), Duration.ofSeconds(20))).isTrue();
    }

    @Test
    @Order(8)
    void aVmAskingForItsAddressAsItsSwitchsMasterIsKilledGetsItFromTheNextMaster() throws Exception {
        for (int i = 0; i < 2; i++) {
            if (!cluster.isRunning(i)) {
                cluster.start(i);
                cluster.awaitReady(i, 180_000);
            }
        }
        int host = -1;
        int victim = -1;
        long deadline = System.nanoTime() + LONG.toNanos();
        while (victim < 0 && System.nanoTime() < deadline) {
            for (int h = 0; h < 2 && victim < 0; h++) {
                String owner = owner(String.format("%016x", 0xd1 + h));
                if (owner != null && !owner.equals(cluster.id(2))) {
                    victim = cluster.indexOf(owner);
                    host = h;
                }
            }
            Thread.sleep(200);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(victim >= 0, "both switches are mastered in this JVM");
        Plugged red3 = plug(hosts.get(host), "red3", red1Network(), red1Subnet(), "red", "fa:16:3e:00:01:03",
                "10.0.0.12");
        await().atMost(LONG).until(() -> lab.portStatus(red3.portId()).equals("ACTIVE"));
        // The master dies, then the VM asks: its first DISCOVER finds no master; a retransmission finds the next.
        cluster.kill(victim);
        long t0 = System.nanoTime();
        String lease = dhclient(red3.vm());
        assertThat(lease).contains("fixed-address 10.0.0.12;");
        System.out.printf("lease across the master's kill after %.2f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(red3.vm().reachable(red1.ip(), Duration.ofSeconds(20))).isTrue();
    }

    private static String red1Network() throws Exception {
        return api.get("/v2.0/ports/" + red1.portId()).body().path("port").path("network_id").asText();
    }

    private static String red1Subnet() throws Exception {
        return api.get("/v2.0/ports/" + red1.portId()).body().path("port").path("fixed_ips").get(0)
                .path("subnet_id").asText();
    }

    private static String owner(String dpid) throws Exception {
        for (int i = 0; i < 3; i++) {
            if (i < 2 && !cluster.isRunning(i)) {
                continue;
            }
            RestClient.Response r = cluster.client(i).get("/v1/ownership");
            if (!r.ok()) {
                continue;
            }
            for (JsonNode e : r.body().path("entities")) {
                if (e.path("entity").asText().equals("openflow:" + dpid) && e.path("owner").isTextual()) {
                    return e.get("owner").asText();
                }
            }
            return null;
        }
        return null;
    }

    /** Packets the switch sent to the VM (its port's tx counter). */
    private static long txPackets(Vm vm) {
        String out = vm.host().ofctl("dump-ports", BRIDGE, String.valueOf(vm.ofport()));
        Matcher m = Pattern.compile("tx pkts=(\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }
}
