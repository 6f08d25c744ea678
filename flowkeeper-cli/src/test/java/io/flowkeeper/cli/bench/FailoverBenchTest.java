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

/** CI runs the small failover benchmark so it cannot rot: 3 master kills under a ping, then 4,000 API flows. */
@Tag("integration")
class FailoverBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(1200)
    void theSmallFailoverBenchmarkMeasuresEveryFigureAndLosesNoPacket() throws Exception {
        int code = Main.run("bench", "failover", "--small", "--json");
        assertThat(code).as(console.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(console.out()).get("rows");
        assertThat(rows).hasSizeGreaterThanOrEqualTo(9);
        for (JsonNode row : rows) {
            String measure = row.get("measure").asText();
            if (measure.startsWith("(c)")) {
                assertThat(row.get("value").asInt()).as(measure).isZero();
                assertThat(row.get("tls").asInt()).as(measure + ", TLS").isZero();
            } else {
                assertThat(row.get("value").asDouble()).as(measure).isPositive();
                assertThat(row.get("tls").asDouble()).as(measure + ", TLS").isPositive();
            }
        }
    }
}
