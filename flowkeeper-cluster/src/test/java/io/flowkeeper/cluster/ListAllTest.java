package io.flowkeeper.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.DatastoreService;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Transaction;
import io.flowkeeper.api.store.VersionedValue;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Several lists read together on a follower: each in the order asked, each with every write committed before. */
class ListAllTest {
    @Test
    void listsReadTogetherOnAFollowerSeeEveryEarlierWriteInTheOrderAsked() throws Exception {
        try (InProcessReplicas replicas = new InProcessReplicas("list-all", Duration.ZERO, null)) {
            String shard = replicas.shard;
            ClusterNode leader = replicas.readyLeader(10_000);
            ClusterNode follower = replicas.otherThan(leader);
            for (int k = 0; k < 20; k++) {
                leader.commit(shard, Transaction.builder().put("/a/" + k, "{}").put("/b/" + k, "{}").build());
                List<DatastoreService.Snapshot> read = follower.listAll(List.of(
                        new DatastoreService.ListQuery(shard, DataPath.of("/b")),
                        new DatastoreService.ListQuery(shard, DataPath.of("/a"))), ReadConsistency.LINEARIZABLE);
                assertThat(read).hasSize(2);
                assertThat(read.get(0).values()).extracting(VersionedValue::path).hasSize(k + 1)
                        .allMatch(p -> p.startsWith("/b/")).contains("/b/" + k);
                assertThat(read.get(1).values()).extracting(VersionedValue::path).hasSize(k + 1)
                        .allMatch(p -> p.startsWith("/a/")).contains("/a/" + k);
            }
            List<DatastoreService.Snapshot> stale = follower.listAll(List.of(
                    new DatastoreService.ListQuery(shard, DataPath.of("/a"))), ReadConsistency.STALE);
            assertThat(stale.get(0).values()).hasSizeLessThanOrEqualTo(20);
        }
    }
}
