package io.flowkeeper.network.neutron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.api.network.PortBinding;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import io.flowkeeper.network.AgentEndpoint;
import io.flowkeeper.network.ApiRequest;
import io.flowkeeper.network.ApiResponse;
import io.flowkeeper.network.NetworkManager;
import io.flowkeeper.network.NetworkSettings;
import io.flowkeeper.network.identity.Caller;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agents' routes and the host registry over the in-memory datastore: registration and heartbeats, plug and
 * unplug reports with their validation, the port's ML2 binding attributes and their policy, the agent list, and
 * which hosts need tunnels to which.
 */
class HostRegistryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Caller ADMIN = NeutronApiTest.ADMIN;
    private static final Caller DEMO = NeutronApiTest.DEMO;

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final Clock clock = clockOf(now);

    /** A clock that reads {@code now} (epoch ms), which the test moves. */
    static Clock clockOf(AtomicLong now) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
    }
    private final InMemoryDatastore store = new InMemoryDatastore();
    private final NeutronApi neutron = new NeutronApi(store, NetworkSettings.fromYaml(NeutronApiTest.yaml(
            "{\"vxlan-vni-ranges\": [\"100:109\"], \"vlan-ranges\": {\"physnet1\": \"100:199\"}}")), clock);
    private final AgentEndpoint agents = new AgentEndpoint(store, clock);

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

    private void register(String host, String tunnelIp) {
        ok(agent("PUT", "/v1/network/hosts/" + host, "{\"tunnel_ip\": \"" + tunnelIp + "\", \"integration_bridge\":"
                + " \"br-int\", \"datapath_id\": 4660, \"bridge_mappings\": {\"physnet1\": \"br-vlan\"},"
                + " \"agent_version\": \"0.1\"}"));
    }

    private String network(String type) {
        String body = type.equals("vlan") ? "{\"network\": {\"name\": \"v\", \"provider:network_type\": \"vlan\","
                + " \"provider:physical_network\": \"physnet1\"}}" : "{\"network\": {\"name\": \"x\"}}";
        String id = ok(neutron(ADMIN, "POST", "/v2.0/networks", body)).path("network").path("id").asText();
        ok(neutron(ADMIN, "POST", "/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + id + "\", \"ip_version\": 4,"
                + " \"cidr\": \"10.0.0.0/24\"}}"));
        return id;
    }

    private JsonNode port(String network) {
        return ok(neutron(ADMIN, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + network + "\"}}"))
                .path("port");
    }

    private JsonNode plug(String host, JsonNode port, int ofport, String mac) {
        return ok(agent("POST", "/v1/network/hosts/" + host + "/bindings", "{\"plugged\": [{\"port_id\": \""
                + port.path("id").asText() + "\", \"ofport\": " + ofport + ", \"attached_mac\": \"" + mac + "\"}]}"));
    }

    private JsonNode shown(Caller caller, JsonNode port) {
        return ok(neutron(caller, "GET", "/v2.0/ports/" + port.path("id").asText(), null)).path("port");
    }

    @Test
    void aRegisteredHostIsAnAgentAliveWhileItBeats() {
        register("compute-1", "192.0.2.1");
        JsonNode list = ok(neutron(ADMIN, "GET", "/v2.0/agents", null)).path("agents");
        assertThat(list).hasSize(1);
        JsonNode a = list.get(0);
        assertThat(a.path("host").asText()).isEqualTo("compute-1");
        assertThat(a.path("agent_type").asText()).isEqualTo("Open vSwitch agent");
        assertThat(a.path("binary").asText()).isEqualTo("neutron-openvswitch-agent");
        assertThat(a.path("alive").asBoolean()).isTrue();
        assertThat(a.path("configurations").path("tunneling_ip").asText()).isEqualTo("192.0.2.1");
        assertThat(a.path("configurations").path("bridge_mappings").path("physnet1").asText()).isEqualTo("br-vlan");
        assertThat(ok(neutron(ADMIN, "GET", "/v2.0/agents/" + a.path("id").asText(), null)).path("agent")
                .path("host").asText()).isEqualTo("compute-1");
        assertThat(ok(neutron(DEMO, "GET", "/v2.0/agents", null)).path("agents")).isEmpty();

        now.addAndGet(HostRegistry.AGENT_DOWN_TIME.toMillis() + 1);
        assertThat(ok(neutron(ADMIN, "GET", "/v2.0/agents", null)).path("agents").get(0).path("alive").asBoolean())
                .isFalse();
        assertThat(ok(agent("GET", "/v1/network/hosts/compute-1", null)).path("alive").asBoolean()).isFalse();
        register("compute-1", "192.0.2.1"); // a heartbeat
        assertThat(ok(agent("GET", "/v1/network/hosts", null)).path("hosts").get(0).path("alive").asBoolean())
                .isTrue();
        assertThat(new NetworkManager(store).hosts().get(0).heartbeatMillis()).isEqualTo(now.get());
        assertThat(new NetworkManager(store).hosts().get(0).flowSnapshot()).isFalse(); // not said: no snapshot
        ok(agent("PUT", "/v1/network/hosts/compute-1", "{\"tunnel_ip\": \"192.0.2.1\", \"bridge_mappings\": "
                + "{\"physnet1\": \"br-vlan\"}, \"flow_snapshot\": true}"));
        assertThat(new NetworkManager(store).hosts().get(0).flowSnapshot()).isTrue();

        JsonNode updated = ok(neutron(ADMIN, "PUT", "/v2.0/agents/" + a.path("id").asText(), "{\"agent\":"
                + " {\"admin_state_up\": false, \"description\": \"draining\"}}")).path("agent");
        assertThat(updated.path("admin_state_up").asBoolean()).isFalse();
        register("compute-1", "192.0.2.1"); // a heartbeat keeps what the operator set
        JsonNode kept = ok(neutron(ADMIN, "GET", "/v2.0/agents/" + a.path("id").asText(), null)).path("agent");
        assertThat(kept.path("admin_state_up").asBoolean()).isFalse();
        assertThat(kept.path("description").asText()).isEqualTo("draining");
        assertThat(neutron(ADMIN, "PUT", "/v2.0/agents/" + a.path("id").asText(), "{\"agent\": {\"host\": \"x\"}}")
                .status()).isEqualTo(400);
        assertThat(neutron(DEMO, "PUT", "/v2.0/agents/" + a.path("id").asText(), "{\"agent\": {\"description\":"
                + " \"x\"}}").status()).isEqualTo(404);

        ok(neutron(ADMIN, "DELETE", "/v2.0/agents/" + a.path("id").asText(), null));
        assertThat(ok(neutron(ADMIN, "GET", "/v2.0/agents", null)).path("agents")).isEmpty();
    }

    /** A heartbeat as the agent sends it with its snapshot's figures and its last restore (of restore time agentAt). */
    private JsonNode beat(String host, long snapshotAge, long agentAt, long restoreAgo) {
        return ok(agent("PUT", "/v1/network/hosts/" + host, "{\"tunnel_ip\": \"192.0.2.1\", \"flow_snapshot\": true,"
                + " \"snapshot\": {\"flows\": 1200, \"bytes\": 96000, \"age_millis\": " + snapshotAge
                + ", \"state\": \"journaling\"}, \"last_restore\": {\"agent_at_millis\": " + agentAt
                + ", \"ago_millis\": " + restoreAgo + ", \"flows\": 1200, \"duration_millis\": 85,"
                + " \"reason\": \"ovs-vswitchd restarted\"}}"));
    }

    @Test
    void theAgentsSnapshotAndLastRestoreAreShownDatedByTheNodeAndEachRestoreIsSeenOnce() throws Exception {
        java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (var watch = HostRegistry.watchRestores(store, (host, bridge, r) -> seen.add(host + " " + bridge + " "
                + r.path("flows").asLong() + " " + r.path("duration_millis").asLong() + " " + r.path("at_millis")
                .asLong()))) {
            register("compute-1", "192.0.2.1");
            JsonNode first = beat("compute-1", 4_000, 5_555, 1_000);
            // Dated by the node's clock from the ages the agent sent (the agent's own clock may be wrong).
            assertThat(first.path("snapshot").path("written_millis").asLong()).isEqualTo(now.get() - 4_000);
            assertThat(first.path("last_restore").path("at_millis").asLong()).isEqualTo(now.get() - 1_000);
            long restoredAt = now.get() - 1_000;
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
            assertThat(seen.get(0)).isEqualTo("compute-1 br-int 1200 85 " + restoredAt);

            // Later heartbeats of the same restore: its date stays, no new event; the snapshot's age moves on.
            now.addAndGet(10_000);
            JsonNode later = beat("compute-1", 14_000, 5_555, 11_003);
            assertThat(later.path("last_restore").path("at_millis").asLong()).isEqualTo(restoredAt);
            JsonNode shown = ok(agent("GET", "/v1/network/hosts/compute-1", null));
            assertThat(shown.path("snapshot").path("flows").asLong()).isEqualTo(1200);
            assertThat(shown.path("snapshot").path("bytes").asLong()).isEqualTo(96_000);
            assertThat(shown.path("snapshot").path("state").asText()).isEqualTo("journaling");
            assertThat(shown.path("last_restore").path("duration_millis").asLong()).isEqualTo(85);
            assertThat(shown.path("last_restore").path("reason").asText()).isEqualTo("ovs-vswitchd restarted");
            assertThat(shown.path("last_restore").has("agent_at_millis")).isFalse();
            JsonNode neutronAgent = ok(neutron(ADMIN, "GET", "/v2.0/agents", null)).path("agents").get(0);
            assertThat(neutronAgent.path("configurations").path("last_restore").path("flows").asLong())
                    .isEqualTo(1200);

            // An agent restarted since sends no figures until it journals or restores: the last known stay.
            register("compute-1", "192.0.2.1");
            shown = ok(agent("GET", "/v1/network/hosts", null)).path("hosts").get(0);
            assertThat(shown.path("last_restore").path("at_millis").asLong()).isEqualTo(restoredAt);
            assertThat(shown.path("snapshot").path("flows").asLong()).isEqualTo(1200);

            // A new restore is a new event.
            now.addAndGet(5_000);
            beat("compute-1", 0, 99_999, 0);
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
            assertThat(seen.get(1)).isEqualTo("compute-1 br-int 1200 85 " + now.get());
            Thread.sleep(200);
            assertThat(seen).hasSize(2);
        }
    }

    @Test
    void theAgentsOwnDhcpServerIsShownAsOfItsLastHeartbeat() {
        ok(agent("PUT", "/v1/network/hosts/compute-1", "{\"tunnel_ip\": \"192.0.2.1\", \"local_dhcp\": {\"ports\":"
                + " 3, \"serving\": true, \"answered\": 7}}"));
        JsonNode h = ok(agent("GET", "/v1/network/hosts/compute-1", null));
        assertThat(h.path("local_dhcp").path("ports").asLong()).isEqualTo(3);
        assertThat(h.path("local_dhcp").path("serving").asBoolean()).isTrue();
        assertThat(h.path("local_dhcp").path("answered").asLong()).isEqualTo(7);
        // an agent started again without it: the host no longer shows one
        ok(agent("PUT", "/v1/network/hosts/compute-1", "{\"tunnel_ip\": \"192.0.2.1\"}"));
        assertThat(ok(agent("GET", "/v1/network/hosts/compute-1", null)).has("local_dhcp")).isFalse();
    }

    @Test
    void badRegistrationsAndReportsFromUnknownHostsAreRefused() {
        assertThat(agent("PUT", "/v1/network/hosts/compute-1", "{\"tunnel_ip\": \"not-an-ip\"}").status())
                .isEqualTo(400);
        assertThat(agent("PUT", "/v1/network/hosts/-bad", "{}").status()).isEqualTo(400);
        assertThat(agent("PUT", "/v1/network/hosts/compute-1", "[1]").status()).isEqualTo(400);
        ApiResponse snapshot = agent("PUT", "/v1/network/hosts/compute-1", "{\"flow_snapshot\": \"yes\"}");
        assertThat(snapshot.status()).isEqualTo(400);
        assertThat(snapshot.body().path("error").asText()).contains("flow_snapshot must be true or false");
        ApiResponse figures = agent("PUT", "/v1/network/hosts/compute-1", "{\"snapshot\": {\"flows\": -3}}");
        assertThat(figures.status()).isEqualTo(400);
        assertThat(figures.body().path("error").asText()).contains("snapshot.flows must be a whole number");
        assertThat(agent("PUT", "/v1/network/hosts/compute-1", "{\"snapshot\": 7}").status()).isEqualTo(400);
        ApiResponse restore = agent("PUT", "/v1/network/hosts/compute-1", "{\"last_restore\": {\"flows\": 1}}");
        assertThat(restore.status()).isEqualTo(400);
        assertThat(restore.body().path("error").asText()).contains("agent_at_millis");
        assertThat(agent("PUT", "/v1/network/hosts/compute-1", "{\"last_restore\": {\"agent_at_millis\": 1,"
                + " \"duration_millis\": \"fast\"}}").status()).isEqualTo(400);
        assertThat(agent("PUT", "/v1/network/hosts/compute-1", "{\"local_dhcp\": {\"ports\": -1}}").status())
                .isEqualTo(400);
        assertThat(agent("PUT", "/v1/network/hosts/compute-1", "{\"local_dhcp\": {\"serving\": \"yes\"}}").status())
                .isEqualTo(400);
        ApiResponse r = agent("POST", "/v1/network/hosts/nobody/bindings", "{\"plugged\": []}");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body().path("error").asText()).contains("not registered");
        assertThat(agent("DELETE", "/v1/network/hosts/compute-1/bindings", null).status()).isEqualTo(405);
    }

    @Test
    void aGoodPlugBindsThePortAndABadOneIsAnErrorThatBindsNothing() {
        register("compute-1", "192.0.2.1");
        String net = network("vxlan");
        JsonNode port = port(net);
        String mac = port.path("mac_address").asText();
        JsonNode answer = plug("compute-1", port, 7, mac.toUpperCase());
        assertThat(answer.path("bindings").get(0).path("state").asText()).isEqualTo("PLUGGED");
        JsonNode shown = shown(ADMIN, port);
        assertThat(shown.path("binding:host_id").asText()).isEqualTo("compute-1");
        assertThat(shown.path("binding:vif_type").asText()).isEqualTo("ovs");
        assertThat(shown.path("binding:vif_details").path("bridge_name").asText()).isEqualTo("br-int");
        assertThat(shown.path("binding:vif_details").path("datapath_type").asText()).isEqualTo("netdev");
        assertThat(shown.path("binding:vif_details").path("port_filter").asBoolean()).isTrue();
        assertThat(shown.path("revision_number").asInt()).isEqualTo(2);
        plug("compute-1", port, 7, mac); // the same again changes nothing
        assertThat(shown(ADMIN, port).path("revision_number").asInt()).isEqualTo(2);

        JsonNode other = port(net);
        JsonNode wrongMac = plug("compute-1", other, 8, "fa:16:3e:ff:ff:ff").path("bindings").get(0);
        assertThat(wrongMac.path("state").asText()).isEqualTo("ERROR");
        assertThat(wrongMac.path("error").asText()).contains("does not match");
        assertThat(shown(ADMIN, other).path("binding:host_id").asText()).isEmpty();
        JsonNode unknown = ok(agent("POST", "/v1/network/hosts/compute-1/bindings", "{\"plugged\": [{\"port_id\":"
                + " \"6d2ab6f4-0000-4000-8000-000000000000\", \"ofport\": 9, \"attached_mac\": \"fa:16:3e:00:00:09\"},"
                + " {\"port_id\": \"../x\", \"ofport\": 10, \"attached_mac\": \"fa:16:3e:00:00:0a\"}]}"))
                .path("bindings");
        assertThat(unknown.get(0).path("state").asText()).isEqualTo("ERROR");
        assertThat(unknown.get(0).path("error").asText()).startsWith("no port");
        assertThat(unknown.get(1).path("state").asText()).isEqualTo("REFUSED");

        assertThat(new NetworkManager(store).bindings()).extracting(PortBinding::portId, PortBinding::state)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(port.path("id").asText(), PortBinding.State.PLUGGED),
                        org.assertj.core.groups.Tuple.tuple(other.path("id").asText(), PortBinding.State.ERROR),
                        org.assertj.core.groups.Tuple.tuple("6d2ab6f4-0000-4000-8000-000000000000",
                                PortBinding.State.ERROR));

        // A wrong interface on another host does not take the port away from where it is plugged.
        register("compute-2", "192.0.2.2");
        assertThat(plug("compute-2", port, 3, "fa:16:3e:ff:ff:fe").path("bindings").get(0).path("state").asText())
                .isEqualTo("REFUSED");
        assertThat(new NetworkManager(store).bindings().stream().filter(b -> b.portId().equals(port.path("id")
                .asText())).findFirst().orElseThrow().host()).isEqualTo("compute-1");

        // Unplugs: only the reporting host's own binding goes; a full report removes what it does not list.
        assertThat(ok(agent("POST", "/v1/network/hosts/compute-2/bindings", "{\"unplugged\": [\""
                + port.path("id").asText() + "\"]}")).path("unplugged").asInt()).isZero();
        assertThat(ok(agent("POST", "/v1/network/hosts/compute-1/bindings", "{\"full\": true, \"plugged\": [{"
                + "\"port_id\": \"" + port.path("id").asText() + "\", \"ofport\": 7, \"attached_mac\": \"" + mac
                + "\"}]}")).path("unplugged").asInt()).isEqualTo(2);
        assertThat(new NetworkManager(store).bindings()).hasSize(1);
        assertThat(ok(agent("POST", "/v1/network/hosts/compute-1/bindings", "{\"unplugged\": [\""
                + port.path("id").asText() + "\"]}")).path("unplugged").asInt()).isEqualTo(1);
        assertThat(new NetworkManager(store).bindings()).isEmpty();

        // A bound port that is deleted takes its binding with it.
        plug("compute-1", port, 7, mac);
        assertThat(new NetworkManager(store).bindings()).hasSize(1);
        ok(neutron(ADMIN, "DELETE", "/v2.0/ports/" + port.path("id").asText(), null));
        assertThat(new NetworkManager(store).bindings()).isEmpty();
    }

    @Test
    void bindingAttributesFollowTheAgentAndOnlyAdminsSeeOrSetThem() {
        register("compute-1", "192.0.2.1");
        String net = network("vxlan");
        String id = port(net).path("id").asText();
        JsonNode bound = ok(neutron(ADMIN, "PUT", "/v2.0/ports/" + id, "{\"port\": {\"binding:host_id\":"
                + " \"compute-1\"}}")).path("port");
        assertThat(bound.path("binding:vif_type").asText()).isEqualTo("ovs");
        assertThat(bound.path("binding:vif_details").path("bridge_name").asText()).isEqualTo("br-int");
        JsonNode failed = ok(neutron(ADMIN, "PUT", "/v2.0/ports/" + id, "{\"port\": {\"binding:host_id\":"
                + " \"compute-9\"}}")).path("port");
        assertThat(failed.path("binding:vif_type").asText()).isEqualTo("binding_failed");
        now.addAndGet(HostRegistry.AGENT_DOWN_TIME.toMillis() + 1);
        JsonNode dead = ok(neutron(ADMIN, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                + "\", \"binding:host_id\": \"compute-1\"}}")).path("port");
        assertThat(dead.path("binding:vif_type").asText()).isEqualTo("binding_failed");
        JsonNode unbound = ok(neutron(ADMIN, "PUT", "/v2.0/ports/" + id, "{\"port\": {\"binding:host_id\": \"\"}}"))
                .path("port");
        assertThat(unbound.path("binding:vif_type").asText()).isEqualTo("unbound");

        String shared = ok(neutron(ADMIN, "POST", "/v2.0/networks", "{\"network\": {\"name\": \"s\", \"shared\":"
                + " true}}")).path("network").path("id").asText();
        ApiResponse refused = neutron(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + shared
                + "\", \"binding:host_id\": \"compute-1\"}}");
        assertThat(refused.status()).isEqualTo(403);
        JsonNode own = ok(neutron(DEMO, "POST", "/v2.0/ports", "{\"port\": {\"network_id\": \"" + shared + "\"}}"))
                .path("port");
        assertThat(own.has("binding:host_id")).isFalse();
        assertThat(own.has("binding:vif_type")).isFalse();
        assertThat(own.has("binding:vif_details")).isFalse();
        assertThat(own.path("binding:vnic_type").asText()).isEqualTo("normal");
        assertThat(neutron(DEMO, "PUT", "/v2.0/ports/" + own.path("id").asText(), "{\"port\": {\"binding:profile\":"
                + " {}}}").status()).isEqualTo(403);
    }

    @Test
    void tunnelsGoToHostsSharingAVxlanNetworkOnly() {
        register("compute-1", "192.0.2.1");
        register("compute-2", "192.0.2.2");
        register("compute-3", "192.0.2.3");
        String vxlan = network("vxlan");
        String vlan = network("vlan");
        JsonNode a = port(vxlan);
        JsonNode b = port(vxlan);
        JsonNode c = port(vlan);
        JsonNode d = port(vlan);
        plug("compute-1", a, 1, a.path("mac_address").asText());
        plug("compute-1", c, 2, c.path("mac_address").asText());
        plug("compute-3", d, 1, d.path("mac_address").asText());
        assertThat(peers("compute-1")).isEmpty();
        plug("compute-2", b, 1, b.path("mac_address").asText());
        await().atMost(Duration.ofSeconds(30)).until(() -> peers("compute-1").size() == 1);
        assertThat(peers("compute-1").get(0).path("host").asText()).isEqualTo("compute-2");
        assertThat(peers("compute-1").get(0).path("tunnel_ip").asText()).isEqualTo("192.0.2.2");
        assertThat(peers("compute-2").get(0).path("tunnel_ip").asText()).isEqualTo("192.0.2.1");
        assertThat(peers("compute-3")).isEmpty();
        ok(agent("POST", "/v1/network/hosts/compute-2/bindings", "{\"unplugged\": [\"" + b.path("id").asText()
                + "\"]}"));
        await().atMost(Duration.ofSeconds(30)).until(() -> peers("compute-1").isEmpty());
    }

    private JsonNode peers(String host) {
        return ok(agent("GET", "/v1/network/hosts/" + host + "/tunnel-peers", null)).path("peers");
    }

    @Test
    void theTunnelIndexCountsPluggedPortsPerHostAndNetwork() {
        TunnelIndex index = new TunnelIndex();
        index.changed("p1", null, binding("h1", "n1", "PLUGGED"));
        index.changed("p2", null, binding("h2", "n1", "PLUGGED"));
        index.changed("p3", null, binding("h3", "n2", "PLUGGED"));
        index.changed("p4", null, binding("h4", "n1", "ERROR"));
        index.changed("p5", null, binding("h2", "n1", "PLUGGED"));
        assertThat(index.peers("h1", n -> true)).containsExactly("h2");
        assertThat(index.peers("h1", n -> !n.equals("n1"))).isEmpty();
        assertThat(index.peers("h9", n -> true)).isEmpty();
        index.changed("p2", binding("h2", "n1", "PLUGGED"), null);
        assertThat(index.peers("h1", n -> true)).containsExactly("h2"); // p5 is still there
        index.changed("p5", binding("h2", "n1", "PLUGGED"), binding("h3", "n1", "PLUGGED")); // moved
        assertThat(index.peers("h1", n -> true)).containsExactly("h3");
        assertThat(index.peers("h3", n -> true)).containsExactly("h1");
        index.changed("p1", binding("h1", "n1", "PLUGGED"), binding("h1", "n1", "ERROR"));
        assertThat(index.peers("h3", n -> true)).isEmpty();
    }

    private static JsonNode binding(String host, String network, String state) {
        return JSON.createObjectNode().put("host", host).put("network_id", network).put("state", state);
    }
}
