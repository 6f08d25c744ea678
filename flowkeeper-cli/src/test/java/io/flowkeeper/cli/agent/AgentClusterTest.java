package io.flowkeeper.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.cluster.ClusterAgent;
import io.flowkeeper.agent.cluster.ClusterSettings;
import io.flowkeeper.agent.cluster.TunnelPlan;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import io.flowkeeper.testbed.Vm;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Agents on two test-bed hosts (real OVS, userspace datapath) against a real one-node cluster (its own JVM): they
 * create br-int with the cluster as its controller (and h1 its provider bridge, patched to br-int), register (seen
 * in {@code /v2.0/agents} and by the real {@code openstack network agent list}), report a VM interface plugged with
 * a Neutron port id (the port gets its binding and {@code binding:host_id}), keep a VXLAN port towards the other
 * host exactly while both have a port of the network, and a VM with the wrong MAC gets an ERROR binding and no
 * {@code binding:host_id}; a restarted agent drops what was unplugged while it was down; and the node tells Nova (a
 * recording endpoint: no Nova runs here) when a server's port is deleted.
 */
@Tag("integration")
class AgentClusterTest {
    private static final Duration T = Duration.ofSeconds(30);

    @Test
    void agentsRegisterBindPortsAndKeepTunnelsWhileAPortOfTheNetworkIsOnBothHosts() throws Exception {
        List<JsonNode> novaEvents = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer nova = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        nova.createContext("/v2.1/os-server-external-events", ex -> {
            if ("nova-secret".equals(ex.getRequestHeaders().getFirst("X-Auth-Token"))) {
                novaEvents.add(new ObjectMapper().readTree(ex.getRequestBody().readAllBytes()));
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        nova.start();
        Path novaToken = Files.createTempFile("nova", ".token");
        Files.writeString(novaToken, "nova-secret\n");
        try (TestBed bed = TestBed.create();
             LocalCluster cluster = LocalCluster.inTempDir(1, List.of(
                     "network: {vxlan-vni-ranges: [\"3000:3009\"]}",
                     "nova: {url: \"http://127.0.0.1:" + nova.getAddress().getPort() + "/v2.1\", token-file: "
                             + novaToken + ", batch-interval-ms: 50}"), bed.controllerIp())) {
            OvsHost h1 = bed.addHost("h1").attachUnderlay();
            OvsHost h2 = bed.addHost("h2").attachUnderlay();
            cluster.startAll();
            cluster.awaitAllReady(120_000);
            RestClient api = cluster.client(0).withOpenStackToken();
            ClusterAgent a1 = agent(cluster, h1);
            try (ClusterAgent a2 = agent(cluster, h2)) {
                await().atMost(T).until(() -> api.get("/v2.0/agents").body().path("agents").size() == 2);
                for (JsonNode a : api.get("/v2.0/agents").body().path("agents")) {
                    assertThat(a.path("alive").asBoolean()).isTrue();
                }
                assertThat(h1.vsctl("get-controller", "br-int").strip()).isEqualTo("tcp:" + cluster.openflowAddress(0));
                assertThat(h1.vsctl("get", "bridge", "br-int", "datapath_type").strip()).isEqualTo("netdev");
                long dpid = Long.parseUnsignedLong(h1.vsctl("get", "bridge", "br-int", "datapath_id").strip()
                        .replace("\"", ""), 16);
                await().atMost(T).until(() -> cluster.client(0).get("/v1/datastore/network-config/neutron/hosts/h1")
                        .body().path("value").path("datapath_id").asLong() == dpid);
                // the provider bridge of h1's mapping, a learning switch patched to br-int
                assertThat(h1.vsctl("get", "bridge", "br-vlan", "fail_mode").strip()).isEqualTo("standalone");
                assertThat(h1.vsctl("get", "interface", "int-br-vlan", "type").strip()).isEqualTo("patch");
                assertThat(h1.vsctl("get", "interface", "int-br-vlan", "options:peer").strip())
                        .isEqualTo("phy-br-vlan");
                assertThat(h1.vsctl("port-to-br", "phy-br-vlan").strip()).isEqualTo("br-vlan");
                assertThat(h1.vsctl("port-to-br", "int-br-vlan").strip()).isEqualTo("br-int");
                assertThat(h2.vsctl("list-br")).doesNotContain("br-vlan");
                assertThat(openstack(cluster, "network", "agent", "list", "-f", "value", "-c", "Host", "-c", "Alive"))
                        .contains("h1 True").contains("h2 True");

                String net = api.post("/v2.0/networks", "{\"network\": {\"name\": \"tenant\"}}").body()
                        .path("network").path("id").asText();
                assertThat(api.post("/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + net + "\", \"ip_version\":"
                        + " 4, \"cidr\": \"10.1.0.0/24\"}}").status()).isEqualTo(201);
                JsonNode pa = port(api, net);
                JsonNode pb = port(api, net);
                JsonNode pc = port(api, net);

                Vm va = plug(h1, "a", pa.path("mac_address").asText(), pa.path("id").asText());
                await().atMost(T).until(() -> "h1".equals(shown(api, pa).path("binding:host_id").asText()));
                assertThat(shown(api, pa).path("binding:vif_type").asText()).isEqualTo("ovs");
                JsonNode binding = binding(cluster, pa);
                assertThat(binding.path("state").asText()).isEqualTo("PLUGGED");
                assertThat(binding.path("ofport").asInt()).isEqualTo(va.ofport());
                Thread.sleep(1_500); // more than a peer poll: still no tunnel, h2 has no port of the network
                assertThat(tunnels(h1)).isEmpty();

                Vm vb = plug(h2, "b", pb.path("mac_address").asText(), pb.path("id").asText());
                String toH2 = TunnelPlan.portName(h2.underlayIp());
                String toH1 = TunnelPlan.portName(h1.underlayIp());
                await().atMost(T).until(() -> tunnels(h1).equals(List.of(toH2)) && tunnels(h2).equals(List.of(toH1)));
                assertThat(h1.vsctl("get", "interface", toH2, "options").strip()).contains("key=flow")
                        .contains("remote_ip=\"" + h2.underlayIp() + "\"").contains("local_ip=\"" + h1.underlayIp()
                                + "\"");
                String uuidBefore = h1.vsctl("get", "interface", toH2, "_uuid").strip();

                Vm bad = plug(h2, "c", "fa:16:3e:0b:ad:00", pc.path("id").asText());
                await().atMost(T).until(() -> binding(cluster, pc).path("state").asText().equals("ERROR"));
                assertThat(binding(cluster, pc).path("error").asText()).contains("does not match");
                assertThat(shown(api, pc).path("binding:host_id").asText()).isEmpty();
                // the tunnel in use was not touched meanwhile
                assertThat(h1.vsctl("get", "interface", toH2, "_uuid").strip()).isEqualTo(uuidBefore);

                h2.removeVm(vb); // h2's last port of the network: the tunnels go, on both sides
                await().atMost(T).until(() -> tunnels(h1).isEmpty() && tunnels(h2).isEmpty());
                await().atMost(T).until(() -> binding(cluster, pb).isMissingNode());
                h2.removeVm(bad);
                await().atMost(T).until(() -> binding(cluster, pc).isMissingNode());
                assertThat(binding(cluster, pa).path("state").asText()).isEqualTo("PLUGGED");

                // Plug → binding latency: an interface added with its iface-id until its binding is in the
                // datastore (what the flow compiler then acts on), one port at a time.
                List<Long> micros = new java.util.ArrayList<>();
                List<JsonNode> plugged = new java.util.ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    JsonNode p = port(api, net);
                    plugged.add(p);
                    String name = "lat" + i;
                    long t0 = System.nanoTime();
                    h1.vsctl("add-port", "br-int", name, "--", "set", "interface", name, "type=internal",
                            "external_ids:iface-id=" + p.path("id").asText(),
                            "external_ids:attached-mac=" + p.path("mac_address").asText());
                    await().atMost(T).pollInterval(Duration.ofMillis(2)).until(() -> binding(cluster, p).path("state")
                            .asText().equals("PLUGGED"));
                    micros.add((System.nanoTime() - t0) / 1_000);
                }
                micros.sort(null);
                System.out.printf("FIGURE plug (ovs-vsctl add-port with iface-id) -> binding PLUGGED: p50 %.1f ms,"
                        + " max %.1f ms over %d ports%n", micros.get(micros.size() / 2) / 1e3,
                        micros.get(micros.size() - 1) / 1e3, micros.size());
                assertThat(micros.get(micros.size() / 2)).isLessThan(1_000_000);

                // A VM unplugged while the agent was down: the restarted agent's first (full) report drops its
                // binding, and leaves the others as they were.
                a1.close();
                h1.removeVm(va);
                a1 = agent(cluster, h1);
                await().atMost(T).until(() -> binding(cluster, pa).isMissingNode());
                for (JsonNode p : plugged) {
                    assertThat(binding(cluster, p).path("state").asText()).isEqualTo("PLUGGED");
                }

                // ovs-vswitchd killed and restarted (as after a crash, or at a reboot under flow-restore-wait):
                // the interfaces come back with their ofports, so the agent reports no unplug at all and every
                // binding stays as it was (the flows of those ports are never withdrawn by the cluster).
                a1.close();
                List<Integer> unplugs = new java.util.concurrent.CopyOnWriteArrayList<>();
                a1 = agent(cluster, h1, new AgentListener() {
                    @Override
                    public void reported(int pluggedCount, int unpluggedCount, List<String> errors) {
                        unplugs.add(unpluggedCount);
                    }
                });
                await().atMost(T).until(() -> !unplugs.isEmpty()); // its first, full report
                Map<String, String> before = new java.util.TreeMap<>();
                for (JsonNode p : plugged) {
                    before.put(p.path("id").asText(), binding(cluster, p).toString());
                }
                h1.restartVswitchd();
                await().atMost(T).until(() -> h1.vsctl("get", "interface", "lat0", "ofport").strip().matches("\\d+"));
                Thread.sleep(2_000);
                for (JsonNode p : plugged) {
                    assertThat(binding(cluster, p).toString()).isEqualTo(before.get(p.path("id").asText()));
                }
                assertThat(unplugs.subList(1, unplugs.size())).allMatch(n -> n == 0);

                // A server's port: ACTIVE once the master has its flows on the switch (the dataplane's writer),
                // which the node tells Nova (here a recording endpoint) as network-vif-plugged; unplugged when the
                // VM goes.
                String vm = java.util.UUID.randomUUID().toString();
                JsonNode pv = api.post("/v2.0/ports", "{\"port\": {\"network_id\": \"" + net + "\", \"device_owner\":"
                        + " \"compute:nova\", \"device_id\": \"" + vm + "\"}}").body().path("port");
                long plugAt = System.nanoTime();
                Vm vmOfServer = plug(h1, "v", pv.path("mac_address").asText(), pv.path("id").asText());
                await().atMost(T).pollInterval(Duration.ofMillis(5))
                        .until(() -> novaEvent(novaEvents, pv, "network-vif-plugged") != null);
                System.out.printf("FIGURE VM plugged (namespace, veth, ovs-vsctl) -> Nova told network-vif-plugged:"
                        + " %.0f ms%n", (System.nanoTime() - plugAt) / 1e6);
                assertThat(novaEvent(novaEvents, pv, "network-vif-plugged").path("status").asText())
                        .isEqualTo("completed");
                assertThat(novaEvent(novaEvents, pv, "network-vif-plugged").path("server_uuid").asText())
                        .isEqualTo(vm);
                h1.removeVm(vmOfServer);
                await().atMost(T).until(() -> novaEvent(novaEvents, pv, "network-vif-unplugged") != null);

                // The node tells Nova about a server's port that goes away.
                String server = java.util.UUID.randomUUID().toString();
                RestClient.Response vmPort = api.post("/v2.0/ports", "{\"port\": {\"network_id\": \"" + net
                        + "\", \"device_owner\": \"compute:nova\", \"device_id\": \"" + server + "\"}}");
                String vmPortId = vmPort.body().path("port").path("id").asText();
                assertThat(api.delete("/v2.0/ports/" + vmPortId).status()).isEqualTo(204);
                await().atMost(T).until(() -> novaEvents.stream().anyMatch(b -> b.toString().contains(vmPortId)));
                JsonNode event = novaEvents.stream().filter(b -> b.toString().contains(vmPortId)).findFirst()
                        .orElseThrow().path("events").get(0);
                assertThat(event.path("name").asText()).isEqualTo("network-vif-deleted");
                assertThat(event.path("server_uuid").asText()).isEqualTo(server);
                assertThat(event.path("tag").asText()).isEqualTo(vmPortId);
            } finally {
                a1.close();
            }
        } finally {
            nova.stop(0);
            Files.deleteIfExists(novaToken);
        }
    }

    /** The first event Nova was sent for {@code port} with that name, or null. */
    private static JsonNode novaEvent(List<JsonNode> requests, JsonNode port, String name) {
        for (JsonNode r : requests) {
            for (JsonNode e : r.path("events")) {
                if (e.path("tag").asText().equals(port.path("id").asText()) && e.path("name").asText().equals(name)) {
                    return e;
                }
            }
        }
        return null;
    }

    private static ClusterAgent agent(LocalCluster cluster, OvsHost host) {
        return agent(cluster, host, new AgentListener() { });
    }

    private static ClusterAgent agent(LocalCluster cluster, OvsHost host, AgentListener listener) {
        return new ClusterAgent(new ClusterSettings(List.of(cluster.openflowAddress(0)), List.of(cluster.restUrl(0)),
                LocalCluster.TOKEN, host.name(), host.underlayIp(),
                host.name().equals("h1") ? Map.of("physnet1", "br-vlan") : Map.of(), "br-int",
                ClusterSettings.DEFAULT_HEARTBEAT, ClusterSettings.DEFAULT_PEER_POLL), host.dbSocket(), listener)
                .start();
    }

    private static JsonNode port(RestClient api, String net) throws Exception {
        RestClient.Response r = api.post("/v2.0/ports", "{\"port\": {\"network_id\": \"" + net + "\"}}");
        assertThat(r.status()).as("%s", r.body()).isEqualTo(201);
        return r.body().path("port");
    }

    /** A VM as Nova and os-vif plug it: its tap on br-int with the Neutron port id as iface-id. */
    private static Vm plug(OvsHost host, String name, String mac, String portId) {
        return host.addVm(name, "br-int", mac, null, portId);
    }

    private static JsonNode shown(RestClient api, JsonNode port) throws Exception {
        return api.get("/v2.0/ports/" + port.path("id").asText()).body().path("port");
    }

    private static JsonNode binding(LocalCluster cluster, JsonNode port) throws Exception {
        RestClient.Response r = cluster.client(0).get("/v1/datastore/network-config/neutron/bindings/"
                + port.path("id").asText());
        return r.status() == 404 ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
                : r.body().path("value");
    }

    private static List<String> tunnels(OvsHost host) {
        return List.of(host.vsctl("list-ports", "br-int").split("\n")).stream().map(String::strip)
                .filter(p -> p.startsWith(TunnelPlan.PREFIX)).sorted().toList();
    }

    private static String openstack(LocalCluster cluster, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(java.util.stream.Stream.concat(java.util.stream.Stream.of("openstack"),
                java.util.stream.Stream.of(args)).toList());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("OS_"));
        env.put("OS_AUTH_TYPE", "admin_token");
        env.put("OS_TOKEN", LocalCluster.TOKEN);
        env.put("OS_ENDPOINT", cluster.restUrl(0));
        Path out = Files.createTempFile("openstack", ".txt");
        try {
            pb.redirectOutput(out.toFile()).redirectErrorStream(true);
            Process p = pb.start();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String text = Files.readString(out);
            assertThat(p.exitValue()).as(text).isZero();
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
