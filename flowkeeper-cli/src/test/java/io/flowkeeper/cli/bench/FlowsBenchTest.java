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

/** CI runs the small flow-write benchmark so it cannot rot: 3 controller JVMs, PUTs on an empty and a full switch. */
@Tag("integration")
class FlowsBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(300)
    void theSmallFlowWriteBenchmarkMeasuresEveryFigure() throws Exception {
        assertThat(Main.run("bench", "flows", "--small", "--json")).as(console.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(console.out()).get("rows");
        assertThat(rows).hasSize(5);
        for (JsonNode row : rows) {
            assertThat(row.get("value").asDouble()).as(row.get("measure").asText()).isPositive();
        }
        assertThat(rows.get(2).get("measure").asText()).contains("2000 desired flows");
    }
}
