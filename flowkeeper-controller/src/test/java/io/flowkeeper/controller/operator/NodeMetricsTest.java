package io.flowkeeper.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The node's meters as Prometheus reads them: names, labels and values from the suppliers bound to them. */
class NodeMetricsTest {
    @Test
    void refusedDatapathClaimsAreACounterThatFollowsTheSouthbound() {
        NodeMetrics metrics = new NodeMetrics("n1", new EventTimeline(Clock.systemUTC()));
        AtomicLong refused = new AtomicLong();
        metrics.bindRefusedClaims(refused::get);
        assertThat(metrics.scrape()).contains("flowkeeper_openflow_claims_refused_total{node=\"n1\"} 0.0");
        refused.addAndGet(3);
        assertThat(metrics.scrape()).contains("# TYPE flowkeeper_openflow_claims_refused_total counter")
                .contains("flowkeeper_openflow_claims_refused_total{node=\"n1\"} 3.0");
    }

    @Test
    void theRaftRepairsAreCountersThatFollowTheCluster() {
        NodeMetrics metrics = new NodeMetrics("n1", new EventTimeline(Clock.systemUTC()));
        AtomicLong redials = new AtomicLong(2);
        AtomicLong stepDowns = new AtomicLong(1);
        AtomicLong reopened = new AtomicLong();
        metrics.bindRaftRepairs(redials::get, stepDowns::get, reopened::get);
        reopened.incrementAndGet();
        assertThat(metrics.scrape()).contains("# TYPE flowkeeper_raft_follower_redials_total counter")
                .contains("flowkeeper_raft_follower_redials_total{node=\"n1\"} 2.0")
                .contains("flowkeeper_raft_stall_step_downs_total{node=\"n1\"} 1.0")
                .contains("flowkeeper_raft_replicas_reopened_total{node=\"n1\"} 1.0");
    }
}
