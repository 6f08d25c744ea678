package io.flowkeeper.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's pause between failed rounds grows, and stays well within the cluster's 30 s agent-down time. */
class ClusterAgentBackoffTest {
    @Test
    void aFailingClusterIsAskedLessAndLessOften() {
        assertThat(List.of(0, 1, 2, 3, 4, 5, 50).stream().map(ClusterAgent::backoff).map(Duration::toMillis).toList())
                .containsExactly(500L, 1_000L, 2_000L, 4_000L, 8_000L, 8_000L, 8_000L);
    }
}
