package io.flowkeeper.cli.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.cli.bench.TenantLab;
import io.flowkeeper.cli.bench.TenantLab.Plugged;
import io.flowkeeper.controller.RestClient;
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
 * Distributed routing on real OVS: a three-node cluster (two JVMs of their own, one in this JVM), two test-bed hosts
 * joined by VXLAN, two subnets joined by a router through the Neutron API. A on h1 (subnet 1) and B on h2
 * (subnet 2) have no network in common on their hosts, so every packet between them is routed on its sender's
 * host and crosses on the destination network's tunnel; the real {@code ping} sees the TTL one lower than across
 * the same subnet (C, subnet 1 on h2). The gateways answer ping; a static route of the router reaches an address
 * behind B; removing the interface stops routing.
 *
 * <p>The {@link TenantLab} plays the agent: host and binding documents written into the {@code network-config}
 * shard, tunnel ports created under their agent names.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(600)
class RouterTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Pattern TTL = Pattern.compile("ttl=(\\d+)");
    private static TenantLab lab;
    private static RestClient api;
    private static Plugged a;
    private static Plugged b;
    private static Plugged c;
    private static String router;
    private static String subnet1;
    private static String subnet2;

    @BeforeAll
    static void start() throws Exception {
        lab = TenantLab.start(2, 0xe1, List.of("request-timeout: 5s", "election-timeout-min: 1s",
                "election-timeout-max: 2s", "stats-interval: 1s"));
        api = lab.api();
        String net1 = lab.create("networks", "{\"network\": {\"name\": \"one\", \"project_id\": \"p\"}}");
        String net2 = lab.create("networks", "{\"network\": {\"name\": \"two\", \"project_id\": \"p\"}}");
        subnet1 = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + net1 + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.1.0.0/24\"}}");
        subnet2 = lab.create("subnets", "{\"subnet\": {\"network_id\": \"" + net2 + "\", \"project_id\": \"p\","
                + " \"ip_version\": 4, \"cidr\": \"10.2.0.0/24\"}}");
        a = lab.plug(lab.host(0), "a", net1, subnet1, "p", "fa:16:3e:00:0a:01", "10.1.0.10", "");
        // B may send from the addresses behind it that the router's static route points at
        b = lab.plug(lab.host(1), "b", net2, subnet2, "p", "fa:16:3e:00:0b:01", "10.2.0.10",
                ", \"allowed_address_pairs\": [{\"ip_address\": \"172.16.0.0/16\"}]");
        c = lab.plug(lab.host(1), "c", net1, subnet1, "p", "fa:16:3e:00:0a:02", "10.1.0.11", "");
        router = lab.create("routers", "{\"router\": {\"name\": \"r\", \"project_id\": \"p\"}}");
        lab.addRouterInterfaces(router, subnet1, subnet2);
    }

    @AfterAll
    static void stop() throws Exception {
        if (lab != null) {
            lab.close();
        }
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
            await().atMost(LONG).until(() -> lab.portStatus(p.portId()).equals("ACTIVE"));
        }
        for (Plugged p : List.of(a, b, c)) {
            // the test bed's dhclient-script sets the address only: the lab sets the lease's router as the route
            String lease = TenantLab.configureFromDhcp(p.vm(), Duration.ofSeconds(30));
            assertThat(lease).contains("fixed-address " + p.ip() + ";");
            String gateway = p.ip().startsWith("10.1.") ? "10.1.0.1" : "10.2.0.1";
            assertThat(TenantLab.leaseOption(lease, "routers")).isEqualTo(gateway);
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
