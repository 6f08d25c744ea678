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
 * agents, 20 VM plugs timed to their first ping across hosts, a reboot of a 200-port host (snapshot restore, first
 * ping, what the master's reconcile then changed), and the nodes' heap with 10,000 ports in the model.
 */
@Tag("integration")
class NetworkBenchTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    @Timeout(480)
    void theSmallNetworkBenchmarkMeasuresEveryFigure() throws Exception {
        assertThat(Main.run("bench", "network", "--small", "--json")).as(console.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(console.out()).get("rows");
        // 29 (master-only DHCP) when a node JVM of its own masters the switch; 32 or 33 with the agents' DHCP rows
        assertThat(rows.size()).as(console.out()).isBetween(31, 33);
        for (JsonNode row : rows) {
            String measure = row.get("measure").asText();
            if (measure.startsWith("reboot: flows") || measure.startsWith("reboot: ...")
                    || measure.startsWith("reboot: echo requests lost")) {
                // Counts whose target is 0: present, and whole numbers (the bench prints whether 0 was met).
                assertThat(row.get("value").isIntegralNumber()).as(measure).isTrue();
            } else {
                assertThat(row.get("value").asDouble()).as(measure).isPositive();
            }
        }
        assertThat(row(rows, "cold programming").get("measure").asText())
                .contains("all " + rows.get(0).get("value").asInt() + " flows");
        // A port change reaches the master as the few flows it changes, not the host's table.
        assertThat(row(rows, "flows in that comparison's step").get("value").asDouble())
                .isLessThan(rows.get(0).get("value").asDouble() / 10);
        assertThat(row(rows, "first ping answered").get("measure").asText()).contains("p99 of 20");
        assertThat(row(rows, "first ping answered").get("anchor").asText()).contains("Neutron OVS agent");
        assertThat(row(rows, "reboot of a 200-port host").get("measure").asText()).contains("snapshot restored");
        // The master waits for the agent's restore after OVS's flush: its reconcile changes no flow but those of the
        // ports made while the host was down.
        assertThat(row(rows, "not for the 10 ports made while down").get("value").asInt()).as(console.out()).isZero();
        assertThat(row(rows, "live heap").get("measure").asText()).contains((10_000 + 20 + 2) + " ports");
        // With every controller of its switch killed, a VM still gets its address: from its host's agent.
        assertThat(row(rows, "every controller of the switch killed").get("value").asDouble()).isPositive();
    }

    /** The last row whose measure contains {@code text}. */
    private static JsonNode row(JsonNode rows, String text) {
        JsonNode found = null;
        for (JsonNode row : rows) {
            if (row.get("measure").asText().contains(text)) {
                found = row;
            }
        }
        assertThat(found).as("a row about " + text).isNotNull();
        return found;
    }
}
