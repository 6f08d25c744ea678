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
 * 400-port host's empty bridge on real OVS by a 3-node cluster, and DHCP with the real dhclient; then with two host
 * agents, 20 VM plugs timed to their first ping across hosts, and the nodes' heap with 10,000 ports in the model.
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
        assertThat(rows.size()).isBetween(14, 15); // 15 when a node JVM of its own masters the switch
        for (JsonNode row : rows) {
            assertThat(row.get("value").asDouble()).as(row.get("measure").asText()).isPositive();
        }
        assertThat(rows.get(7).get("measure").asText()).contains("cold programming")
                .contains("all " + rows.get(0).get("value").asInt() + " flows");
        JsonNode plugP99 = rows.get(rows.size() - 3);
        assertThat(plugP99.get("measure").asText()).contains("first ping answered").contains("p99 of 20");
        assertThat(plugP99.get("anchor").asText()).contains("Neutron OVS agent");
        assertThat(rows.get(rows.size() - 2).get("measure").asText()).contains("live heap")
                .contains((10_000 + 20 + 2) + " ports");
    }
}
