package io.flowkeeper.cli.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.metrics.AgentMetrics;
import io.flowkeeper.agent.metrics.MetricsEndpoint;
import io.flowkeeper.cli.bench.MastershipBed;
import io.flowkeeper.controller.local.LocalCluster;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard in dist/ against a real Prometheus (Debian's {@code prometheus}) scraping a real cluster
 * (3 nodes, one OVS switch) and a real agent metrics endpoint, with the scrape settings of dist/prometheus (bearer
 * token from a file): every query of every panel must be valid PromQL, and every series name it uses must be one
 * Prometheus actually scraped, so a renamed meter breaks this test and not an operator's dashboard.
 */
@Tag("integration")
class GrafanaQueriesTest {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Path DASHBOARD = Path.of("..", "dist", "grafana", "flowkeeper.json");
    private static final Pattern METRIC = Pattern.compile("flowkeeper_[a-z_]+");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    @Timeout(200)
    void everyPanelQueryIsValidAndNamesScrapedSeries() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS), "needs Debian's prometheus (./quickstart test)");
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> queries = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> queries.add(e.asText()));
        assertThat(queries).hasSizeGreaterThan(20);

        try (MastershipBed bed = MastershipBed.create(1, List.of());
             MetricsEndpoint agent = startAgentMetrics()) {
            bed.awaitMasters(Duration.ofSeconds(60));
            bed.pushBaseline();
            LocalCluster c = bed.cluster();
            Path token = dir.resolve("token");
            Files.writeString(token, LocalCluster.TOKEN);
            List<String> nodes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                nodes.add("'" + c.restUrl(i).replace("http://", "") + "'");
            }
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                    "global: {scrape_interval: 1s, evaluation_interval: 1s}",
                    "scrape_configs:",
                    "  - job_name: flowkeeper-nodes",
                    "    authorization: {type: Bearer, credentials_file: " + token + "}",
                    "    static_configs: [{targets: " + nodes + "}]",
                    "  - job_name: flowkeeper-agents",
                    "    authorization: {type: Bearer, credentials_file: " + token + "}",
                    "    static_configs: [{targets: ['127.0.0.1:" + agent.port() + "']}]", ""));
            Process prometheus = new ProcessBuilder(PROMETHEUS.toString(),
                    "--config.file=" + dir.resolve("prometheus.yml"), "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                String base = "http://127.0.0.1:" + port;
                // Every target up, and a few scrapes in, so rates have two points.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (true) {
                    JsonNode up;
                    try {
                        up = query(base, "sum(up)");
                    } catch (IOException starting) {
                        up = null; // not listening yet
                    }
                    if (up != null && up.path("data").path("result").size() == 1
                            && up.path("data").path("result").get(0).path("value").get(1).asDouble() == 4) {
                        break;
                    }
                    assertThat(System.nanoTime()).as("prometheus never scraped all 4 targets: "
                            + Files.readString(dir.resolve("prometheus.log"))).isLessThan(deadline);
                    Thread.sleep(500);
                }
                Thread.sleep(5_000);
                Set<String> scraped = new TreeSet<>();
                JsonNode names = get(base + "/api/v1/label/__name__/values");
                names.path("data").forEach(n -> scraped.add(n.asText()));
                for (String q : queries) {
                    JsonNode r = query(base, q);
                    assertThat(r).as("query " + q).isNotNull();
                    assertThat(r.path("status").asText()).as("query " + q + ": " + r).isEqualTo("success");
                    Matcher m = METRIC.matcher(q);
                    while (m.find()) {
                        assertThat(scraped).as("series named in " + q).contains(m.group());
                    }
                }
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly().waitFor();
                }
            }
        }
    }

    /** The real agent meters and endpoint, fed the calls an agent makes on a restore and a journaled change. */
    private MetricsEndpoint startAgentMetrics() throws IOException {
        Files.createDirectories(dir.resolve("snapshots"));
        AgentMetrics meters = new AgentMetrics("h1", List.of("br-int"), dir.resolve("snapshots"),
                new AgentListener() { });
        meters.restored("br-int", 10, Duration.ofMillis(3), Duration.ofMillis(40));
        meters.journaled("br-int", 2);
        return new MetricsEndpoint("127.0.0.1:0", LocalCluster.TOKEN, meters::scrape).start();
    }

    private static JsonNode query(String base, String promql) throws IOException, InterruptedException {
        return get(base + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    private static JsonNode get(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body());
    }
}
