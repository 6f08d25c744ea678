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
}
