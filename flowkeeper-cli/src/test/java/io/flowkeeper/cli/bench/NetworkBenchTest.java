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
 * CI runs the small tenant data plane benchmark so it cannot rot: compile figures, then cold programming of a
 * 400-port host's empty bridge on real OVS by a 3-node cluster, and DHCP with the real dhclient.
 */
@Tag("integration")
class NetworkBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(300)
    void theSmallNetworkBenchmarkMeasuresEveryFigure() throws Exception {
        assertThat(Main.run("bench", "network", "--small", "--json")).as(console.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(console.out()).get("rows");
        assertThat(rows.size()).isBetween(10, 11); // 11 when a node JVM of its own masters the switch
        for (JsonNode row : rows) {
            assertThat(row.get("value").asDouble()).as(row.get("measure").asText()).isPositive();
        }
        assertThat(rows.get(7).get("measure").asText()).contains("cold programming")
                .contains("all " + rows.get(0).get("value").asInt() + " flows");
    }
}
