package io.flowkeeper.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.api.ownership.OwnershipService;
import io.flowkeeper.cluster.ReplicatedOwnership;
import io.flowkeeper.cluster.testing.InMemoryClusterAdmin;
import io.flowkeeper.cluster.testing.InMemoryDatastore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The timeline events the watcher makes of what the ownership shard and the hosts' agents report. */
class ClusterWatcherTest {
    private final InMemoryDatastore store = new InMemoryDatastore();
    private final OwnershipService ownership = new ReplicatedOwnership(store);
    private final InMemoryClusterAdmin admin = new InMemoryClusterAdmin("n1", "127.0.0.1:1", store);
    private final EventTimeline timeline = new EventTimeline(Clock.systemUTC());

    private List<String> kinds() {
        return timeline.since(0).stream().map(OperatorEvent::kind).toList();
    }

    @Test
    void anOwnerWhoseSwitchLeftIsNotGoneSoItsLaterKillIsAnnounced() {
        ownership.renewLease("n2", "n2-process", "127.0.0.1:8282");
        ownership.renewLease("n3", "n3-process", "127.0.0.1:8383");
        ownership.registerCandidate("openflow:1", "n2");
        try (ClusterWatcher watcher = new ClusterWatcher(admin, ownership, timeline, new NodeMetrics("n1", timeline))) {
            watcher.start();
            // The switch disconnects from its master (an ovs-vswitchd restart): ownerless, but n2 lives.
            ownership.unregisterCandidate("openflow:1", "n2");
            await().atMost(Duration.ofSeconds(5)).until(() -> kinds().contains("mastership-move"));
            ownership.registerCandidate("openflow:1", "n3");
            await().atMost(Duration.ofSeconds(5)).until(() -> kinds().stream()
                    .filter("mastership-move"::equals).count() == 2);
            assertThat(timeline.since(0).get(1).fields()).doesNotContainKey("millis"); // not a failover
            watcher.peerGone("n2");
            assertThat(kinds()).contains("node-gone");
        }
    }

    @Test
    void aGatewayFailoverIsToldFromAFirstActive() {
        try (ClusterWatcher watcher = new ClusterWatcher(admin, ownership, timeline, new NodeMetrics("n1", timeline))) {
            watcher.gatewayChanged("r1", null, "gw-a", 1);
            watcher.gatewayChanged("r1", "gw-a", "gw-b", 2);
            assertThat(kinds()).containsExactly("gateway-active", "gateway-failover");
            assertThat(timeline.since(0).get(1).text()).isEqualTo("router r1: active gateway gw-a -> gw-b at"
                    + " generation 2");
            assertThat(timeline.since(0).get(0).text()).isEqualTo("router r1: active gateway (none) -> gw-a at"
                    + " generation 1");
        }
    }

    @Test
    void aHostsRestoreIsOneEventWithItsFlowsAndDuration() throws Exception {
        try (ClusterWatcher watcher = new ClusterWatcher(admin, ownership, timeline, new NodeMetrics("n1", timeline))) {
            watcher.hostRestored("compute-1", "br-int", new ObjectMapper().readTree("{\"at_millis\": 1, \"flows\":"
                    + " 1200, \"duration_millis\": 85, \"reason\": \"ovs-vswitchd restarted\"}"));
            OperatorEvent e = timeline.since(0).get(0);
            assertThat(e.kind()).isEqualTo("restore");
            assertThat(e.text()).isEqualTo("host compute-1: br-int restored from the agent's snapshot, 1200 flows in"
                    + " 85 ms (ovs-vswitchd restarted)");
            assertThat(e.fields()).containsEntry("host", "compute-1").containsEntry("flows", 1200L)
                    .containsEntry("millis", 85L);
        }
    }
}
