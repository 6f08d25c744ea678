package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowkeeper.agent.AgentStatus;
import io.flowkeeper.agent.SnapshotReport;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What a registration tells the cluster of the host agent's snapshot and last restore. */
class ClusterAgentSnapshotFieldsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-06T03:00:00Z");

    @Test
    void figuresGoAsAgesAndTheRestoreKeepsItsOwnTimeAsItsIdentity() {
        AgentStatus.Restore restore = new AgentStatus.Restore(NOW.minusMillis(2_500), 1200, 85, 140L,
                "ovs-vswitchd restarted");
        ObjectNode body = JSON.createObjectNode();
        ClusterAgent.snapshotFields(body, new SnapshotReport(true, "journaling", 1200, 96_000, NOW.minusSeconds(4),
                restore), NOW);
        assertThat(body.path("snapshot").path("flows").asInt()).isEqualTo(1200);
        assertThat(body.path("snapshot").path("bytes").asLong()).isEqualTo(96_000);
        assertThat(body.path("snapshot").path("age_millis").asLong()).isEqualTo(4_000);
        assertThat(body.path("snapshot").path("state").asText()).isEqualTo("journaling");
        assertThat(body.path("last_restore").path("agent_at_millis").asLong())
                .isEqualTo(NOW.minusMillis(2_500).toEpochMilli());
        assertThat(body.path("last_restore").path("ago_millis").asLong()).isEqualTo(2_500);
        assertThat(body.path("last_restore").path("flows").asInt()).isEqualTo(1200);
        assertThat(body.path("last_restore").path("duration_millis").asLong()).isEqualTo(85);
        assertThat(body.path("last_restore").path("reason").asText()).isEqualTo("ovs-vswitchd restarted");
    }

    @Test
    void beforeTheFirstConnectionAndRestoreNothingIsSaid() {
        ObjectNode body = JSON.createObjectNode();
        ClusterAgent.snapshotFields(body, SnapshotReport.NONE, NOW);
        assertThat(body.has("snapshot")).isFalse();
        assertThat(body.has("last_restore")).isFalse();
        // connected, before the first initial dump: the state and size, no flow count yet
        ClusterAgent.snapshotFields(body, new SnapshotReport(false, "connecting", null, 0, null, null), NOW);
        assertThat(body.path("snapshot").path("state").asText()).isEqualTo("connecting");
        assertThat(body.path("snapshot").has("flows")).isFalse();
        assertThat(body.path("snapshot").has("age_millis")).isFalse();
    }
}
