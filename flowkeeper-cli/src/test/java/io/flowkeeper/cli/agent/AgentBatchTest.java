package io.flowkeeper.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.cli.Main;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code flowkeeper agent --api ...} as its own process (token from the environment): it creates br-int, journals
 * it, registers; many interfaces plugged at once (one {@code ovs-vsctl} transaction, as a host that boots its VMs)
 * reach the cluster in a few batched reports, not one request per port, and every port ends up bound.
 */
@Tag("integration")
class AgentBatchTest {
    /** 300 in CI; {@code -Dflowkeeper.agent-batch.ports=1000} for a bigger burst (the subnet holds 1,021). */
    private static final int PORTS = Integer.getInteger("flowkeeper.agent-batch.ports", 300);

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
            Path dir = Files.createTempDirectory("fk-agent-");
            Path out = dir.resolve("agent.out");
            // The agent as operators run it: its own process, the token from the environment (--host given: the
            // test bed's hosts all share this machine's hostname).
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-cp", LocalCluster.classPath(), Main.class.getName(), "agent",
                    "--ovs-rundir", h1.runDir().toString(), "--snapshot-dir", dir.resolve("snapshots").toString(),
                    "--api", cluster.restUrl(0), "--controller", cluster.openflowAddress(0), "--host", "h1")
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("FLOWKEEPER_TOKEN", LocalCluster.TOKEN);
            Process agent = pb.start();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> lines(out, "reported ").size() > 0);
                int before = lines(out, "reported ").size();
                assertThat(lines(out, "registered host=h1")).hasSize(1);
                await().atMost(Duration.ofSeconds(30)).until(() -> !lines(out, "journaling bridge=br-int").isEmpty());
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
                // the agent prints a report's line after the cluster answered it, so the API may show the ports
                // bound a moment before the last line is out
                await().atMost(Duration.ofSeconds(10)).until(() -> plugged(lines(out, "reported "), before) >= PORTS);
                List<String> reports = lines(out, "reported ");
                List<String> batches = reports.subList(before, reports.size());
                System.out.printf("FIGURE %d interfaces in one ovs-vsctl transaction (%.0f ms) -> all bound %.0f ms"
                        + " after it returned, in %d reports: %s%n", PORTS, (added - t0) / 1e6, (done - added) / 1e6,
                        batches.size(), batches);
                assertThat(plugged(reports, before)).isGreaterThanOrEqualTo(PORTS);
                assertThat(batches.size()).isLessThan(PORTS / 10);
            } finally {
                agent.destroy(); // SIGTERM: the agent's shutdown hook closes its snapshots
                if (!agent.waitFor(20, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
                try (var walk = Files.walk(dir)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    private static List<String> lines(Path out, String prefix) throws Exception {
        return Files.readAllLines(out).stream().filter(l -> l.startsWith(prefix)).toList();
    }

    /** Ports of the network whose binding:host_id is h1 (one list request). */
    private static int bound(RestClient api, String net) throws Exception {
        int n = 0;
        for (JsonNode p : api.get("/v2.0/ports?network_id=" + net + "&fields=binding:host_id").body().path("ports")) {
            n += p.path("binding:host_id").asText().equals("h1") ? 1 : 0;
        }
        return n;
    }

    /** The ports the agent's report lines after the first {@code skip} say it reported plugged. */
    private static int plugged(List<String> reports, int skip) {
        return reports.subList(skip, reports.size()).stream()
                .mapToInt(l -> Integer.parseInt(l.replaceAll("^reported plugged=(\\d+).*", "$1"))).sum();
    }
}
