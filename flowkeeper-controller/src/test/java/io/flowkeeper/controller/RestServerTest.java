package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.store.StoreLimits;
import io.flowkeeper.cluster.ShardCatalog;
import io.flowkeeper.cluster.testing.InMemoryClusterAdmin;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The REST routes of one node on a real loopback HTTP port, over the in-memory datastore and cluster admin: status
 * codes, error messages, tokens, preconditions, listings and watch streams, in milliseconds. {@link RestApiTest}
 * runs the same contract against a real Ratis node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(30)
class RestServerTest {
    private static final String TOKEN = "api-token";
    private static final String NODE_TOKEN = "node-token";
    /** Small limits and history, so the size refusals and the RESET path are cheap to reach. */
    private final InMemoryDatastore store = new InMemoryDatastore(ShardCatalog.defaults(), StoreLimits.ofMaxValue(1000),
            8);
    private final InMemoryClusterAdmin admin = new InMemoryClusterAdmin("solo", "127.0.0.1:1", store);
    private RestServer server;
    private RestClient api;

    @BeforeAll
    void start() throws Exception {
        server = new RestServer(store, admin, "127.0.0.1:0", List.of(TOKEN), NODE_TOKEN);
        server.start();
        api = new RestClient("http://127.0.0.1:" + server.port(), TOKEN);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void available() {
        store.setAvailable(true);
    }

    private String url(String path) {
        return "/v1/datastore/network-config" + path;
    }

    @Test
    void everyRouteButHealthNeedsAToken() throws Exception {
        RestClient none = new RestClient(api.baseUrl(), null);
        assertThat(none.get("/v1/health").status()).isEqualTo(200);
        assertThat(none.get("/v1/health").body().get("node").asText()).isEqualTo("solo");
        RestClient.Response r = none.get("/v1/cluster");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.error()).contains("missing token");
        assertThat(r.body().get("status").asInt()).isEqualTo(401);
        assertThat(new RestClient(api.baseUrl(), "wrong").put(url("/a"), "{}").status()).isEqualTo(403);
        assertThat(store.state("network-config").get("/a")).isNull();
        // Node-to-node routes open with the node token only: an API token is refused before any route is looked up.
        assertThat(api.get("/v1/internal/anything").status()).isEqualTo(403);
        RestClient node = new RestClient(api.baseUrl(), NODE_TOKEN);
        assertThat(node.get("/v1/internal/anything").status()).isEqualTo(404);
        assertThat(node.get("/v1/cluster").status()).isEqualTo(403);
    }

    @Test
    void putGetAndDeleteADocumentWithItsRevisions() throws Exception {
        RestClient.Response put = api.put(url("/nets/n1"), "{ \"vni\" : 100 }");
        assertThat(put.status()).isEqualTo(200);
        long rev1 = put.body().get("revision").asLong();
        long rev2 = api.put(url("/nets/n1"), "{\"vni\":101}").body().get("revision").asLong();
        assertThat(rev2).isEqualTo(rev1 + 1);
        JsonNode doc = api.get(url("/nets/n1")).body();
        assertThat(doc.get("path").asText()).isEqualTo("/nets/n1");
        assertThat(doc.get("value").get("vni").asInt()).isEqualTo(101);
        assertThat(doc.get("create-revision").asLong()).isEqualTo(rev1);
        assertThat(doc.get("mod-revision").asLong()).isEqualTo(rev2);
        assertThat(doc.get("version").asLong()).isEqualTo(2);
        // Stored canonical: the document as the store holds it has no whitespace.
        assertThat(store.state("network-config").get("/nets/n1").json()).isEqualTo("{\"vni\":101}");
        assertThat(api.get(url("/nets/n1?consistency=stale")).status()).isEqualTo(200);

        assertThat(api.delete(url("/nets/n1")).status()).isEqualTo(200);
        RestClient.Response gone = api.get(url("/nets/n1"));
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.error()).isEqualTo("no document at network-config/nets/n1");
    }

    @Test
    void conditionalWritesAnswer409AndWriteNothing() throws Exception {
        long rev = api.put(url("/cas/a"), "{\"v\":1}").body().get("revision").asLong();
        RestClient.Response stale = api.put(url("/cas/a?if-mod-revision=" + (rev - 1)), "{\"v\":2}");
        assertThat(stale.status()).isEqualTo(409);
        assertThat(stale.error()).isEqualTo("precondition failed: /cas/a mod-revision " + (rev - 1));
        assertThat(stale.body().get("succeeded").asBoolean()).isFalse();
        assertThat(api.put(url("/cas/a?if-absent=true"), "{}").error()).isEqualTo("precondition failed: /cas/a absent");
        assertThat(api.put(url("/cas/a?if-mod-revision=" + rev), "{\"v\":3}").status()).isEqualTo(200);
        assertThat(api.get(url("/cas/a")).body().get("value").get("v").asInt()).isEqualTo(3);
    }

    @Test
    void aTransactionIsAllOrNothing() throws Exception {
        api.put(url("/txn/taken"), "{}");
        RestClient.Response r = api.post("/v1/txn/network-config", """
                {"preconditions":[{"path":"/txn/ip","absent":true},{"path":"/txn/taken","absent":true}],
                 "operations":[{"put":"/txn/ip","value":{"port":"p1"}}]}""");
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.error()).contains("/txn/taken");
        assertThat(api.get(url("/txn/ip")).status()).isEqualTo(404);
        r = api.post("/v1/txn/network-config", """
                {"preconditions":[{"path":"/txn/taken","exists":true}],
                 "operations":[{"put":"/txn/ip","value":{"port":"p1"}},{"put":"/txn/port","value":{"ip":"x"}},
                               {"delete":"/txn/taken"}]}""");
        assertThat(r.status()).isEqualTo(200);
        long revision = r.body().get("revision").asLong();
        assertThat(api.get(url("/txn/ip")).body().get("mod-revision").asLong()).isEqualTo(revision);
        assertThat(api.get(url("/txn/port")).body().get("mod-revision").asLong()).isEqualTo(revision);
        assertThat(api.get(url("/txn/taken")).status()).isEqualTo(404);
    }

    @Test
    void listingsStayInsideTheirPrefixAndPrefixDeletesTakeTheSubtree() throws Exception {
        api.put(url("/list/n1"), "{}");
        api.put(url("/list/n1/ports/p1"), "{}");
        api.put(url("/list/n10"), "{}");
        JsonNode list = api.get(url("/list/n1?list=true")).body();
        assertThat(list.get("shard").asText()).isEqualTo("network-config");
        assertThat(list.get("revision").asLong()).isEqualTo(store.state("network-config").revision());
        assertThat(list.get("items")).extracting(i -> i.get("path").asText())
                .containsExactly("/list/n1", "/list/n1/ports/p1");
        assertThat(api.delete(url("/list/n1?prefix=true")).status()).isEqualTo(200);
        assertThat(api.get(url("/list?list=true")).body().get("items")).extracting(i -> i.get("path").asText())
                .containsExactly("/list/n10");
    }

    @Test
    void badInputGetsA4xxWithAClearMessageAndWritesNothing() throws Exception {
        long before = store.state("network-config").revision();
        RestClient.Response r = api.put(url("/bad"), "{not json");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).startsWith("malformed JSON");
        assertThat(api.put(url("/bad"), "").error()).startsWith("empty body");
        r = api.put(url("/big"), "{\"x\":\"" + "a".repeat(2000) + "\"}");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).contains("the limit is 1000 bytes");
        r = api.put(url("/body"), "{\"x\":\"" + "a".repeat(80_000) + "\"}");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).startsWith("request body larger than 69536 bytes");
        r = api.put("/v1/datastore/no-such-shard/a", "{}");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error()).contains("unknown shard 'no-such-shard'");
        assertThat(api.put(url("/a/../b"), "{}").status()).isEqualTo(400);
        assertThat(api.put(url("/a%20b"), "{}").error()).contains("invalid path segment");
        assertThat(api.put(url(""), "{}").status()).isEqualTo(400);
        assertThat(api.put(url("/a?if-mod-revision=x"), "{}").error())
                .isEqualTo("if-mod-revision must be a number, got 'x'");
        assertThat(api.get(url("/a?consistency=sometimes")).status()).isEqualTo(400);
        assertThat(api.post("/v1/txn/network-config", "[1,2]").error()).isEqualTo("body must be a JSON object");
        assertThat(api.post("/v1/txn/network-config", "{\"operations\":[{\"put\":\"/x\"}]}").error())
                .isEqualTo("put /x needs a value");
        assertThat(api.post("/v1/txn/network-config", "{\"operations\":[{\"move\":\"/x\"}]}").status()).isEqualTo(400);
        assertThat(api.post("/v1/txn/network-config", "{\"preconditions\":[{\"path\":\"/x\"}]}").status())
                .isEqualTo(400);
        assertThat(api.post("/v1/txn/network-config", "{}").error()).isEqualTo("empty transaction");
        assertThat(api.post("/v1/txn/nowhere", "{}").status()).isEqualTo(404);
        assertThat(api.get("/v1/nothing").status()).isEqualTo(404);
        assertThat(api.get("/v2/datastore").status()).isEqualTo(404);
        RestClient.Response method = api.send("PATCH", url("/a"), "{}");
        assertThat(method.status()).isEqualTo(405);
        assertThat(method.error()).contains("PATCH");
        assertThat(api.get("/v1/txn/network-config").status()).isEqualTo(405);
        assertThat(store.state("network-config").revision()).isEqualTo(before);
    }

    @Test
    void aShardWithoutQuorumAnswers503() throws Exception {
        store.setAvailable(false);
        RestClient.Response r = api.put(url("/q"), "{}");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.error()).contains("unavailable");
        assertThat(api.get(url("/q")).status()).isEqualTo(503);
        store.setAvailable(true);
        assertThat(api.put(url("/q"), "{}").status()).isEqualTo(200);
    }

    @Test
    void aWatchStreamsLiveChangesAndReplaysFromARevision() throws Exception {
        api.put("/v1/datastore/inventory-operational/other/first", "{}"); // from-revision 0 would mean "live only"
        long rev = api.put("/v1/datastore/inventory-operational/sw/s1", "{\"ports\":4}").body().get("revision")
                .asLong();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                api.watch("inventory-operational", "/sw", rev - 1), StandardCharsets.UTF_8))) {
            JsonNode hello = RestServer.JSON.readTree(in.readLine());
            assertThat(hello.get("type").asText()).isEqualTo("WATCHING");
            assertThat(hello.get("node").asText()).isEqualTo("solo");
            JsonNode replayed = RestServer.JSON.readTree(in.readLine());
            assertThat(replayed.get("type").asText()).isEqualTo("PUT");
            assertThat(replayed.get("revision").asLong()).isEqualTo(rev);
            assertThat(replayed.get("value").get("ports").asInt()).isEqualTo(4);
            api.put("/v1/datastore/inventory-operational/other/x", "{}");
            api.delete("/v1/datastore/inventory-operational/sw/s1");
            JsonNode deleted = RestServer.JSON.readTree(in.readLine());
            assertThat(deleted.get("type").asText()).isEqualTo("DELETE");
            assertThat(deleted.get("path").asText()).isEqualTo("/sw/s1");
            assertThat(deleted.has("value")).isFalse();
        }
    }

    @Test
    void aWatchResumedFromAForgottenRevisionGetsAResetAndAStateDump() throws Exception {
        // History holds 8 changes here: after 12 writes, revision 1 is forgotten.
        for (int i = 0; i < 12; i++) {
            api.put("/v1/datastore/inventory-config/things/f" + (i % 3), "{\"i\":" + i + "}");
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                api.watch("inventory-config", "/things", 1), StandardCharsets.UTF_8))) {
            assertThat(in.readLine()).contains("WATCHING");
            List<String> types = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                JsonNode e = RestServer.JSON.readTree(in.readLine());
                types.add(e.get("type").asText() + " " + e.get("path").asText());
            }
            assertThat(types).containsExactly("RESET /things", "PUT /things/f0", "PUT /things/f1", "PUT /things/f2",
                    "SYNCED /things");
        }
    }

    @Test
    void clusterRoutesAnswerFromTheAdminService() throws Exception {
        JsonNode view = api.get("/v1/cluster").body();
        assertThat(view.get("observer").asText()).isEqualTo("solo");
        assertThat(view.get("shards")).hasSize(4);
        assertThat(api.get("/v1/cluster/members").body().get("members").get("solo").asText())
                .isEqualTo("127.0.0.1:1");
        assertThat(api.post("/v1/cluster/members", "{\"id\":\"x\"}").status()).isEqualTo(400);
        assertThat(api.post("/v1/cluster/members", "{\"id\":\"n2\",\"address\":\"127.0.0.1:2\"}").body()
                .get("members").get("n2").asText()).isEqualTo("127.0.0.1:2");
        assertThat(api.post("/v1/cluster/shards/ownership/transfer-leader", "{\"node\":\"n2\"}").status())
                .isEqualTo(200);
        assertThat(admin.isLocalLeader("ownership")).isFalse();
        assertThat(api.post("/v1/cluster/shards/ownership/transfer-leader", "{}").status()).isEqualTo(400);
        assertThat(api.delete("/v1/cluster/members/n2").body().get("removed").asText()).isEqualTo("n2");
        assertThat(api.delete("/v1/cluster/members/nobody").status()).isEqualTo(400);
        admin.setLeader("ownership", "solo");
    }

    @Test
    void theDigestRouteReportsThisReplica() throws Exception {
        api.put("/v1/datastore/inventory-operational/d/1", "{}");
        JsonNode d = api.get("/v1/shards/inventory-operational/digest").body();
        assertThat(d.get("shard").asText()).isEqualTo("inventory-operational");
        assertThat(d.get("node").asText()).isEqualTo("solo");
        assertThat(d.get("digest").asText()).isEqualTo(store.state("inventory-operational").digest()).hasSize(64);
        assertThat(d.get("keys").asLong()).isEqualTo(store.state("inventory-operational").size());
        assertThat(d.get("revision").asLong()).isEqualTo(store.state("inventory-operational").revision());
        assertThat(api.get("/v1/shards/nowhere/digest").status()).isEqualTo(404);
        assertThat(api.post("/v1/shards/inventory-operational/digest", "{}").status()).isEqualTo(405);
    }
}
