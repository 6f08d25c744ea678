package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.cluster.ShardCatalog;
import io.flowkeeper.controller.local.FreePorts;
import io.flowkeeper.controller.local.LocalCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Three controller JVMs on 127.0.0.1 (real Ratis over gRPC, real kill -9). One cluster for the class; every test
 * leaves all three nodes running for the next one. Assertions are about behaviour, with generous timeouts: timings
 * belong to {@code flowkeeper bench datastore}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(240)
class ThreeNodeClusterTest {
    private static final String SHARD = "network-config";
    private LocalCluster cluster;
    private boolean membershipChanged;

    /** The cluster's directory is deleted at the end: keep the node logs of a failed test under target/. */
    @RegisterExtension
    final TestWatcher keepLogsOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (cluster == null) {
                return;
            }
            Path to = Path.of("target", "cluster-logs", context.getRequiredTestMethod().getName());
            try {
                cluster.keepLogs(to);
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
    };

    @BeforeAll
    void startCluster() throws Exception {
        // A low snapshot threshold so the wiped node must be caught up by snapshot install, not log replay.
        // Election timeouts well above the 150-300 ms defaults: this class asserts behaviour, not failover speed
        // (that is the bench's job), and on a 2-core machine shared with other test JVMs a leader that is starved
        // of CPU for 300 ms loses leadership, and elections then churn for seconds.
        cluster = LocalCluster.inTempDir(3, List.of("request-timeout: 5s", "snapshot-threshold: 200",
                "rebalance-settle: 2s", "rebalance-interval: 1s", "election-timeout-min: 1s",
                "election-timeout-max: 2s"));
        cluster.startAll();
        cluster.awaitAllReady(90_000);
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void allNodesBack() throws Exception {
        if (membershipChanged) {
            return; // the last test: n3 is no longer a member
        }
        for (int i = 0; i < 3; i++) {
            cluster.start(i);
        }
        cluster.awaitAllReady(90_000);
    }

    private JsonNode clusterView(int node) throws Exception {
        RestClient.Response r = cluster.client(node).get("/v1/cluster");
        assertThat(r.status()).isEqualTo(200);
        return r.body();
    }

    private String leaderOf(int node, String shard) throws Exception {
        for (JsonNode s : clusterView(node).get("shards")) {
            if (s.get("name").asText().equals(shard)) {
                return s.path("leader").isNull() ? null : s.path("leader").asText(null);
            }
        }
        return null;
    }

    private String digest(int node, String shard) throws Exception {
        RestClient.Response r = cluster.client(node).get("/v1/shards/" + shard + "/digest");
        return r.ok() ? r.body().get("digest").asText() + "@" + r.body().get("revision").asLong() : "down";
    }

    private void awaitConverged(String shard) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            Set<String> digests = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                digests.add(digest(i, shard));
            }
            assertThat(digests).hasSize(1).doesNotContain("down");
        });
    }

    @Test
    @Order(1)
    void leadersAreSpreadOverTheNodesAndVisibleFromEveryNode() throws Exception {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Set<String> leaders = new HashSet<>();
            for (JsonNode s : clusterView(0).get("shards")) {
                leaders.add(s.path("leader").asText());
                assertThat(s.get("term").asLong()).isPositive();
            }
            assertThat(leaders).containsExactlyInAnyOrder("n1", "n2", "n3");
        });
        // Then the balancer settles: shard i on the i mod 3-th node (sorted ids), and stays there.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            List<String> leaders = new ArrayList<>();
            for (JsonNode s : clusterView(0).get("shards")) {
                leaders.add(s.path("leader").asText());
            }
            assertThat(leaders).containsExactly("n1", "n2", "n3", "n1");
        });
        // Every node serves writes (forwarded to the leaders through Ratis).
        for (int i = 0; i < 3; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(cluster.client(node).put("/v1/datastore/" + SHARD + "/hello/" + node, "{}").status())
                            .isEqualTo(200));
        }
        JsonNode view = clusterView(2);
        assertThat(view.get("nodes")).hasSize(3);
        assertThat(view.get("shards")).extracting(s -> s.get("name").asText())
                .contains("network-config", "inventory-config", "inventory-operational", "ownership");
    }

    /** Issue 15, D6 and D8: secrets stay out of ps, state stays private, API tokens cannot call node routes. */
    @Test
    @Order(1)
    void noTokenShowsInPsAndNodeStateIsPrivate() throws Exception {
        for (int i = 0; i < 3; i++) {
            Process ps = new ProcessBuilder("ps", "-ww", "-o", "args=", "-p", Long.toString(cluster.pid(i)))
                    .redirectErrorStream(true).start();
            String args = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(ps.waitFor()).isZero();
            assertThat(args).contains("ControllerMain").doesNotContain(LocalCluster.TOKEN)
                    .doesNotContain(LocalCluster.NODE_TOKEN);
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(cluster.dataDir(i)))).isEqualTo("rwx------");
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(cluster.configFile(i)))).isEqualTo("rw-------");
        }
        RestClient.Response r = cluster.client(0).get("/v1/internal/switches/0000000000000001/role");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.error()).isEqualTo("invalid token");
    }

    @Test
    @Order(2)
    void watchDeliversCommittedChangesInOrderOnAnotherNodeAndResumes() throws Exception {
        List<JsonNode> events = new CopyOnWriteArrayList<>();
        InputStream stream = cluster.client(2).watch(SHARD, "/watched", 0);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    events.add(RestServer.JSON.readTree(line));
                }
            } catch (Exception e) {
                // stream closed
            }
        });
        reader.setDaemon(true);
        reader.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty()); // the WATCHING line
        for (int k = 0; k < 20; k++) {
            RestClient.Response r = cluster.client(k % 3).put("/v1/datastore/" + SHARD + "/watched/k" + k,
                    "{\"k\":" + k + "}");
            assertThat(r.status()).as(r.error()).isEqualTo(200);
        }
        cluster.client(0).put("/v1/datastore/" + SHARD + "/elsewhere/x", "{}");
        await().atMost(Duration.ofSeconds(20)).until(() -> events.stream()
                .filter(e -> e.get("type").asText().equals("PUT")).count() == 20);
        stream.close();
        List<JsonNode> puts = events.stream().filter(e -> e.get("type").asText().equals("PUT")).toList();
        long last = 0;
        for (int k = 0; k < 20; k++) {
            assertThat(puts.get(k).get("path").asText()).isEqualTo("/watched/k" + k);
            assertThat(puts.get(k).get("revision").asLong()).isGreaterThan(last);
            last = puts.get(k).get("revision").asLong();
        }
        // Resume from the 10th change: exactly the changes after it come back, in order.
        long from = puts.get(9).get("revision").asLong();
        List<String> resumed = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                cluster.client(1).watch(SHARD, "/watched", from), StandardCharsets.UTF_8))) {
            in.readLine(); // WATCHING
            for (int k = 10; k < 20; k++) {
                resumed.add(RestServer.JSON.readTree(in.readLine()).get("path").asText());
            }
        }
        assertThat(resumed).containsExactly("/watched/k10", "/watched/k11", "/watched/k12", "/watched/k13",
                "/watched/k14", "/watched/k15", "/watched/k16", "/watched/k17", "/watched/k18", "/watched/k19");
    }

    @Test
    @Order(3)
    void concurrentAllocationFromThreeNodesNeverHandsOutAValueTwice() throws Exception {
        int values = 60;
        Map<Integer, Set<Integer>> won = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int node = 0; node < 3; node++) {
            int n = node;
            won.put(n, ConcurrentHashMap.newKeySet());
            threads.add(new Thread(() -> {
                RestClient c = cluster.client(n);
                for (int v = 1; v <= values; v++) {
                    try {
                        RestClient.Response r = c.put("/v1/datastore/" + SHARD + "/alloc/ip-" + v + "?if-absent=true",
                                "{\"owner\":\"n" + (n + 1) + "\"}");
                        if (r.status() == 200) {
                            won.get(n).add(v);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        Set<Integer> all = new HashSet<>();
        int total = 0;
        for (Set<Integer> s : won.values()) {
            all.addAll(s);
            total += s.size();
        }
        assertThat(total).as("no value won twice").isEqualTo(all.size());
        assertThat(all).hasSize(values);
        JsonNode list = cluster.client(0).get("/v1/datastore/" + SHARD + "/alloc?list=true").body();
        for (JsonNode item : list.get("items")) {
            int v = Integer.parseInt(item.get("path").asText().substring("/alloc/ip-".length()));
            String owner = item.get("value").get("owner").asText();
            assertThat(won.get(Integer.parseInt(owner.substring(1)) - 1)).contains(v);
            assertThat(item.get("version").asLong()).isEqualTo(1);
        }
    }

    /**
     * A linearizable list (the default) on any node includes a write another node has just acknowledged: the list
     * reads the shard's revision through Raft and then the node's own replica once it has applied that revision, so
     * a follower that has not yet applied the write waits for it rather than answering without it.
     */
    @Test
    @Order(3)
    void aListOnAnyNodeRightAfterAWriteElsewhereIncludesIt() throws Exception {
        for (int k = 0; k < 30; k++) {
            int writer = k % 3;
            RestClient.Response w = cluster.client(writer).put("/v1/datastore/" + SHARD + "/read-after/k" + k,
                    "{\"k\":" + k + "}");
            assertThat(w.status()).as(w.body().toString()).isEqualTo(200);
            for (int reader = 0; reader < 3; reader++) {
                JsonNode list = cluster.client(reader).get("/v1/datastore/" + SHARD + "/read-after?list=true").body();
                Set<String> paths = new HashSet<>();
                list.get("items").forEach(i -> paths.add(i.get("path").asText()));
                assertThat(paths).as("list on " + cluster.id(reader) + " right after k" + k + " through "
                        + cluster.id(writer)).hasSize(k + 1).contains("/read-after/k" + k);
            }
        }
    }

    @Test
    @Order(4)
    void killingTheShardLeaderUnderContinuousWritesLosesNoAcknowledgedWriteAndAppliesNoneTwice() throws Exception {
        String leader = leaderOf(0, SHARD);
        assertThat(leader).isNotNull();
        int victim = cluster.indexOf(leader);
        AtomicBoolean running = new AtomicBoolean(true);
        Map<String, Boolean> acknowledged = new ConcurrentHashMap<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            int writer = w;
            writers.add(new Thread(() -> {
                int seq = 0;
                while (running.get()) {
                    // Each writer prefers its own node, and moves on to the next one when its node is dead.
                    int node = (writer + seq / 1_000_000) % 3;
                    String key = "/writes/w" + writer + "-" + seq++;
                    for (int attempt = 0; attempt < 3 && running.get(); attempt++) {
                        int target = (node + attempt) % 3;
                        if (!cluster.isRunning(target)) {
                            continue;
                        }
                        try {
                            RestClient.Response r = cluster.client(target).put("/v1/datastore/" + SHARD + key,
                                    "{\"w\":" + writer + "}");
                            if (r.status() == 200) {
                                acknowledged.put(key, true);
                            }
                            break;
                        } catch (java.net.ConnectException e) {
                            // refused: the node is down and never saw the request, so another node may take it
                        } catch (Exception e) {
                            // sent but no answer (the node died mid-request): the outcome is unknown, and
                            // sending it again would be a second write from the client's side. Not acknowledged.
                            break;
                        }
                    }
                }
            }));
        }
        writers.forEach(Thread::start);
        Thread.sleep(2_000);
        int before = acknowledged.size();
        cluster.kill(victim);
        Thread.sleep(4_000);
        running.set(false);
        for (Thread t : writers) {
            t.join();
        }
        assertThat(before).isPositive();
        assertThat(acknowledged.size()).as("writes went on after the kill").isGreaterThan(before);
        cluster.start(victim);
        cluster.awaitReady(victim, 90_000);
        awaitConverged(SHARD);
        for (int node = 0; node < 3; node++) {
            JsonNode list = cluster.client(node).get("/v1/datastore/" + SHARD + "/writes?list=true&consistency=stale")
                    .body();
            Map<String, Long> versions = new HashMap<>();
            list.get("items").forEach(i -> versions.put(i.get("path").asText(), i.get("version").asLong()));
            assertThat(versions.keySet()).as("every acknowledged write on " + cluster.id(node))
                    .containsAll(acknowledged.keySet());
            assertThat(versions.values()).as("no write applied twice").allMatch(v -> v == 1L);
        }
    }

    @Test
    @Order(5)
    void aRestartedNodeCatchesUpOnWritesItMissed() throws Exception {
        int node = 2;
        cluster.stop(node);
        // As a node killed while writing a snapshot leaves it: the file was never registered, and goes at start-up.
        Path unfinished = stateMachineDir(node, SHARD).resolve("snapshot.1_5.tmp");
        Files.writeString(unfinished, "half a snapshot");
        long snapshotBefore = latestCompleteSnapshot(node, SHARD);
        for (int k = 0; k < 450; k += 50) {
            StringBuilder ops = new StringBuilder("{\"operations\":[");
            for (int j = 0; j < 50; j++) {
                ops.append(j == 0 ? "" : ",").append("{\"put\":\"/bulk/k").append(k + j).append("\",\"value\":{\"i\":")
                        .append(k + j).append("}}");
            }
            assertThat(cluster.client(0).post("/v1/txn/" + SHARD, ops + "]}").status()).isEqualTo(200);
        }
        // Single writes too, so the log passes the snapshot threshold (200 entries) and gets purged.
        for (int k = 0; k < 260; k++) {
            assertThat(cluster.client(k % 2).put("/v1/datastore/" + SHARD + "/single/k" + k, "{}").status())
                    .isEqualTo(200);
        }
        cluster.start(node);
        cluster.awaitReady(node, 90_000);
        awaitConverged(SHARD);

        assertThat(cluster.client(node).get("/v1/datastore/" + SHARD + "/bulk/k7?consistency=stale").status())
                .isEqualTo(200);
        assertThat(unfinished).doesNotExist();
        // Past the threshold again since its restart, it snapshots (in the background): a complete file and its MD5.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(latestCompleteSnapshot(node, SHARD)).isGreaterThan(snapshotBefore));
    }

    /** The log index of a replica's newest snapshot that has its MD5 file (Ratis' mark of a complete one), or -1. */
    private long latestCompleteSnapshot(int node, String shard) throws IOException {
        long latest = -1;
        try (var files = Files.list(stateMachineDir(node, shard))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.matches("snapshot\\.\\d+_\\d+") && Files.exists(f.resolveSibling(name + ".md5"))) {
                    latest = Math.max(latest, Long.parseLong(name.substring(name.indexOf('_') + 1)));
                }
            }
        }
        return latest;
    }

    /** Where a replica keeps a shard's snapshot files (Ratis' state-machine directory of the shard's group). */
    private Path stateMachineDir(int node, String shard) {
        return cluster.dataDir(node).resolve(ShardCatalog.groupUuid(shard).toString()).resolve("sm");
    }

    @Test
    @Order(6)
    void withoutQuorumWritesFailWith503NamingTheShardAndResumeWhenANodeReturns() throws Exception {
        cluster.kill(1);
        cluster.kill(2);
        long start = System.nanoTime();
        RestClient.Response r = cluster.client(0).put("/v1/datastore/" + SHARD + "/q/k1", "{}");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.error()).contains(SHARD);
        assertThat(tookMs).as("bounded by request-timeout (5 s) plus slack").isLessThan(15_000);
        cluster.start(1);
        cluster.awaitReady(1, 90_000);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(cluster.client(0).put("/v1/datastore/" + SHARD + "/q/k2", "{}").status()).isEqualTo(200));
    }

    /** Index of the first entry in a replica's Raft log of a shard (0 if the log starts at the beginning). */
    private long firstLogIndex(int node, String shard) throws IOException {
        Path current = cluster.dataDir(node).resolve(ShardCatalog.groupUuid(shard).toString()).resolve("current");
        long first = Long.MAX_VALUE;
        try (var files = Files.list(current)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith("log_inprogress_")) {
                    first = Math.min(first, Long.parseLong(name.substring("log_inprogress_".length())));
                } else if (name.startsWith("log_")) {
                    first = Math.min(first, Long.parseLong(name.substring(4, name.indexOf('-'))));
                }
            }
        }
        return first;
    }

    @Test
    @Order(7)
    void aNodeWhoseDiskWasWipedRejoinsBySnapshotInstall() throws Exception {
        String leader = leaderOf(0, SHARD);
        assertThat(leader).isNotNull();
        int leaderIndex = cluster.indexOf(leader);
        int victim = (leaderIndex + 1) % 3;
        cluster.kill(victim);
        cluster.wipe(victim);
        assertThat(cluster.dataDir(victim)).doesNotExist();
        // Past the snapshot threshold (200 entries): the leader snapshots and purges the log the victim would need.
        int survivor = 3 - leaderIndex - victim;
        for (int k = 0; k < 260; k++) {
            int node = k % 2 == 0 ? leaderIndex : survivor;
            assertThat(cluster.client(node).put("/v1/datastore/" + SHARD + "/wiped/k" + k, "{\"k\":" + k + "}")
                    .status()).isEqualTo(200);
        }
        cluster.start(victim);
        cluster.awaitReady(victim, 90_000);
        awaitConverged(SHARD);
        assertThat(cluster.client(victim).get("/v1/datastore/" + SHARD + "/wiped/k259?consistency=stale").status())
                .isEqualTo(200);
        // Its log starts after the snapshot it was sent, not at the beginning: it was not caught up by replay.
        assertThat(firstLogIndex(victim, SHARD)).as("first log index on the wiped node").isGreaterThan(0);
        // And it keeps up with new writes like any other replica.
        assertThat(cluster.client(victim).put("/v1/datastore/" + SHARD + "/wiped/after", "{}").status())
                .isEqualTo(200);
        awaitConverged(SHARD);
    }

    @Test
    @Order(8)
    void theLargestTransactionTheApiTakesIsReplicatedAndTheShardGoesOn() throws Exception {
        // Four documents of exactly max-value-bytes (1 MiB by default): a log entry of more than 4 MB, Ratis' default
        // appender buffer. With that default the leader could never send it, and the shard stopped replicating.
        String doc = "{\"pad\":\"" + "x".repeat((1 << 20) - 10) + "\"}";
        StringBuilder ops = new StringBuilder("{\"operations\":[");
        for (int i = 0; i < 4; i++) {
            ops.append(i == 0 ? "" : ",").append("{\"put\":\"/big/k").append(i).append("\",\"value\":").append(doc)
                    .append("}");
        }
        RestClient.Response r = cluster.client(0).post("/v1/txn/" + SHARD, ops + "]}");
        assertThat(r.status()).as(r.error()).isEqualTo(200);
        assertThat(cluster.client(1).put("/v1/datastore/" + SHARD + "/big/after", "{}").status()).isEqualTo(200);
        awaitConverged(SHARD);
        for (int node = 0; node < 3; node++) {
            RestClient.Response big = cluster.client(node).get("/v1/datastore/" + SHARD + "/big/k3?consistency=stale");
            assertThat(big.status()).isEqualTo(200);
        }
    }

    @Test
    @Order(100) // last: leaves n1, n2, n4 as the members
    void aFourthNodeJoinsAtRunTimeCatchesUpAndAnOriginalMemberIsRemovedWhileWritesGoOn() throws Exception {
        int raftPort = FreePorts.next();
        int restPort = FreePorts.next();
        String n4 = "127.0.0.1:" + raftPort;
        Path log = cluster.dir().resolve("node-n4.log");
        Process fourth = cluster.startNewNode("n4", n4, restPort, List.of("request-timeout: 5s",
                "snapshot-threshold: 200", "rebalance-settle: 2s", "rebalance-interval: 1s", "election-timeout-min: 1s",
                "election-timeout-max: 2s"));
        membershipChanged = true;
        try {
            RestClient n4Client = new RestClient("http://127.0.0.1:" + restPort, LocalCluster.TOKEN);
            // Added through any member; the leaders bring it up to date before the new configuration commits.
            RestClient slow = new RestClient(cluster.restUrl(1), LocalCluster.TOKEN, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .untilAsserted(() -> {
                RestClient.Response r = slow.post("/v1/cluster/members",
                        "{\"id\":\"n4\",\"address\":\"" + n4 + "\"}");
                assertThat(r.status()).as(r.error()).isEqualTo(200);
            });
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(fourth.isAlive()).as("n4 running: " + Files.readString(log)).isTrue();
                assertThat(Files.readString(log)).contains("controller n4 ready: REST");
            });
            assertThat(cluster.client(0).put("/v1/datastore/" + SHARD + "/members/after-add", "{}").status())
                    .isEqualTo(200);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                RestClient.Response mine = n4Client.get("/v1/shards/" + SHARD + "/digest");
                assertThat(mine.status()).isEqualTo(200);
                assertThat(mine.body().get("digest").asText() + "@" + mine.body().get("revision").asLong())
                        .isEqualTo(digest(0, SHARD));
            });
            JsonNode view = n4Client.get("/v1/cluster").body();
            assertThat(view.get("nodes")).extracting(n -> n.get("id").asText())
                    .containsExactlyInAnyOrder("n1", "n2", "n3", "n4");

            // Remove an original member through the new one, then stop it: writes go on with n1, n2, n4.
            RestClient.Response removed = n4Client.delete("/v1/cluster/members/n3");
            assertThat(removed.status()).as(removed.error()).isEqualTo(200);
            cluster.kill(2);
            for (int k = 0; k < 30; k++) {
                RestClient c = k % 3 == 2 ? n4Client : cluster.client(k % 3);
                RestClient.Response r = c.put("/v1/datastore/" + SHARD + "/members/after-remove-" + k, "{}");
                assertThat(r.status()).as(r.error()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                Set<String> digests = new HashSet<>();
                digests.add(digest(0, SHARD));
                digests.add(digest(1, SHARD));
                RestClient.Response mine = n4Client.get("/v1/shards/" + SHARD + "/digest");
                digests.add(mine.body().get("digest").asText() + "@" + mine.body().get("revision").asLong());
                assertThat(digests).hasSize(1).doesNotContain("down");
            });
            assertThat(clusterView(0).get("nodes")).extracting(n -> n.get("id").asText())
                    .containsExactlyInAnyOrder("n1", "n2", "n4");
        } finally {
            fourth.destroyForcibly();
            fourth.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
