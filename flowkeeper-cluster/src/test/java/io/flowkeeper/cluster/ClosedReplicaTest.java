package io.flowkeeper.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowkeeper.api.store.DataPath;
import io.flowkeeper.api.store.ReadConsistency;
import io.flowkeeper.api.store.Transaction;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A shard replica that Ratis closes on its own (as its log worker does when an append fails) is reopened from its
 * disk by its node, and catches up: before, it stayed closed, and its node served stale reads of the shard.
 */
class ClosedReplicaTest {
    @Test
    void aReplicaRatisClosedIsReopenedFromItsDiskAndCatchesUp() throws Exception {
        try (InProcessReplicas replicas = new InProcessReplicas("closed-replica", Duration.ZERO, null)) {
            String shard = replicas.shard;
            ClusterNode leader = replicas.readyLeader(10_000);
            ClusterNode follower = replicas.otherThan(leader);
            leader.commit(shard, Transaction.builder().put("/before", "1").build());

            long t0 = System.nanoTime();
            follower.server().getDivision(follower.groupId(shard)).close(); // what Ratis' failing log worker does
            for (int i = 0; i < 20; i++) {
                leader.commit(shard, Transaction.builder().put("/after/" + i, "1").build());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline && !hasLocally(follower, shard, "/after/19")) {
                Thread.sleep(20);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("closed replica on %s reopened (%d time(s)) and caught up %d ms after it closed%n",
                    follower.nodeId(), follower.reopened(shard), ms);
            assertThat(hasLocally(follower, shard, "/after/19")).as("the closed replica caught up").isTrue();
            assertThat(follower.reopened(shard)).isEqualTo(1);
            assertThat(follower.replicasReopened()).as("the metrics' total").isEqualTo(1);
            assertThat(hasLocally(follower, shard, "/before")).as("its earlier state, read back from its disk").isTrue();
        }
    }

    private static boolean hasLocally(ClusterNode node, String shard, String path) {
        try {
            return node.get(shard, DataPath.of(path), ReadConsistency.STALE).isPresent();
        } catch (RuntimeException e) {
            return false; // the replica is closed or being reopened
        }
    }
}
