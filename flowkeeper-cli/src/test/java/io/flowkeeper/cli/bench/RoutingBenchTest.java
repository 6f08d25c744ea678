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
 * CI runs the small routing benchmark so it cannot rot: routed and switched ping and TCP between two real OVS hosts,
 * each figure measured (no ratio target asserted: the machine is shared, the table says whether it was met).
 */
@Tag("integration")
class RoutingBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(400)
    void theSmallRoutingBenchmarkMeasuresEveryFigure() throws Exception {
        assertThat(Main.run("bench", "routing", "--small", "--json")).as(console.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(console.out()).get("rows");
        assertThat(rows).hasSize(3);
        for (JsonNode row : rows) {
            assertThat(row.get("switched").asDouble()).as(row.get("measure").asText()).isPositive();
            assertThat(row.get("routed").asDouble()).as(row.get("measure").asText()).isPositive();
            assertThat(row.get("routed/switched").asDouble()).as(row.get("measure").asText()).isPositive();
        }
        assertThat(rows.get(0).get("measure").asText()).contains("ping RTT p50").contains("(40 sent each");
        assertThat(rows.get(1).get("measure").asText()).contains("p99");
        assertThat(rows.get(2).get("unit").asText()).isEqualTo("MB/s");
    }
}
