package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.store.CommitResult;
import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.Operation;
import io.flowkeeper.api.store.Precondition;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.StoreException;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.cluster.ShardClients;
import io.flowkeeper.controller.local.FreePorts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** A single-node cluster in this JVM (real Ratis): the REST contract, bad input and the data model. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class RestApiTest {
    private static final String TOKEN = "test-token-123";
    private Path dir;
    private ControllerNode node;
    private RestClient api;
    private int raftPort;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("flowkeeper-rest-");
        int raft = FreePorts.next();
        raftPort = raft;
        int rest = FreePorts.next();
        Files.writeString(dir.resolve("c.yaml"), "node-id: solo\npeers:\n  solo: 127.0.0.1:" + raft + "\n"
                + "data-dir: " + dir.resolve("data") + "\nrest-address: 127.0.0.1:" + rest + "\n"
                + "api-tokens: [" + TOKEN + "]\nmax-value-bytes: 1000\nrequest-timeout: 3s\n");
        node = new ControllerNode(ControllerMain.parse(new String[] {"--config", dir.resolve("c.yaml").toString()}));
        node.start(System.out);
        api = new RestClient("http://127.0.0.1:" + rest, TOKEN);
    }

    @AfterAll
    void stop() throws Exception {
        if (node != null) {
            node.close();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void hostAgentsRegisterUnderV1NetworkWithTheApiToken() throws Exception {
        RestClient none = new RestClient(api.baseUrl(), null);
        assertThat(none.put("/v1/network/hosts/compute-1", "{}").status()).isEqualTo(401);
        RestClient.Response r = api.put("/v1/network/hosts/compute-1", "{\"tunnel_ip\": \"192.0.2.1\"}");
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        assertThat(r.body().path("heartbeat_millis").asLong()).isPositive();
        assertThat(api.get("/v1/network/hosts/compute-1").body().path("alive").asBoolean()).isTrue();
        assertThat(api.post("/v1/network/hosts/compute-2/bindings", "{}").status()).isEqualTo(404);
        assertThat(api.delete("/v1/network/hosts/compute-1").status()).isEqualTo(204);
    }

    @Test
    void tokensAreRequired() throws Exception {
        RestClient none = new RestClient(api.baseUrl(), null);
        assertThat(none.get("/v1/cluster").status()).isEqualTo(401);
        assertThat(none.get("/v1/cluster").error()).contains("missing token");
        RestClient wrong = new RestClient(api.baseUrl(), "not-the-token");
        assertThat(wrong.get("/v1/cluster").status()).isEqualTo(403);
        assertThat(wrong.put("/v1/datastore/network-config/a", "{}").status()).isEqualTo(403);
        assertThat(none.get("/v1/health").status()).isEqualTo(200);
    }

    @Test
    void aTransactionLargerThanOneRequestMayCarryIsRefusedWholeAndTheShardGoesOn() throws Exception {
        // max-value-bytes 1000 here: a transaction may be 4 x 1000 + 64 KB. 100 documents of 900 bytes each pass
        // the per-document check but not the transaction's, which an in-process writer reaches without the REST
        // body limit.
        Transaction.Builder big = Transaction.builder();
        for (int i = 0; i < 100; i++) {
            big.put("/huge/k" + i, "{\"x\":\"" + "a".repeat(890) + "\"}");
        }
        assertThatThrownBy(() -> node.cluster().commit("network-config", big.build()))
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.kind()).isEqualTo(StoreException.Kind.INVALID);
                    assertThat(e.getMessage()).contains("100 operations").contains("the limit is 69536 bytes");
                });
        assertThat(api.get("/v1/datastore/network-config/huge/k0").status()).isEqualTo(404);
        assertThat(api.put("/v1/datastore/network-config/huge/after", "{}").status()).isEqualTo(200);
    }

    @Test
    void badInputGetsA4xxWithAClearMessage() throws Exception {
        RestClient.Response r = api.put("/v1/datastore/network-config/bad", "{not json");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).startsWith("malformed JSON");
        r = api.put("/v1/datastore/network-config/big", "{\"x\":\"" + "a".repeat(2000) + "\"}");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).contains("limit is 1000 bytes");
        r = api.put("/v1/datastore/no-such-shard/a", "{}");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error()).contains("unknown shard 'no-such-shard'");
        r = api.put("/v1/datastore/network-config/a/../b", "{}");
        assertThat(r.status()).isEqualTo(400);
        r = api.put("/v1/datastore/network-config/a%20b", "{}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("invalid path segment");
        assertThat(api.get("/v1/datastore/network-config/missing").status()).isEqualTo(404);
        assertThat(api.post("/v1/txn/network-config", "[1,2]").status()).isEqualTo(400);
        assertThat(api.post("/v1/txn/network-config", "{\"operations\":[{\"put\":\"/x\"}]}").status()).isEqualTo(400);
        assertThat(api.get("/v1/nothing").status()).isEqualTo(404);
        assertThat(api.put("/v1/datastore/network-config/a?if-mod-revision=x", "{}").status()).isEqualTo(400);
    }

    @Test
    void revisionsGrowAndPreconditionsMakeTransactionsAllOrNothing() throws Exception {
        JsonNode first = api.put("/v1/datastore/network-config/nets/n1", "{\"vni\":100}").body();
        long rev1 = first.get("revision").asLong();
        JsonNode second = api.put("/v1/datastore/network-config/nets/n1", "{\"vni\":101}").body();
        assertThat(second.get("revision").asLong()).isGreaterThan(rev1);
        JsonNode doc = api.get("/v1/datastore/network-config/nets/n1").body();
        assertThat(doc.get("version").asLong()).isEqualTo(2);
        assertThat(doc.get("create-revision").asLong()).isEqualTo(rev1);
        assertThat(doc.get("mod-revision").asLong()).isEqualTo(second.get("revision").asLong());
        assertThat(doc.get("value").get("vni").asInt()).isEqualTo(101);

        // Compare-and-set on the modification revision: a stale writer loses.
        assertThat(api.put("/v1/datastore/network-config/nets/n1?if-mod-revision=" + rev1, "{}").status())
                .isEqualTo(409);
        assertThat(api.put("/v1/datastore/network-config/nets/n1?if-mod-revision="
                + second.get("revision").asLong(), "{\"vni\":102}").status()).isEqualTo(200);

        // A transaction whose precondition fails writes nothing.
        RestClient.Response r = api.post("/v1/txn/network-config", """
                {"preconditions":[{"path":"/ips/10.0.0.5","absent":true},{"path":"/nets/n1","absent":true}],
                 "operations":[{"put":"/ips/10.0.0.5","value":{"port":"p1"}}]}""");
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.error()).contains("/nets/n1");
        assertThat(api.get("/v1/datastore/network-config/ips/10.0.0.5").status()).isEqualTo(404);
        r = api.post("/v1/txn/network-config", """
                {"preconditions":[{"path":"/ips/10.0.0.5","absent":true}],
                 "operations":[{"put":"/ips/10.0.0.5","value":{"port":"p1"}},{"put":"/ports/p1","value":{"ip":"10.0.0.5"}}]}""");
        assertThat(r.status()).isEqualTo(200);
        JsonNode ip = api.get("/v1/datastore/network-config/ips/10.0.0.5").body();
        JsonNode port = api.get("/v1/datastore/network-config/ports/p1?consistency=stale").body();
        assertThat(ip.get("mod-revision").asLong()).isEqualTo(port.get("mod-revision").asLong());

        // Prefix listing does not leak siblings that merely share a string prefix.
        api.put("/v1/datastore/network-config/nets/n10", "{}");
        JsonNode list = api.get("/v1/datastore/network-config/nets/n1?list=true").body();
        assertThat(list.get("items")).extracting(i -> i.get("path").asText()).containsExactly("/nets/n1");
        assertThat(api.delete("/v1/datastore/network-config/nets?prefix=true").status()).isEqualTo(200);
        assertThat(api.get("/v1/datastore/network-config/nets?list=true").body().get("items")).isEmpty();
    }

    @Test
    void concurrentCommitsShareLogEntriesYetEachIsCheckedAndAppliedOnItsOwn() throws Exception {
        // 300 commits at once: the node's client batches them into a few log entries (group commit). Each still
        // gets its own precondition check, revision and result: of 100 claims on each of 3 addresses exactly one wins.
        List<CompletableFuture<CommitResult>> claims = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String ip = "/claims/10.9.0." + (i % 3);
            claims.add(node.cluster().commitAsync("network-config", Transaction.builder()
                    .require(Precondition.absent(ip)).put(ip, "{\"by\":" + i + "}").build()));
        }
        Set<Long> revisions = new HashSet<>();
        Map<String, Integer> winners = new HashMap<>();
        for (int i = 0; i < claims.size(); i++) {
            CommitResult r = claims.get(i).get(30, TimeUnit.SECONDS);
            if (r.succeeded()) {
                assertThat(revisions.add(r.revision())).as("revision of claim %d", i).isTrue();
                winners.merge("/claims/10.9.0." + (i % 3), i, (a, b) -> -1);
            } else {
                assertThat(r.failedPrecondition().path()).isEqualTo("/claims/10.9.0." + (i % 3));
            }
        }
        assertThat(winners).hasSize(3).doesNotContainValue(-1);
        winners.forEach((path, i) -> assertThat(node.cluster().get("network-config", DataPath.of(path),
                ReadConsistency.STALE).orElseThrow().json())
                .isEqualTo("{\"by\":" + i + "}"));

        // A malformed transaction that got past a client's checks is refused alone by the state machine, and the
        // commits around it (sent at once, so most share log entries with it) commit. (A node checks paths before
        // sending; this bare client does not.)
        try (ShardClients raw = ShardClients.forCluster(Map.of("solo", "127.0.0.1:" + raftPort),
                Duration.ofSeconds(10))) {
            List<CompletableFuture<CommitResult>> around = new ArrayList<>();
            CompletableFuture<CommitResult> bad = null;
            for (int i = 0; i < 40; i++) {
                around.add(raw.commitAsync("network-config",
                        Transaction.builder().put("/claims/ok" + i, "{}").build()));
                if (i == 20) {
                    bad = raw.commitAsync("network-config", new Transaction(List.of(),
                            List.of(Operation.deletePrefix("no-leading-slash"))));
                }
            }
            for (CompletableFuture<CommitResult> f : around) {
                assertThat(f.get(30, TimeUnit.SECONDS).succeeded()).isTrue();
            }
            CompletableFuture<CommitResult> refused = bad;
            assertThatThrownBy(() -> refused.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(StoreException.class)
                    .hasMessageContaining("no-leading-slash");
        }
        assertThat(node.cluster().get("network-config", DataPath.of("/claims/ok39"), ReadConsistency.STALE))
                .isPresent();
    }

    @Test
    void aWatchResumedFromACompactedRevisionGetsAResetAndAStateDump() throws Exception {
        api.put("/v1/datastore/inventory-operational/sw/s1", "{\"ports\":4}");
        // from-revision 0 means live only; a revision below the history floor (after a restart: the snapshot) or
        // any revision on a replica that remembers it replays. Here the history holds everything, so ask for 1.
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                api.watch("inventory-operational", "/sw", 1), StandardCharsets.UTF_8))) {
            assertThat(in.readLine()).contains("WATCHING");
            api.put("/v1/datastore/inventory-operational/sw/s2", "{\"ports\":8}");
            JsonNode e = RestServer.JSON.readTree(in.readLine());
            assertThat(e.get("type").asText()).isEqualTo("PUT");
            assertThat(e.get("path").asText()).isEqualTo("/sw/s2");
        }
    }

    @Test
    void clusterViewShowsTheShardsAndTheirLeader() throws Exception {
        JsonNode view = api.get("/v1/cluster").body();
        assertThat(view.get("observer").asText()).isEqualTo("solo");
        assertThat(view.get("shards")).hasSize(4);
        for (JsonNode s : view.get("shards")) {
            assertThat(s.get("leader").asText()).isEqualTo("solo");
        }
        assertThat(api.get("/v1/cluster/members").body().get("members").get("solo").asText()).startsWith("127.0.0.1:");
        assertThat(api.post("/v1/cluster/members", "{\"id\":\"x\"}").status()).isEqualTo(400);
        assertThat(api.delete("/v1/cluster/members/nobody").status()).isEqualTo(400);
    }

    @Test
    void badConfigurationIsOneLineAndExitCode2() {
        var err = new java.io.ByteArrayOutputStream();
        int code = ControllerMain.run(new String[] {"--node-id", "a"}, System.out,
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).trim()).isEqualTo("error: peers is required (id: host:port for every member)");
        assertThat(ControllerMain.run(new String[] {"--bogus", "x"}, System.out,
                new java.io.PrintStream(new java.io.ByteArrayOutputStream()))).isEqualTo(2);
    }
}
