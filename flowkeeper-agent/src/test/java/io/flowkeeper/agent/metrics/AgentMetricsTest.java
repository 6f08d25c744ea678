package io.flowkeeper.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flowkeeper.agent.AgentConfig;
import io.flowkeeper.agent.AgentListener;
import io.flowkeeper.agent.HostAgent;
import io.flowkeeper.testbed.BridgeSpec;
import io.flowkeeper.testbed.Exposition;
import io.flowkeeper.testbed.OvsHost;
import io.flowkeeper.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's /metrics on a real OVS bridge: flows added by hand show as journaled changes and snapshot flows and
 * bytes; an ovs-vswitchd restart shows as one restore of those flows, with its duration in the histogram. Only
 * the agent's token is let in.
 */
@Tag("integration")
class AgentMetricsTest {
    private static final String BR = "br-int";
    private static final String TOKEN = "agent-metrics-test-token";
    private static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path snapshots;

    @Test
    void journalSnapshotAndRestoreShowInTheSeries() throws Exception {
        try (TestBed bed = TestBed.create()) {
            OvsHost host = bed.addHost("h1");
            host.addBridge(BridgeSpec.named(BR));
            List<String> flows = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                flows.add("table=2,priority=" + (100 + i) + ",ip,nw_dst=10.1." + (i >> 8) + "." + (i & 255)
                        + ",actions=drop");
            }
            Path file = host.runDir().resolve("flows.txt");
            Files.write(file, flows);
            host.ofctl("--bundle", "add-flows", BR, file.toString());

            AgentMetrics meters = new AgentMetrics("h1", List.of(BR), snapshots, new AgentListener() { });
            try (MetricsEndpoint endpoint = new MetricsEndpoint("127.0.0.1:0", TOKEN, meters::scrape).start();
                 HostAgent agent = new HostAgent(new AgentConfig(host.runDir(), List.of(BR), snapshots), meters)
                         .start()) {
                String url = "http://127.0.0.1:" + endpoint.port() + "/metrics";
                assertThat(Exposition.statusWith(url, null)).isEqualTo(401);
                assertThat(Exposition.statusWith(url, "wrong")).isEqualTo(403);

                await().atMost(T).until(() -> scrape(url).valueOr0("flowkeeper_agent_snapshot_flows", "bridge", BR)
                        == 300);
                Exposition first = scrape(url);
                assertThat(first.value("flowkeeper_agent_snapshot_bytes", "bridge", BR, "host", "h1")).isPositive();
                assertThat(first.value("flowkeeper_agent_restores_seconds_count", "bridge", BR)).isNull();
                assertThat(first.valueOr0("flowkeeper_agent_restore_seconds_count", "bridge", BR)).isZero();
                assertThat(first.value("flowkeeper_agent_restore_last_flows", "bridge", BR)).isEqualTo(-1);

                host.ofctl("add-flow", BR, "table=3,priority=7,actions=drop");
                host.ofctl("del-flows", BR, "table=2,ip,nw_dst=10.1.0.5");
                await().atMost(T).until(() -> scrape(url).valueOr0("flowkeeper_agent_journal_changes_total",
                        "bridge", BR) >= 2);
                Exposition journaled = scrape(url);
                assertThat(journaled.value("flowkeeper_agent_journal_lag_seconds", "bridge", BR))
                        .isBetween(0.0, 60.0);

                host.restartVswitchd();
                await().atMost(T).until(() -> scrape(url).valueOr0("flowkeeper_agent_restore_seconds_count",
                        "bridge", BR) == 1);
                Exposition restored = scrape(url);
                assertThat(restored.value("flowkeeper_agent_restore_last_flows", "bridge", BR)).isEqualTo(300);
                assertThat(restored.value("flowkeeper_agent_restore_flows_total", "bridge", BR)).isEqualTo(300);
                assertThat(restored.value("flowkeeper_agent_restore_seconds_sum", "bridge", BR)).isPositive();
                assertThat(restored.value("flowkeeper_agent_switch_disconnects_total", "bridge", BR))
                        .isGreaterThanOrEqualTo(1);
                assertThat(host.flowCount(BR)).isEqualTo(300);
                // What the cluster agent reports with its heartbeats: the same figures, and the restore.
                await().atMost(T).until(() -> "journaling".equals(agent.snapshotReport(BR).state()));
                io.flowkeeper.agent.SnapshotReport report = agent.snapshotReport(BR);
                assertThat(report.holdsFlows()).isTrue();
                assertThat(report.flows()).isEqualTo(300);
                assertThat(report.bytes()).isPositive();
                assertThat(report.writtenAt()).isBetween(java.time.Instant.now().minusSeconds(60),
                        java.time.Instant.now().plusSeconds(1));
                assertThat(report.lastRestore().flows()).isEqualTo(300);
                assertThat(report.lastRestore().reason()).isEqualTo("ovs-vswitchd restarted");
                assertThat(agent.snapshotReport("br-other")).isEqualTo(io.flowkeeper.agent.SnapshotReport.NONE);
            }
        }
    }

    private static Exposition scrape(String url) throws Exception {
        return Exposition.scrape(url, TOKEN);
    }
}
