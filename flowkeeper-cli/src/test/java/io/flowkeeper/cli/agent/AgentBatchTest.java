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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Many interfaces plugged at once (one {@code ovs-vsctl} transaction, as a host that boots its VMs) reach the
 * cluster in a few batched reports, not one request per port, and every port ends up bound.
 */
@Tag("integration")
class AgentBatchTest {
    private static final int PORTS = 300;

    @Test
    void aBurstOfPlugsIsReportedInBatches() throws Exception {
        try (TestBed bed = TestBed.create();
             LocalCluster cluster = LocalCluster.inTempDir(1, List.of("network: {vxlan-vni-ranges: [\"3000:3009\"]}"),
                     bed.controllerIp())) {
            OvsHost h1 = bed.addHost("h1");
            cluster.startAll();
            cluster.awaitAllReady(120_000);
            RestClient api = cluster.client(0).withOpenStackToken();
            String net = api.post("/v2.0/networks", "{\"network\": {\"name\": \"burst\"}}").body().path("network")
                    .path("id").asText();
            assertThat(api.post("/v2.0/subnets", "{\"subnet\": {\"network_id\": \"" + net + "\", \"ip_version\": 4,"
                    + " \"cidr\": \"10.2.0.0/22\"}}").status()).isEqualTo(201);
            StringBuilder bulk = new StringBuilder("{\"ports\": [");
            for (int i = 0; i < PORTS; i++) {
                bulk.append(i == 0 ? "" : ",").append("{\"network_id\": \"").append(net).append("\"}");
            }
            RestClient.Response created = api.post("/v2.0/ports", bulk.append("]}").toString());
            assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
            AtomicInteger reports = new AtomicInteger();
            AtomicInteger plugged = new AtomicInteger();
            try (ClusterAgent agent = new ClusterAgent(new ClusterSettings(List.of(cluster.openflowAddress(0)),
                    List.of(cluster.restUrl(0)), LocalCluster.TOKEN, "h1", null, Map.of(), "br-int",
                    ClusterSettings.DEFAULT_HEARTBEAT, ClusterSettings.DEFAULT_PEER_POLL), h1.dbSocket(),
                    new AgentListener() {
                        @Override
                        public void reported(int pluggedCount, int unplugged, List<String> errors) {
                            reports.incrementAndGet();
                            plugged.addAndGet(pluggedCount);
                        }
                    }).start()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> reports.get() > 0); // the first, empty report
                int before = reports.get();
                List<String> vsctl = new ArrayList<>();
                int index = 0;
                for (JsonNode p : created.body().path("ports")) {
                    String name = "b" + index++;
                    vsctl.addAll(List.of("--", "add-port", "br-int", name, "--", "set", "interface", name,
                            "type=internal", "external_ids:iface-id=" + p.path("id").asText(),
                            "external_ids:attached-mac=" + p.path("mac_address").asText()));
                }
                long t0 = System.nanoTime();
                h1.vsctl(vsctl.subList(1, vsctl.size()).toArray(String[]::new));
                long added = System.nanoTime();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
                        .until(() -> bound(api, net) == PORTS);
                long done = System.nanoTime();
                int batches = reports.get() - before;
                System.out.printf("FIGURE %d interfaces in one ovs-vsctl transaction (%.0f ms) -> all bound %.0f ms"
                        + " after it returned, in %d reports%n", PORTS, (added - t0) / 1e6, (done - added) / 1e6,
                        batches);
                assertThat(plugged.get()).isGreaterThanOrEqualTo(PORTS);
                assertThat(batches).isLessThan(PORTS / 10);
            }
        }
    }

    /** Ports of the network whose binding:host_id is h1 (one list request). */
    private static int bound(RestClient api, String net) throws Exception {
        int n = 0;
        for (JsonNode p : api.get("/v2.0/ports?network_id=" + net + "&fields=binding:host_id").body().path("ports")) {
            n += p.path("binding:host_id").asText().equals("h1") ? 1 : 0;
        }
        return n;
    }
}
