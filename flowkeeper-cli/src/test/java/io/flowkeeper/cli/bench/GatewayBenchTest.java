package io.flowkeeper.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowkeeper.cli.ConsoleCapture;
import io.flowkeeper.cli.Main;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CI runs the small gateway benchmark so it cannot rot: two deaths of the active gateway host (every link down: the
 * BFD path; GatewayHaTest kills one) under a ping from outside, and two of keepalived's master with each setting,
 * every row measured (the p99 target is not asserted: the machine is shared, the table says whether it was met).
 */
@Tag("integration")
class GatewayBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(600)
    void theSmallGatewayBenchmarkMeasuresFlowkeeperAndBothKeepalivedSettings() throws Exception {
        assertThat(Main.run("bench", "gateway", "--small", "--json")).as(console.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(console.out()).get("rows");
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).get("system").asText()).isEqualTo("flowkeeper (every link down)");
        assertThat(rows.get(1).get("system").asText()).contains("advert_int 2");
        assertThat(rows.get(2).get("system").asText()).contains("advert_int 0.1");
        for (JsonNode row : rows) {
            String system = row.get("system").asText();
            assertThat(row.get("failovers").asInt()).as(system).isEqualTo(2);
            double p50 = row.get("gap p50 ms").asDouble();
            double max = row.get("gap max ms").asDouble();
            // a gap is at least the ping interval, and a failover that never recovered would have thrown
            assertThat(p50).as(system).isGreaterThanOrEqualTo(5).isLessThanOrEqualTo(row.get("gap p99 ms")
                    .asDouble());
            assertThat(max).as(system).isGreaterThanOrEqualTo(row.get("gap p99 ms").asDouble()).isLessThan(60_000);
            assertThat(row.get("pings lost").asText()).as(system).matches("\\d+ of \\d+");
        }
        for (int i = 1; i < 3; i++) {
            assertThat(rows.get(i).get("flowkeeper/this p99").asDouble()).isPositive().isFinite();
        }
        assertThat(rows.get(0).get("met").isBoolean()).isTrue();
    }
}
