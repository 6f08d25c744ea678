package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.cluster.testing.InMemoryClusterAdmin;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import io.flowkeeper.controller.mastership.FlowDocuments;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The switch list over the in-memory datastore: every switch known by ownership or by its statistics document, with
 * its master, candidates, desired-flow count and statistics, from a fixed number of reads whatever the switches.
 */
@Timeout(30)
class SwitchRoutesTest {
    private static final String TOKEN = "api-token";

    private final InMemoryDatastore store = new InMemoryDatastore();
    private final OwnershipService ownership = new ReplicatedOwnership(store);
    private final RestServer server = new RestServer(store, new InMemoryClusterAdmin("solo", "127.0.0.1:1", store),
            "127.0.0.1:0", List.of(TOKEN), "node-token");

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void theListHasEverySwitchWithItsMasterFlowCountsAndStatistics() throws Exception {
        new SwitchRoutes(server, store, ownership, null, null, "node-token").mountOn(server);
        server.start();
        ownership.renewLease("n1", "i1", "127.0.0.1:1");
        List<String> entities = IntStream.rangeClosed(1, 3).mapToObj(FlowDocuments::entity).toList();
        ownership.registerCandidates(entities, "n1");
        store.commit(FlowDocuments.CONFIG_SHARD, Transaction.builder()
                .put(FlowDocuments.desiredPath(2, "a").toString(), "{}")
                .put(FlowDocuments.desiredPath(2, "b").toString(), "{}")
                .put(FlowDocuments.desiredPath(3, "c").toString(), "{}").build());
        // Switch 9 has statistics but no entity (its entity not yet committed here): listed too.
        store.commit(FlowDocuments.OPERATIONAL_SHARD, Transaction.builder()
                .put(FlowDocuments.switchPath(2).toString(), "{\"flows\": 5, \"address\": \"10.0.0.2:6653\", "
                        + "\"updated-ms\": 42, \"refused\": [{\"id\": \"x\"}]}")
                .put(FlowDocuments.switchPath(9).toString(), "{\"flows\": 0}").build());

        RestClient api = new RestClient("http://127.0.0.1:" + server.port(), TOKEN);
        RestClient.Response r = api.get("/v1/switches");
        assertThat(r.status()).isEqualTo(200);
        JsonNode list = r.body().get("switches");
        assertThat(list).extracting(s -> s.get("dpid").asText()).containsExactly(FlowDocuments.dpid(1),
                FlowDocuments.dpid(2), FlowDocuments.dpid(3), FlowDocuments.dpid(9));
        JsonNode two = list.get(1);
        assertThat(two.get("master").asText()).isEqualTo("n1");
        assertThat(two.get("connected-to")).extracting(JsonNode::asText).containsExactly("n1");
        assertThat(two.get("desired-flows").asInt()).isEqualTo(2);
        assertThat(two.get("flows").asInt()).isEqualTo(5);
        assertThat(two.get("stats-updated-ms").asLong()).isEqualTo(42);
        assertThat(two.get("refused-flows").asInt()).isEqualTo(1);
        assertThat(list.get(2).get("desired-flows").asInt()).isEqualTo(1);
        assertThat(list.get(3).get("master").isNull()).isTrue();
        // One switch answers the same fields, with the detail.
        JsonNode one = api.get("/v1/switches/" + FlowDocuments.dpid(2)).body();
        assertThat(one.get("desired-flows").asInt()).isEqualTo(2);
        assertThat(one.get("refused")).hasSize(1);
        assertThat(api.get("/v1/switches/" + FlowDocuments.dpid(7)).status()).isEqualTo(404);

        // The list keeps what it read of each document until its revision moves: a changed document, a master that
        // changed and a removed switch show at once.
        store.commit(FlowDocuments.OPERATIONAL_SHARD, Transaction.builder()
                .put(FlowDocuments.switchPath(2).toString(), "{\"flows\": 6, \"updated-ms\": 43}")
                .delete(FlowDocuments.switchPath(9).toString()).build());
        ownership.renewLease("n2", "i2", "127.0.0.1:2");
        ownership.registerCandidates(List.of(FlowDocuments.entity(2)), "n2");
        ownership.unregisterCandidates(List.of(FlowDocuments.entity(2)), "n1");
        JsonNode again = api.get("/v1/switches").body().get("switches");
        assertThat(again).extracting(s -> s.get("dpid").asText()).containsExactly(FlowDocuments.dpid(1),
                FlowDocuments.dpid(2), FlowDocuments.dpid(3));
        assertThat(again.get(1).get("flows").asInt()).isEqualTo(6);
        assertThat(again.get(1).get("stats-updated-ms").asLong()).isEqualTo(43);
        assertThat(again.get(1).get("refused-flows").asInt()).isZero();
        assertThat(again.get(1).get("master").asText()).isEqualTo("n2");
    }
}
