package io.flowkeeper.controller.network;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.controller.RestClient;
import io.flowkeeper.controller.local.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Kill -9 of the {@code network-config} leader while three clients create ports on one subnet through all three
 * nodes: no acknowledged port is lost, no address is given twice, and every address claim belongs to a port.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetworkLeaderKillTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SHARD = "network-config";
    private LocalCluster cluster;

    @BeforeAll
    void start() throws Exception {
        // Election timeouts above the defaults, as in ThreeNodeClusterTest: this asserts safety, not failover speed,
        // on a shared 2-core machine where a CPU-starved leader would otherwise lose leadership repeatedly.
        cluster = LocalCluster.inTempDir(3, List.of("request-timeout: 5s", "election-timeout-min: 1s",
                "election-timeout-max: 2s"));
        cluster.startAll();
        cluster.awaitAllReady(120_000);
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private HttpRequest.Builder request(int node, String path) {
        return HttpRequest.newBuilder(URI.create(cluster.restUrl(node) + path)).timeout(Duration.ofSeconds(30))
                .header("X-Auth-Token", LocalCluster.TOKEN).header("Content-Type", "application/json");
    }

    private String leader() throws Exception {
        for (int i = 0; i < 3; i++) {
            if (!cluster.isRunning(i)) {
                continue;
            }
            RestClient.Response r = cluster.client(i).get("/v1/cluster");
            for (JsonNode s : r.body().get("shards")) {
                if (s.get("name").asText().equals(SHARD) && !s.path("leader").isNull()) {
                    return s.path("leader").asText();
                }
            }
        }
        return null;
    }

    @Test
    void killingTheLeaderMidRaceLosesNoAcknowledgedPortAndLeaksNoAddress() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> created = http.send(request(0, "/v2.0/networks").POST(HttpRequest.BodyPublishers
                .ofString("{\"network\": {\"name\": \"kill\"}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String net = JSON.readTree(created.body()).path("network").path("id").asText();
        HttpResponse<String> sub = http.send(request(1, "/v2.0/subnets").POST(HttpRequest.BodyPublishers.ofString(
                "{\"subnet\": {\"network_id\": \"" + net + "\", \"ip_version\": 4, \"cidr\": \"10.30.0.0/24\"}}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sub.statusCode()).as(sub.body()).isEqualTo(201);
        String subnet = JSON.readTree(sub.body()).path("subnet").path("id").asText();

        String leader = leader();
        assertThat(leader).isNotNull();
        int victim = cluster.indexOf(leader);
        ExecutorService pool = Executors.newFixedThreadPool(24);
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicInteger failed = new AtomicInteger();
        List<Future<?>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int node = i % 3;
            calls.add(pool.submit(() -> {
                try {
                    HttpResponse<String> r = http.send(request(node, "/v2.0/ports").POST(HttpRequest.BodyPublishers
                            .ofString("{\"port\": {\"network_id\": \"" + net + "\"}}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 201) {
                        JsonNode port = JSON.readTree(r.body()).path("port");
                        acknowledged.put(port.path("id").asText(),
                                port.path("fixed_ips").get(0).path("ip_address").asText());
                    } else {
                        assertThat(r.statusCode()).as(r.body()).isIn(503, 409);
                        failed.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    failed.incrementAndGet(); // the killed node's connections: never acknowledged
                }
                return null;
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acknowledged.size() < 40 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        cluster.kill(victim);
        int ackedAtKill = acknowledged.size();
        for (Future<?> f : calls) {
            f.get(180, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(acknowledged.size()).as("ports acknowledged after the kill").isGreaterThan(ackedAtKill);
        assertThat(new HashSet<>(acknowledged.values())).hasSize(acknowledged.size());

        int survivor = (victim + 1) % 3;
        HttpResponse<String> list = http.send(request(survivor, "/v2.0/ports?network_id=" + net).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        Map<String, String> stored = new HashMap<>();
        Set<String> addresses = new HashSet<>();
        for (JsonNode p : JSON.readTree(list.body()).path("ports")) {
            String ip = p.path("fixed_ips").get(0).path("ip_address").asText();
            assertThat(addresses.add(ip)).as("address %s given twice", ip).isTrue();
            stored.put(p.path("id").asText(), ip);
        }
        assertThat(stored).containsAllEntriesOf(acknowledged);
        // Every claim under the subnet belongs to a stored port holding that address: nothing leaked.
        RestClient.Response claims = cluster.client(survivor).get("/v1/datastore/" + SHARD + "/neutron/ipam/" + subnet
                + "?list=true");
        assertThat(claims.status()).isEqualTo(200);
        Map<String, String> claimed = new HashMap<>();
        for (JsonNode c : claims.body().path("items")) {
            String path = c.path("path").asText();
            claimed.put(path.substring(path.lastIndexOf('/') + 1), c.path("value").path("owner").asText());
        }
        Map<String, String> byAddress = new HashMap<>();
        stored.forEach((id, ip) -> byAddress.put(ip, id));
        assertThat(claimed).isEqualTo(byAddress);

        cluster.start(victim);
        cluster.awaitAllReady(120_000);
        for (String id : stored.keySet()) {
            assertThat(http.send(request(victim, "/v2.0/ports/" + id).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        }
        assertThat(cluster.client(victim).get("/v1/datastore/" + SHARD + "/neutron/ipam/" + subnet + "?list=true")
                .body().path("items")).isEmpty();
    }
}
