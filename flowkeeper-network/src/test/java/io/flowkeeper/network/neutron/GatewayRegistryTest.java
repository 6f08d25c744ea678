package io.flowkeeper.network.neutron;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import io.flowkeeper.network.AgentEndpoint;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.identity.Caller;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HA gateway routers through the agents' routes and the Neutron API over the in-memory datastore: placement on the
 * gateway hosts that map the external network, the first election, failover when the active's lease expires, a
 * returning host under nopreempt and preempt, the l3-agents view, and bad input.
 */
class GatewayRegistryTest {
    private static final Caller ADMIN = NeutronApiTest.ADMIN;
    private static final Caller DEMO = NeutronApiTest.DEMO;

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final Clock clock = HostRegistryTest.clockOf(now);
    private final InMemoryDatastore store = new InMemoryDatastore();
    private final NeutronApi neutron = new NeutronApi(store, NetworkSettings.fromYaml(NeutronApiTest.yaml(
            "{\"vxlan-vni-ranges\": [\"100:109\"], \"flat-networks\": [\"extnet\"]}")), clock);
    private final AgentEndpoint agents = new AgentEndpoint(store, clock);
    private String ext;
    private String router;

    @AfterEach
    void stopWatches() {
        agents.close();
    }

    private ApiResponse agent(String method, String path, String body) {
        return agents.handle(new ApiRequest(method, path, Map.of(), Map.of(),
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), ""));
    }

    private ApiResponse neutron(Caller caller, String method, String path, String body) {
        return neutron.handle(new ApiRequest(method, path, Map.of(), Map.of(),
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), "http://test"), caller);
    }

    private static JsonNode ok(ApiResponse r) {
        assertThat(r.status()).as("%s", r.body()).isBetween(200, 204);
        return r.body();
    }

    private void register(String host, String mappings) {
        ok(agent("PUT", "/v1/network/hosts/" + host, "{\"tunnel_ip\": \"192.0.2.9\", \"bridge_mappings\": "
                + mappings + "}"));
    }

    /** The host's answer for the router, or null when the router is not placed on it. */
    private JsonNode renew(String host) {
        return renew(host, new String[0]);
    }

    @BeforeEach
    void externalNetworkAndRouter() {
        ext = ok(neutron(ADMIN, "POST", "/v2.0/networks", "{\"network\": {\"router:external\": true,"
                + " \"provider:network_type\": \"flat\", \"provider:physical_network\": \"extnet\"}}"))
                .path("network").path("id").asText();
        ok(neutron(ADMIN, "POST", "/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + ext + "\", \"ip_version\": 4,"
                + " \"cidr\": \"172.24.4.0/24\"}}"));
        router = ok(neutron(DEMO, "POST", "/v2.0/routers", "{\"router\": {\"name\": \"r1\", \"external_gateway_info\":"
                + " {\"network_id\": \"" + ext + "\"}}}")).path("router").path("id").asText();
        register("gw-a", "{\"extnet\": \"br-ex\"}");
        register("gw-b", "{\"extnet\": \"br-ex\"}");
        register("gw-other", "{\"physnet9\": \"br-ex\"}");
        register("compute-1", "{}");
    }

    @Test
    void theRouterIsPlacedOnTheGatewayHostsThatMapItsNetworkAndOneIsActive() {
        JsonNode a = renew("gw-a");
        assertThat(a.path("state").asText()).as("alone, gw-a is active").isEqualTo("active");
        assertThat(a.path("generation").asLong()).isEqualTo(1);
        assertThat(a.path("external_ip").asText()).startsWith("172.24.4.");
        assertThat(a.path("prefix_length").asInt()).isEqualTo(24);
        assertThat(a.path("external_mac").asText()).matches("fa:16:3e(:[0-9a-f]{2}){3}");
        assertThat(a.path("bridge").asText()).isEqualTo("br-ex");
        assertThat(a.path("vlan").isNull()).isTrue();
        JsonNode b = renew("gw-b");
        assertThat(b.path("state").asText()).as("nopreempt: the active stays").isEqualTo("standby");
        assertThat(b.path("generation").asLong()).isEqualTo(1);
        assertThat(renew("gw-other")).as("no mapping for extnet").isNull();
        JsonNode gw = ok(agent("GET", "/v1/network/gateways/" + router, null));
        assertThat(gw.path("active").asText()).isEqualTo("gw-a");
        assertThat(gw.path("hosts")).hasSize(2);
        assertThat(gw.path("preempt").asBoolean()).isFalse();
        assertThat(gw.path("last_failover_millis").isNull()).isTrue();

        JsonNode l3 = ok(neutron(ADMIN, "GET", "/v2.0/routers/" + router + "/l3-agents", null)).path("agents");
        assertThat(l3).hasSize(2);
        for (JsonNode agentView : l3) {
            assertThat(agentView.path("agent_type").asText()).isEqualTo("L3 agent");
            assertThat(agentView.path("ha_state").asText()).isEqualTo(
                    agentView.path("host").asText().equals("gw-a") ? "active" : "standby");
            assertThat(agentView.path("alive").asBoolean()).isTrue();
        }
    }

    @Test
    void anExpiredActiveIsReplacedAndAReturningHostRespectsPreempt() {
        java.util.List<String> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (var watch = GatewayRegistry.watchActive(store, (r, from, to, generation) -> changes.add(
                (r.equals(router) ? "r1" : r) + " " + from + " -> " + to + " " + generation))) {
            expireAndPreempt();
            // What the timeline shows: the first active, the failover, and the preempt if it moved the router.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> changes.size()
                    >= 2);
            assertThat(changes.subList(0, 2)).containsExactly("r1 null -> gw-a 1", "r1 gw-a -> gw-b 2");
        }
    }

    private void expireAndPreempt() {
        renew("gw-a");
        renew("gw-b");
        JsonNode gw = ok(agent("GET", "/v1/network/gateways/" + router, null));
        String first = gw.path("hosts").get(0).path("host").asText();
        String second = gw.path("hosts").get(1).path("host").asText();
        assertThat(gw.path("hosts").get(0).path("priority").asInt())
                .isGreaterThan(gw.path("hosts").get(1).path("priority").asInt());

        // Within the lease the active stays, even without renewing.
        now.addAndGet(GatewayRegistry.LEASE.toMillis());
        assertThat(renew("gw-b").path("generation").asLong()).isEqualTo(1);
        // gw-a stops renewing: gw-b's next renewal after the lease takes the router.
        now.addAndGet(1);
        JsonNode b = renew("gw-b");
        assertThat(b.path("state").asText()).isEqualTo("active");
        assertThat(b.path("generation").asLong()).isEqualTo(2);
        gw = ok(agent("GET", "/v1/network/gateways/" + router, null));
        assertThat(gw.path("last_failover_millis").asLong()).isEqualTo(now.get());
        assertThat(gw.path("hosts").findValuesAsText("state")).contains("fault");
        JsonNode l3 = ok(neutron(ADMIN, "GET", "/v2.0/routers/" + router + "/l3-agents", null)).path("agents");
        assertThat(l3.findValuesAsText("ha_state")).containsExactlyInAnyOrder("active", "standby");

        // gw-a returns; nopreempt: gw-b stays, whichever has the higher priority.
        assertThat(renew("gw-a").path("state").asText()).isEqualTo("standby");
        assertThat(renew("gw-b").path("generation").asLong()).isEqualTo(2);

        // With preempt, the host of higher priority takes the router back at its next renewal.
        assertThat(ok(agent("PUT", "/v1/network/gateways/" + router, "{\"preempt\": true}")).path("preempt")
                .asBoolean()).isTrue();
        JsonNode top = renew(first);
        assertThat(top.path("state").asText()).isEqualTo("active");
        assertThat(top.path("generation").asLong()).isEqualTo(first.equals("gw-b") ? 2 : 3);
        assertThat(renew(second).path("state").asText()).isEqualTo("standby");
    }

    /**
     * The fast path: a host whose integration switch closed its connection (EOF) to every live node loses its
     * routers once two renewals are missed, not after the full lease; a host still renewing, or whose switch closed
     * to fewer nodes, or reconnected to one, keeps them until the full lease.
     */
    @Test
    void aHostWhoseSwitchClosedItsConnectionsIsDeadAfterTwoMissedRenewals() {
        ok(agent("PUT", "/v1/network/hosts/gw-a", "{\"tunnel_ip\": \"192.0.2.9\", \"datapath_id\": 10,"
                + " \"bridge_mappings\": {\"extnet\": \"br-ex\"}}"));
        renew("gw-a");
        renew("gw-b");
        assertThat(ok(agent("GET", "/v1/network/gateways/" + router, null)).path("active").asText())
                .isEqualTo("gw-a");
        GatewayRegistry registry = new GatewayRegistry(store, clock);
        registry.switchClosed(11, "n1", 3); // not gw-a's switch
        registry.switchClosed(10, "n1", 3);
        registry.switchClosed(10, "n2", 3);
        now.addAndGet(GatewayRegistry.FAST_LEASE.toMillis() + 1);
        assertThat(renew("gw-b").path("state").asText()).as("closed to two of three nodes").isEqualTo("standby");
        registry.switchClosed(10, "n3", 3);
        registry.switchConnected(10, "n2"); // back on one node: alive after all
        assertThat(renew("gw-b").path("state").asText()).as("connected to n2 again").isEqualTo("standby");
        registry.switchClosed(10, "n2", 3);
        JsonNode b = renew("gw-b");
        assertThat(b.path("state").asText()).as("closed to every node, two renewals missed").isEqualTo("active");
        assertThat(b.path("generation").asLong()).isEqualTo(2);
        // it returns: its switch connects again, and it renews as standby (nopreempt)
        for (String node : java.util.List.of("n1", "n2", "n3")) {
            registry.switchConnected(10, node);
        }
        assertThat(renew("gw-a").path("state").asText()).isEqualTo("standby");
        assertThat(store.list(NeutronDocuments.SHARD, io.flowkeeper.api.store.DataPath.of(NeutronDocuments.ROOT
                + "/" + GatewayRegistry.CLOSED), io.flowkeeper.api.store.ReadConsistency.STALE).values()).isEmpty();
    }

    @Test
    void aHostStillRenewingKeepsItsRoutersThoughItsSwitchClosed() {
        ok(agent("PUT", "/v1/network/hosts/gw-a", "{\"tunnel_ip\": \"192.0.2.9\", \"datapath_id\": 10,"
                + " \"bridge_mappings\": {\"extnet\": \"br-ex\"}}"));
        renew("gw-a");
        renew("gw-b");
        GatewayRegistry registry = new GatewayRegistry(store, clock);
        for (String node : java.util.List.of("n1", "n2", "n3")) {
            registry.switchClosed(10, node, 3); // e.g. an operator changed the switch's controllers
        }
        for (int i = 0; i < 20; i++) {
            now.addAndGet(GatewayRegistry.RENEW.toMillis());
            renew("gw-a");
            assertThat(renew("gw-b").path("state").asText()).isEqualTo("standby");
        }
        // then it stops renewing: standby while within two renewal periods, active just after
        now.addAndGet(GatewayRegistry.FAST_LEASE.toMillis());
        assertThat(renew("gw-b").path("state").asText()).isEqualTo("standby");
        now.addAndGet(1);
        assertThat(renew("gw-b").path("state").asText()).isEqualTo("active");
    }

    /** {@link #renew(String)} naming {@code unreachable} as the gateway hosts BFD cannot reach from {@code host}. */
    private JsonNode renew(String host, String... unreachable) {
        JsonNode answer = lease(host, unreachable);
        assertThat(answer.path("unreachable_hold_millis").asLong())
                .isEqualTo(GatewayRegistry.UNREACHABLE_HOLD.toMillis());
        for (JsonNode r : answer.path("routers")) {
            if (r.path("router").asText().equals(router)) {
                return r;
            }
        }
        return null;
    }

    /**
     * The data-plane path: an active the standby's BFD cannot reach loses its routers once its lease is
     * {@link GatewayRegistry#UNREACHABLE_LEASE} old; still renewing (only the underlay between the two is cut), it
     * keeps them; not named, it keeps them until the full lease.
     */
    @Test
    void anActiveTheStandbyCannotReachIsDeadOnceItsLeaseIsPastTheShorterLease() {
        renew("gw-a");
        renew("gw-b");
        // the underlay between them is cut, both still renew: nothing moves
        for (int i = 0; i < 10; i++) {
            now.addAndGet(GatewayRegistry.RENEW.toMillis());
            assertThat(renew("gw-a", "gw-b").path("state").asText()).isEqualTo("active");
            assertThat(renew("gw-b", "gw-a").path("state").asText()).isEqualTo("standby");
        }
        // gw-a stops renewing: within the shorter lease, nothing; past it, gw-b takes the router only if it names gw-a
        now.addAndGet(GatewayRegistry.UNREACHABLE_LEASE.toMillis());
        assertThat(renew("gw-b", "gw-a").path("state").asText()).isEqualTo("standby");
        now.addAndGet(1);
        assertThat(renew("gw-b").path("state").asText()).as("not named: the full lease").isEqualTo("standby");
        JsonNode b = renew("gw-b", "gw-a");
        assertThat(b.path("state").asText()).as("named unreachable, lease past the shorter one").isEqualTo("active");
        assertThat(b.path("generation").asLong()).isEqualTo(2);
        // the agent's hold while its BFD is down ends before the cluster may move: the margin the class comment names
        assertThat(GatewayRegistry.UNREACHABLE_LEASE.minus(GatewayRegistry.UNREACHABLE_HOLD).toMillis())
                .isEqualTo(200);
    }

    /** The standby is told when the silent active will count as dead, so it renews right then, not at its next turn. */
    @Test
    void theStandbyIsToldWhenASilentActiveWillCountAsDead() {
        renew("gw-a");
        assertThat(lease("gw-b").has("settle_in_millis")).as("the active renews: nothing due").isFalse();
        now.addAndGet(1_400);
        assertThat(lease("gw-b").path("settle_in_millis").asLong()).as("the full lease").isEqualTo(101);
        now.addAndGet(-1_400 + 450);
        assertThat(lease("gw-b", "gw-a").path("settle_in_millis").asLong()).as("named unreachable")
                .isEqualTo(GatewayRegistry.UNREACHABLE_LEASE.toMillis() + 1 - 450);
        assertThat(lease("gw-a").has("settle_in_millis")).as("the active itself").isFalse();
    }

    /** The whole answer to a renewal of {@code host}'s lease, naming {@code unreachable}. */
    private JsonNode lease(String host, String... unreachable) {
        var body = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("incarnation",
                "i-" + host);
        java.util.Arrays.stream(unreachable).forEach(body.putArray("unreachable")::add);
        return ok(agent("PUT", "/v1/network/hosts/" + host + "/gateway-lease", body.toString()));
    }

    @Test
    void badInputIsRefusedAndNothingIsWritten() {
        assertThat(agent("PUT", "/v1/network/hosts/nobody/gateway-lease", "{\"incarnation\": \"x\"}").status())
                .isEqualTo(404);
        assertThat(agent("PUT", "/v1/network/hosts/gw-a/gateway-lease", "{\"incarnation\": \"a b\"}").status())
                .isEqualTo(400);
        assertThat(agent("PUT", "/v1/network/hosts/gw-a/gateway-lease", "[1]").status()).isEqualTo(400);
        for (String unreachable : List.of("\"gw-b\"", "[1]", "[\"a b\"]", "[" + "\"h\",".repeat(64) + "\"h\"]")) {
            ApiResponse r = agent("PUT", "/v1/network/hosts/gw-a/gateway-lease", "{\"incarnation\": \"x\","
                    + " \"unreachable\": " + unreachable + "}");
            assertThat(r.status()).as(unreachable).isEqualTo(400);
            assertThat(r.body().path("error").asText()).startsWith("unreachable");
        }
        assertThat(agent("PUT", "/v1/network/gateways/" + router, "{\"preempt\": true}").status())
                .as("not placed yet").isEqualTo(404);
        renew("gw-a");
        assertThat(agent("PUT", "/v1/network/gateways/" + router, "{\"preempt\": \"yes\"}").status()).isEqualTo(400);
        assertThat(agent("PUT", "/v1/network/gateways/" + router, "{\"active\": \"gw-b\"}").status()).isEqualTo(400);
        assertThat(ok(agent("GET", "/v1/network/gateways", null)).path("gateways")).hasSize(1);
        assertThat(neutron(DEMO, "GET", "/v2.0/routers/" + router + "/l3-agents", null).status()).isEqualTo(403);
        ApiResponse missing = neutron(ADMIN, "GET", "/v2.0/routers/" + java.util.UUID.randomUUID() + "/l3-agents",
                null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().path("NeutronError").path("type").asText()).isEqualTo("RouterNotFound");

        // A gateway on a network that is not external: Neutron's 400, and no router written.
        String internal = ok(neutron(DEMO, "POST", "/v2.0/networks", "{\"network\": {\"name\": \"in\"}}"))
                .path("network").path("id").asText();
        int before = ok(neutron(ADMIN, "GET", "/v2.0/routers", null)).path("routers").size();
        ApiResponse bad = neutron(DEMO, "POST", "/v2.0/routers", "{\"router\": {\"external_gateway_info\":"
                + " {\"network_id\": \"" + internal + "\"}}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().path("NeutronError").path("message").asText()).contains("is not a valid external");
        assertThat(ok(neutron(ADMIN, "GET", "/v2.0/routers", null)).path("routers")).hasSize(before);
    }
}
