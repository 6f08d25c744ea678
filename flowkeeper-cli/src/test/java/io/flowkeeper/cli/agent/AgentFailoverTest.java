package io.flowkeeper.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.cluster.ClusterAgent;
import io.flowkeeper.agent.cluster.ClusterSettings;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An agent given every node's address (--api three times) keeps its host alive and its plugs reported when the
 * node it talks to is killed (kill -9): it moves to the next node by itself.
 */
@Tag("integration")
class AgentFailoverTest {
    private static final Duration T = Duration.ofSeconds(60);

    @Test
    void theAgentMovesToAnotherNodeWhenItsNodeDies() throws Exception {
        try (TestBed bed = TestBed.create();
             LocalCluster cluster = LocalCluster.inTempDir(3, List.of("network: {vxlan-vni-ranges: [\"3000:3009\"]}"),
                     bed.controllerIp())) {
            try {
                agentSurvivesTheKill(bed, cluster);
            } catch (Throwable t) {
                explain(cluster, t);
                throw t;
            }
        }
    }

    private static void agentSurvivesTheKill(TestBed bed, LocalCluster cluster) throws Exception {
        OvsHost h1 = bed.addHost("h1");
        cluster.startAll();
        cluster.awaitAllReady(120_000);
        List<String> apis = List.of(cluster.restUrl(0), cluster.restUrl(1), cluster.restUrl(2));
        List<String> controllers = List.of(cluster.openflowAddress(0), cluster.openflowAddress(1),
                cluster.openflowAddress(2));
        try (ClusterAgent agent = new ClusterAgent(new ClusterSettings(controllers, apis, LocalCluster.TOKEN, "h1",
                null, Map.of(), "br-int", Duration.ofSeconds(1), ClusterSettings.DEFAULT_PEER_POLL), h1.dbSocket(),
                new AgentListener() { }).start()) {
            RestClient node1 = cluster.client(1);
            await().atMost(T).until(() -> node1.get("/v1/network/hosts/h1").status() == 200);
            assertThat(h1.vsctl("get-controller", "br-int").strip().split("\n")).hasSize(3);

            cluster.kill(0); // the node the agent talks to first
            long killed = System.currentTimeMillis();
            await().atMost(T).until(() -> heartbeat(node1) > killed + 1_000); // beats again, through 1 or 2
            RestClient api = cluster.client(1).withOpenStackToken();
            String net = api.post("/v2.0/networks", "{\"network\": {\"name\": \"n\"}}").body().path("network")
                    .path("id").asText();
            JsonNode port = api.post("/v2.0/ports", "{\"port\": {\"network_id\": \"" + net + "\"}}").body()
                    .path("port");
            h1.vsctl("add-port", "br-int", "vm1", "--", "set", "interface", "vm1", "type=internal",
                    "external_ids:iface-id=" + port.path("id").asText(),
                    "external_ids:attached-mac=" + port.path("mac_address").asText());
            await().atMost(T).until(() -> "h1".equals(api.get("/v2.0/ports/" + port.path("id").asText()).body()
                    .path("port").path("binding:host_id").asText()));
            assertThat(node1.get("/v1/network/hosts/h1").body().path("alive").asBoolean()).isTrue();
        }
    }

    /**
     * A failure after the kill has so far been a shard whose leader stayed unusable (CI, 503 "stepping down" for
     * over a minute): keep the node logs under target/ and print what they say about leaders and elections.
     */
    private static void explain(LocalCluster cluster, Throwable failure) {
        Path to = Path.of("target", "cluster-logs", "AgentFailoverTest");
        try {
            cluster.keepLogs(to);
            System.err.println("AgentFailoverTest failed; node logs kept in " + to.toAbsolutePath());
            for (int i = 0; i < 3; i++) {
                List<String> lines = Files.readAllLines(cluster.logFile(i)).stream()
                        .filter(l -> LEADERSHIP.matcher(l).find()).toList();
                System.err.println("--- " + cluster.logFile(i).getFileName() + ": " + lines.size()
                        + " lines on leaders and elections, the last 40:");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.err::println);
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static final Pattern LEADERSHIP = Pattern.compile(
            "(?i)stepping down|step down|leadership|leader|election|changes role|lost majority|quick");

    private static long heartbeat(RestClient node) throws Exception {
        RestClient.Response r = node.get("/v1/datastore/network-config/neutron/hosts/h1");
        return r.status() == 200 ? r.body().path("value").path("heartbeat_millis").asLong() : 0;
    }
}
