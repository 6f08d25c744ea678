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
 * CI runs the small scale benchmark so it cannot rot: 50 switches mastered, an idle period without lease lapses, the
 * switch list, and a kill -9 of the node mastering a third of them under two pings that lose nothing.
 */
@Tag("integration")
class ScaleBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(900)
    void theSmallScaleBenchmarkMastersEverySwitchAndLosesNoPacket() throws Exception {
        int code = Main.run("bench", "scale", "--small", "--json");
        assertThat(code).as(console.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(console.out()).get("rows");
        assertThat(rows).hasSize(12);
        assertThat(rows).extracting(r -> r.get("measure").asText())
                .contains("GET /v1/switches, median of 7", "GET /v1/switches?consistency=stale, median of 7");
        for (JsonNode row : rows) {
            String measure = row.get("measure").asText();
            assertThat(row.get("switches").asInt()).isEqualTo(50);
            if (measure.startsWith("packets lost") || measure.startsWith("lease lapses")) {
                assertThat(row.get("value").asInt()).as(measure).isZero();
            } else if (!measure.startsWith("load average")) {
                assertThat(row.get("value").asDouble()).as(measure).isPositive();
            }
        }
    }
}
