package io.flowkeeper.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.store.Transaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, D1: one bad document in the data a node reads at start-up (written here through the Java API, which
 * the REST API no longer allows for these areas) must never stop the node from starting again.
 */
@Timeout(120)
class StartupValidationTest {
    @Test
    void aNodeWhoseShardsHoldUnusableDocumentsStillStarts() throws Exception {
        try (SoloNode solo = new SoloNode("").start()) {
            solo.node().cluster().commit("ownership", Transaction.builder()
                    .put("/entities/openflow:zz", "{\"entity\":\"openflow:zz\",\"owner\":\"solo\",\"generation\":1,"
                            + "\"candidates\":[\"solo\"]}")
                    .put("/entities/openflow:0000000000000002", "{\"entity\": not json")
                    .put("/entities/openflow:0000000000000003", "{\"entity\":\"openflow:0000000000000004\"}")
                    .put("/nodes/ghost", "[not, a, lease")
                    .build());
            solo.node().cluster().commit("inventory-config", Transaction.builder()
                    .put("/flows/0000000000000001/f1", "{\"id\":\"f1\",\"flow\":\"this is no flow\"}")
                    .put("/flows/zz/f2", "{\"id\":\"f2\",\"flow\":\"table=0,actions=drop\"}")
                    .build());
            solo.stop();

            solo.start();
            RestClient api = solo.client();
            assertThat(api.get("/v1/health").status()).isEqualTo(200);
            RestClient.Response ownership = api.get("/v1/ownership");
            assertThat(ownership.status()).isEqualTo(200);
            // The node still renews its lease (the ownership shard's commands skip the unreadable lease document).
            assertThat(ownership.body().path("nodes").toString()).contains("\"node\":\"solo\"");
            assertThat(api.put("/v1/datastore/network-config/after-restart", "{}").status()).isEqualTo(200);
        }
    }
}
