package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.api.network.Host;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.controller.ControllerConfig;
import io.flowkeeper.controller.ControllerNode;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Distributed routing on real OVS: a three-node cluster (two JVMs of their own, one in this JVM), two test-bed hosts
 * joined by VXLAN, two subnets joined by a router through the Neutron API. A on h1 (subnet 1) and B on h2
 * (subnet 2) have no network in common on their hosts, so every packet between them is routed on its sender's
 * host and crosses on the destination network's tunnel; the real {@code ping} sees the TTL one lower than across
 * the same subnet (C, subnet 1 on h2). The gateways answer ping; a static route of the router reaches an address
 * behind B; removing the interface stops routing.
 *
 * <p>As {@link TenantNetworkTest}, this test plays the agent: host and binding documents written into the
 * {@code network-config} shard, tunnel ports created under {@link Host#tunnelPortName}.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class RouterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String BRIDGE = "br-int";
    private static final Pattern TTL = Pattern.compile("ttl=(\\d+)");
    private static TestBed bed;
    private static LocalCluster cluster;
    private static ControllerNode inProcess;
    private static DatastoreService store;
    private static RestClient api;
    private static final List<OvsHost> hosts = new ArrayList<>();

    private record Plugged(Vm vm, String portId, String ip) {
    }

    private static Plugged a;
    private static Plugged b;
    private static Plugged c;
    private static String router;
    private static String subnet1;
    private static String subnet2;

    @BeforeAll
    static void start() throws Exception {
        bed = TestBed.create();
        cluster = LocalCluster.inTempDir(3, List.of("request-timeout: 5s", "election-timeout-min: 1s",
                "election-timeout-max: 2s", "stats-interval: 1s"), bed.controllerIp());
        cluster.start(0);
        cluster.start(1);
        inProcess = new ControllerNode(ControllerConfig.load(cluster.configFile(2), Map.of()));
        inProcess.start(new PrintStream(OutputStream.nullOutputStream()));
        cluster.awaitReady(0, 180_000);
        cluster.awaitReady(1, 180_000);
        store = inProcess.cluster();
        api = cluster.client(2);
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            targets.add("tcp:" + cluster.openflowAddress(i));
        }
        for (int h = 0; h < 2; h++) {
            OvsHost host = bed.addHost("h" + (h + 1)).attachUnderlay();
            host.addBridge(BridgeSpec.named(BRIDGE));
            host.vsctl("set", "bridge", BRIDGE, "other-config:datapath-id=" + String.format("%016x", 0xe1 + h));
            hosts.add(host);
        }
        hosts.get(0).addTunnel(BRIDGE, Host.tunnelPortName(hosts.get(1).underlayIp()), "vxlan", hosts.get(1));
        hosts.get(1).addTunnel(BRIDGE, Host.tunnelPortName(hosts.get(0).underlayIp()), "vxlan", hosts.get(0));
        for (int h = 0; h < 2; h++) {
            OvsHost host = hosts.get(h);
            put("/neutron/hosts/" + host.name(), JSON.createObjectNode().put("name", host.name())
                    .put("tunnel_ip", host.underlayIp()).put("integration_bridge", BRIDGE).put("datapath_id", 0xe1 + h)
                    .put("agent_version", "test").put("heartbeat_millis", System.currentTimeMillis()).toString());
            host.setControllers(BRIDGE, targets.toArray(String[]::new));
        }

        String net1 = create("networks", "{\"network\": {\"name\": \"one\", \"project_id\": \"p\"}}");
        String net2 = create("networks", "{\"network\": {\"name\": \"two\", \"project_id\": \"p\"}}");
        subnet1 = create("subnets", "{\"subnet\": {\"network_id\": \"" + net1 + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}");
        subnet2 = create("subnets", "{\"subnet\": {\"network_id\": \"" + net2 + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.2.0.0/24\"}}");
        a = plug(hosts.get(0), "a", net1, subnet1, "fa:16:3e:00:0a:01", "10.1.0.10", "");
        // B may send from the addresses behind it that the router's static route points at
        b = plug(hosts.get(1), "b", net2, subnet2, "fa:16:3e:00:0b:01", "10.2.0.10",
                ", \"allowed_address_pairs\": [{\"ip_address\": \"172.16.0.0/16\"}]");
        c = plug(hosts.get(1), "c", net1, subnet1, "fa:16:3e:00:0a:02", "10.1.0.11", "");
        router = create("routers", "{\"router\": {\"name\": \"r\", \"project_id\": \"p\"}}");
        for (String s : List.of(subnet1, subnet2)) {
            RestClient.Response r = api.put("/v2.0/routers/" + router + "/add_router_interface",
                    "{\"subnet_id\": \"" + s + "\"}");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (inProcess != null) {
            inProcess.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (bed != null) {
            bed.close(); // and with the VMs' namespaces, their DHCP clients
        }
    }

    private static void put(String path, String json) {
        assertThat(store.commit("network-config", Transaction.builder().put(path, json).build()).succeeded()).isTrue();
    }

    private static String create(String collection, String body) throws Exception {
        RestClient.Response r = api.post("/v2.0/" + collection, body);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
        return r.body().elements().next().path("id").asText();
    }

    private static Plugged plug(OvsHost host, String name, String network, String subnet, String mac, String ip,
                                String extra) throws Exception {
        Vm vm = host.addVm(name, BRIDGE, mac, null);
        String port = create("ports", "{\"port\": {\"network_id\": \"" + network + "\", \"project_id\": \"p\","
                + " \"mac_address\": \"" + mac + "\", \"fixed_ips\": [{\"subnet_id\": \"" + subnet
                + "\", \"ip_address\": \"" + ip + "\"}], \"binding:host_id\": \"" + host.name() + "\"" + extra + "}}");
        put("/neutron/bindings/" + port, JSON.createObjectNode().put("port_id", port).put("host", host.name())
                .put("ofport", vm.ofport()).put("attached_mac", mac).put("state", "PLUGGED").toString());
        return new Plugged(vm, port, ip);
    }

    private static String status(String port) throws Exception {
        return api.get("/v2.0/ports/" + port).body().path("port").path("status").asText();
    }

    /** The TTL of every echo reply of three pings (the replies' TTL as the receiver saw them). */
    private static List<Integer> replyTtls(Vm from, String to) {
        String out = from.exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", to);
        List<Integer> ttls = new ArrayList<>();
        Matcher m = TTL.matcher(out);
        while (m.find()) {
            ttls.add(Integer.parseInt(m.group(1)));
        }
        return ttls;
    }

    private static void setRoutes(String routesJson) throws Exception {
        RestClient.Response r = api.put("/v2.0/routers/" + router, "{\"router\": {\"routes\": " + routesJson + "}}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    }

    @Test
    @Order(1)
    void vmsGetTheirGatewayFromDhcpAndUseIt() throws Exception {
        for (Plugged p : List.of(a, b, c)) {
            await().atMost(LONG).until(() -> status(p.portId()).equals("ACTIVE"));
        }
        for (Plugged p : List.of(a, b, c)) {
            String lease = p.vm().dhclient(Duration.ofSeconds(30));
            assertThat(lease).contains("fixed-address " + p.ip() + ";");
            Matcher m = Pattern.compile("option routers ([^;]*);").matcher(lease);
            assertThat(m.find()).as(lease).isTrue();
            String gateway = p.ip().startsWith("10.1.") ? "10.1.0.1" : "10.2.0.1";
            assertThat(m.group(1)).isEqualTo(gateway);
            // the test bed's dhclient-script sets the address only: the route is the VM's own business
            p.vm().exec("ip", "route", "replace", "default", "via", m.group(1));
        }
    }

    @Test
    @Order(2)
    void vmsOnTwoSubnetsOnTwoHostsPingThroughTheRouterWithTheTtlDecrementedOnce() {
        assertThat(a.vm().reachable(b.ip(), Duration.ofSeconds(30))).isTrue();
        assertThat(a.vm().ping(b.ip(), 20, Duration.ofSeconds(2))).isTrue();
        assertThat(b.vm().ping(a.ip(), 20, Duration.ofSeconds(2))).isTrue();
        // one router hop each way: B's reply (sent with 64) reaches A with 63; across the same subnet it stays 64
        assertThat(replyTtls(a.vm(), b.ip())).containsOnly(63).hasSize(3);
        assertThat(replyTtls(b.vm(), a.ip())).containsOnly(63).hasSize(3);
        assertThat(c.vm().reachable(a.ip(), Duration.ofSeconds(20))).isTrue();
        assertThat(replyTtls(c.vm(), a.ip())).containsOnly(64).hasSize(3);
        // the router's MAC on the destination subnet is the source B sees for A: it learned it, not A's
        String neighbours = b.vm().exec("ip", "neigh", "show", "dev", "eth0");
        assertThat(neighbours).doesNotContain("fa:16:3e:00:0a:01");
    }

    @Test
    @Order(3)
    void theRoutersAddressesAnswerPingOnEveryHostWithAVmOfTheSubnet() {
        assertThat(a.vm().reachable("10.1.0.1", Duration.ofSeconds(20))).isTrue();
        assertThat(a.vm().ping("10.1.0.1", 10, Duration.ofSeconds(2))).isTrue();
        assertThat(a.vm().ping("10.2.0.1", 10, Duration.ofSeconds(2))).isTrue();
        assertThat(b.vm().ping("10.2.0.1", 10, Duration.ofSeconds(2))).isTrue();
        assertThat(c.vm().ping("10.1.0.1", 10, Duration.ofSeconds(2))).isTrue();
        // answered on the sender's host, not routed: the TTL the VM sent
        assertThat(replyTtls(a.vm(), "10.1.0.1")).containsOnly(64).hasSize(3);
    }

    @Test
    @Order(4)
    void aStaticRouteOfTheRouterReachesAnAddressBehindItsNextHop() throws Exception {
        b.vm().exec("ip", "addr", "add", "172.16.5.5/32", "dev", "eth0");
        assertThat(a.vm().ping("172.16.5.5", 2, Duration.ofSeconds(1))).as("no route yet").isFalse();
        setRoutes("[{\"destination\": \"172.16.0.0/16\", \"nexthop\": \"" + b.ip() + "\"}]");
        assertThat(a.vm().reachable("172.16.5.5", Duration.ofSeconds(30))).isTrue();
        assertThat(a.vm().ping("172.16.5.5", 10, Duration.ofSeconds(2))).isTrue();
        assertThat(replyTtls(a.vm(), "172.16.5.5")).containsOnly(63).hasSize(3);
        setRoutes("[]");
        await().atMost(LONG).until(() -> !a.vm().ping("172.16.5.5", 1, Duration.ofSeconds(1)));
        assertThat(a.vm().ping(b.ip(), 5, Duration.ofSeconds(2))).as("connected routes stay").isTrue();
    }

    @Test
    @Order(5)
    void removingTheInterfaceStopsRoutingAndTheGatewayAnswering() throws Exception {
        RestClient.Response r = api.put("/v2.0/routers/" + router + "/remove_router_interface",
                "{\"subnet_id\": \"" + subnet2 + "\"}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        await().atMost(LONG).until(() -> !a.vm().ping(b.ip(), 1, Duration.ofSeconds(1)));
        assertThat(a.vm().ping(b.ip(), 5, Duration.ofSeconds(1))).isFalse();
        assertThat(b.vm().ping("10.2.0.1", 3, Duration.ofSeconds(1))).isFalse();
        // the other interface still answers, and switching on the subnet is untouched
        assertThat(a.vm().ping("10.1.0.1", 5, Duration.ofSeconds(2))).isTrue();
        assertThat(a.vm().ping(c.ip(), 5, Duration.ofSeconds(2))).isTrue();
        JsonNode ports = api.get("/v2.0/ports?device_id=" + router).body().path("ports");
        assertThat(ports).hasSize(1);
    }
}
